/**
 * Request shapes of every load scenario, identical for the parts server and the floor (the floor ignores the
 * Authorization header). Declarative so the load worker (another process, pinned to its own core) can build
 * autocannon request generators from JSON.
 */
import type { Request } from "autocannon";

export type RequestKind = "byId" | "list20" | "list100" | "create" | "batch10" | "mixed";

export interface LoadSpec {
  name: string;
  kind: RequestKind;
  origin: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration: number;
  amount?: number;
  /**
   * One token for every request; or `tokenPoolFile` (newline-separated), cycled through from `tokenOffset`, for
   * a fresh token per request. With a pool larger than the verifier's cache, a token comes round again only
   * after it was evicted, so every request pays a full verification.
   */
  token?: string;
  tokenPoolFile?: string;
  tokenOffset?: number;
  /** byId picks ids in 1..maxId (all seeded, so every answer is a 200). */
  maxId: number;
  /** Makes created part numbers unique across runs against the same database. */
  uniquePrefix: string;
}

const enc = (value: unknown) => encodeURIComponent(JSON.stringify(value));
const randomId = (maxId: number) => 1 + Math.floor(Math.random() * maxId);

export const byIdPath = (id: number) => `/trpc/parts.byId?input=${enc({ id })}`;
export const listPath = (limit: number) => `/trpc/parts.list?input=${enc({ limit })}`;
export function batchPath(ids: number[]): string {
  const input = Object.fromEntries(ids.map((id, i) => [String(i), { id }]));
  return `/trpc/${ids.map(() => "parts.byId").join(",")}?batch=1&input=${enc(input)}`;
}
export const createBody = (partNumber: string) =>
  JSON.stringify({ partNumber, modelNumber: "BENCH-1", name: "Benchmark bolt", description: "M6 x 20 hex bolt, zinc plated" });

/** A request generator: autocannon calls `setupRequest` before every request it sends. */
export function requestFor(spec: LoadSpec, nextToken: () => string | undefined): Request {
  let created = 0;
  const get = (path: string): Request => ({ method: "GET", path, headers: auth() });
  const auth = (): Record<string, string> => {
    const token = nextToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  const create = (): Request => ({
    method: "POST",
    path: "/trpc/parts.create",
    headers: { ...auth(), "content-type": "application/json" },
    body: createBody(`${spec.uniquePrefix}-${process.pid}-${++created}`),
  });
  const build: Record<RequestKind, () => Request> = {
    byId: () => get(byIdPath(randomId(spec.maxId))),
    list20: () => get(listPath(20)),
    list100: () => get(listPath(100)),
    batch10: () => get(batchPath(Array.from({ length: 10 }, () => randomId(spec.maxId)))),
    create,
    mixed: () => (Math.random() < 0.9 ? get(byIdPath(randomId(spec.maxId))) : create()),
  };
  return {
    ...build[spec.kind](),
    setupRequest: (request: Request) => ({ ...request, ...build[spec.kind]() }),
  };
}
