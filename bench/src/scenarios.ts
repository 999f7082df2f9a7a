/**
 * Load scenarios, identical for the parts server and the floor (the floor ignores the Authorization header).
 * Declarative: load.lua builds the requests (the shapes below, per request where they vary) inside wrk.
 */

/** A server under load: where to send requests, and the process(es) whose CPU time and RSS are measured. */
export interface ServerTarget {
  origin: string;
  pids: number[];
}

export type RequestKind = "byId" | "list20" | "list100" | "create" | "batch10" | "mixed" | "restById" | "restCreate";

export interface LoadSpec {
  name: string;
  kind: RequestKind;
  origin: string;
  connections: number;
  /** Seconds. */
  duration: number;
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

export const byIdPath = (id: number) => `/trpc/parts.byId?input=${enc({ id })}`;
export const listPath = (limit: number) => `/trpc/parts.list?input=${enc({ limit })}`;
export function batchPath(ids: number[]): string {
  const input = Object.fromEntries(ids.map((id, i) => [String(i), { id }]));
  return `/trpc/${ids.map(() => "parts.byId").join(",")}?batch=1&input=${enc(input)}`;
}
