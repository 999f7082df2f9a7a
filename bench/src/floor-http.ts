/**
 * The floors' HTTP side: bare node:http, no auth, no validation beyond parsing, and the tRPC response envelope
 * `{"result":{"data":…}}` byte for byte. A store answers from SQLite (floor-server.ts, synchronously) or
 * PostgreSQL (floor-postgres.ts, with promises); a synchronous answer is sent without a promise hop, so the
 * SQLite floor costs what it did before PostgreSQL came.
 *
 * Env: PORT, HOST (default 127.0.0.1). Prints "listening <port>" once ready.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A part as the API returns it, keys in the API's order. */
export type Row = Record<string, unknown>;

/** The floor verifies no token, so it has no caller: its writes record this id where the server records the caller's. */
export const floorClientId = "floor";

export interface NewPart {
  partNumber: string;
  modelNumber: string;
  name: string;
  description: string | null;
}

type Answer<T> = T | Promise<T>;

export interface FloorStore {
  byId(id: number): Answer<Row | undefined>;
  /** Rows after `afterId` (0: from the start) in id order, at most `limit`. */
  page(afterId: number, limit: number): Answer<Row[]>;
  /** The new row, or undefined for a duplicate part number (409); other failures throw or reject (503). */
  create(part: NewPart): Answer<Row | undefined>;
  close(): Answer<void>;
}

function send(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "application/json" }).end(body);
}
const ok = (data: unknown) => `{"result":{"data":${JSON.stringify(data)}}}`;
const notFound = (id: number) => ({ error: { message: `no part with id ${id}`, code: -32004 } });
const conflict = '{"error":{"message":"conflict","code":-32009}}';
const unavailable = '{"error":{"message":"unavailable","code":-32603}}';

/** Calls `then` with the value now when it is not a promise. */
function settle<T>(value: Answer<T>, then: (value: T) => void, fail: (error: unknown) => void): void {
  if (value instanceof Promise) value.then(then, fail);
  else then(value);
}

function list(store: FloorStore, input: { limit?: number; cursor?: string }, res: ServerResponse) {
  const limit = input.limit ?? 20;
  const afterId = input.cursor ? Number(Buffer.from(input.cursor, "base64url").toString().slice(3)) : 0;
  settle(
    store.page(afterId, limit + 1),
    (rows) => {
      const hasMore = rows.length > limit;
      const items = hasMore ? rows.slice(0, limit) : rows;
      const nextCursor = hasMore ? Buffer.from(`id:${items[items.length - 1]!.id}`).toString("base64url") : null;
      send(res, 200, ok({ items, nextCursor }));
    },
    () => send(res, 500, "{}"),
  );
}

function batch(store: FloorStore, paths: string[], input: Record<string, unknown>, res: ServerResponse) {
  const out: unknown[] = new Array(paths.length);
  let pending = paths.length;
  const done = (i: number, value: unknown) => {
    out[i] = value;
    if (--pending === 0) send(res, 200, JSON.stringify(out));
  };
  paths.forEach((p, i) => {
    if (p !== "parts.byId") return done(i, { error: { message: "not found", code: -32004 } });
    const id = (input[String(i)] as { id: number }).id;
    settle(
      store.byId(id),
      (row) => done(i, row ? { result: { data: row } } : notFound(id)),
      () => done(i, { error: { message: "internal", code: -32603 } }),
    );
  });
}

function query(store: FloorStore, path: string, search: URLSearchParams, res: ServerResponse) {
  const input = JSON.parse(search.get("input") ?? "{}") as Record<string, unknown>;
  if (search.get("batch") === "1") return batch(store, path.split(","), input, res);
  if (path === "parts.byId") {
    const id = (input as { id: number }).id;
    return settle(
      store.byId(id),
      (row) => (row ? send(res, 200, ok(row)) : send(res, 404, JSON.stringify(notFound(id)))),
      () => send(res, 500, "{}"),
    );
  }
  if (path === "parts.list") return list(store, input, res);
  send(res, 404, "{}");
}

function mutation(store: FloorStore, path: string, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (path !== "parts.create") return send(res, 404, "{}");
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string | null | undefined>;
    const part = { partNumber: body.partNumber ?? "", modelNumber: body.modelNumber ?? "", name: body.name ?? "", description: body.description ?? null };
    const fail = () => send(res, 503, unavailable);
    try {
      settle(store.create(part), (row) => (row ? send(res, 200, ok(row)) : send(res, 409, conflict)), fail);
    } catch {
      fail();
    }
  });
}

export function serveFloor(store: FloorStore): void {
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = (q === -1 ? url : url.slice(0, q)).slice("/trpc/".length);
    if (url === "/healthz") return send(res, 200, '{"status":"ok"}');
    if (req.method === "POST") return mutation(store, path, req, res);
    query(store, path, new URLSearchParams(q === -1 ? "" : url.slice(q + 1)), res);
  });
  server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
    console.log(`listening ${(server.address() as AddressInfo).port}`);
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      server.close(() => settle(store.close(), () => process.exit(0), () => process.exit(1)));
      server.closeAllConnections();
    });
  }
}
