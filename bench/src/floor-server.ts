/**
 * The floor: the least a Node server can do to answer the benchmark's requests. Bare node:http, better-sqlite3
 * prepared statements on the same schema and connection settings (opened with `openDatabase`), no auth, no
 * validation beyond parsing, and the same tRPC response envelope `{"result":{"data":…}}` byte for byte.
 *
 * Env: DATABASE_FILE, PORT, HOST (default 127.0.0.1). Prints "listening <port>" once ready.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { openDatabase, partNumberKey } from "@parts/db";

const handle = openDatabase(process.env.DATABASE_FILE ?? "./floor.db");
const { sqlite } = handle;
const columns =
  "id, part_number as partNumber, model_number as modelNumber, name, description, created_at as createdAt, updated_at as updatedAt";
const byId = sqlite.prepare(`select ${columns} from parts where id = ?`);
const firstPage = sqlite.prepare(`select ${columns} from parts order by id limit ?`);
const nextPage = sqlite.prepare(`select ${columns} from parts where id > ? order by id limit ?`);
const insert = sqlite.prepare(
  `insert into parts (part_number, part_number_key, model_number, name, description) values (?, ?, ?, ?, ?) returning ${columns}`,
);

type Row = Record<string, unknown>;

function send(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "application/json" }).end(body);
}
const ok = (data: unknown) => `{"result":{"data":${JSON.stringify(data)}}}`;
const notFound = (id: number) => ({ error: { message: `no part with id ${id}`, code: -32004 } });

function list(input: { limit?: number; cursor?: string }) {
  const limit = input.limit ?? 20;
  const afterId = input.cursor ? Number(Buffer.from(input.cursor, "base64url").toString().slice(3)) : undefined;
  const rows = (afterId === undefined ? firstPage.all(limit + 1) : nextPage.all(afterId, limit + 1)) as Row[];
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const nextCursor = hasMore ? Buffer.from(`id:${items[items.length - 1]!.id}`).toString("base64url") : null;
  return { items, nextCursor };
}

function query(path: string, search: URLSearchParams, res: ServerResponse) {
  const input = JSON.parse(search.get("input") ?? "{}") as Record<string, unknown>;
  if (search.get("batch") === "1") {
    const paths = path.split(",");
    const out = paths.map((p, i) => {
      if (p !== "parts.byId") return { error: { message: "not found", code: -32004 } };
      const id = (input[String(i)] as { id: number }).id;
      const row = byId.get(id);
      return row ? { result: { data: row } } : notFound(id);
    });
    return send(res, 200, JSON.stringify(out));
  }
  if (path === "parts.byId") {
    const row = byId.get((input as { id: number }).id);
    return row ? send(res, 200, ok(row)) : send(res, 404, JSON.stringify(notFound(input.id as number)));
  }
  if (path === "parts.list") return send(res, 200, ok(list(input)));
  send(res, 404, "{}");
}

function mutation(path: string, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (path !== "parts.create") return send(res, 404, "{}");
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string | null | undefined>;
    try {
      // The server's storage work too: the canonical key under its unique index (and the search index's trigger).
      send(res, 200, ok(insert.get(body.partNumber, partNumberKey(body.partNumber ?? ""), body.modelNumber, body.name, body.description ?? null)));
    } catch {
      send(res, 409, '{"error":{"message":"conflict","code":-32009}}');
    }
  });
}

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = (q === -1 ? url : url.slice(0, q)).slice("/trpc/".length);
  if (url === "/healthz") return send(res, 200, '{"status":"ok"}');
  if (req.method === "POST") return mutation(path, req, res);
  query(path, new URLSearchParams(q === -1 ? "" : url.slice(q + 1)), res);
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    server.close(() => (handle.close(), process.exit(0)));
    server.closeAllConnections();
  });
}
