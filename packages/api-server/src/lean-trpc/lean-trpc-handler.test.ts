import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createPartsRepository, openDatabase } from "@parts/db";
import { createTokenVerifier } from "@parts/router";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPartsServer, type PartsServer } from "../http-server.ts";
import { createLogger } from "../logger.ts";

/**
 * The lean path must be indistinguishable from tRPC's own adapter. Two servers, one on each path,
 * each with its own identically seeded database, get the same requests in the same order; status, the headers
 * a caller acts on, and the JSON body must match. Transfer framing tells which path answered: the adapter
 * streams its body (chunked), the lean path sends a content-length.
 */

interface Exchange {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string | string[];
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let issuer: FakeIssuer;
let dir: string;
const servers: PartsServer[] = [];
let lean: string;
let adapter: string;
let writeToken: string;
let readToken: string;
let expiredToken: string;

async function start(name: string, leanPath: boolean): Promise<string> {
  const database = openDatabase(join(dir, `${name}.db`));
  const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
  const silent = new Writable({ write: (_chunk, _enc, done) => done() });
  const server = createPartsServer({ database, verifier, parts: createPartsRepository(database.db), logger: createLogger("info", silent), leanPath });
  servers.push(server);
  return server.listen(0, "127.0.0.1");
}

/** Raw node:http, so bodies can be chunked or carry a BOM exactly as sent. */
function send(origin: string, exchange: Exchange): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks = typeof exchange.body === "string" ? [exchange.body] : (exchange.body ?? []);
    const headers = { ...exchange.headers };
    if (typeof exchange.body === "string") headers["content-length"] = String(Buffer.byteLength(exchange.body));
    const req = httpRequest(`${origin}${exchange.path}`, { method: exchange.method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/**
 * Headers that differ for reasons outside the answer itself: `date` is the second each server wrote it in, and
 * `connection`/`keep-alive` are node:http's own connection management. `transfer-encoding` and `content-length`
 * are the framing of the same bytes (the adapter streams its body chunked, the lean path knows its length up
 * front); the body itself is compared whole, so the framing cannot hide a difference in what was sent.
 */
const framingAndTransport = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length"]);

/** Everything a caller can observe, with creation times (which differ by milliseconds between the servers) masked. */
function observable(answer: Answer) {
  return {
    status: answer.status,
    headers: Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !framingAndTransport.has(name))),
    body: answer.body.replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"<time>"'),
  };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const json = { "content-type": "application/json" };
const q = (path: string, input?: unknown) => `/trpc/${path}` + (input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`);
const part = (n: number) => JSON.stringify({ partNumber: `PN-${n}`, modelNumber: "M-1", name: `Part ${n}` });

beforeAll(async () => {
  issuer = await startFakeIssuer();
  writeToken = await issuer.sign({ client_id: "writer", sub: "writer" });
  readToken = await issuer.sign({ client_id: "reader", sub: "reader", scope: "parts:read" });
  expiredToken = await issuer.sign({ client_id: "writer" }, { expiresIn: -60 });
  dir = mkdtempSync(join(tmpdir(), "parts-lean-"));
  lean = await start("lean", true);
  adapter = await start("adapter", false);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close(1000)));
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
});

async function compare(given: Exchange) {
  // The server makes up a request id when the caller sends none; sending one makes that header comparable too.
  const exchange = { ...given, headers: { "x-request-id": "parity", ...given.headers } };
  const [fromLean, fromAdapter] = [await send(lean, exchange), await send(adapter, exchange)];
  expect(observable(fromLean), `${exchange.method} ${exchange.path}`).toEqual(observable(fromAdapter));
  expect(fromAdapter.headers["transfer-encoding"]).toBe("chunked");
  return fromLean;
}

/** The lean path answered: a fixed-length body instead of the adapter's stream. */
const tookLeanPath = (answer: Answer) => answer.headers["content-length"] !== undefined && answer.headers["transfer-encoding"] === undefined;

const batchOf = (path: string, inputs: unknown[]) =>
  `/trpc/${inputs.map(() => path).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(inputs.map((input, i) => [i, input]))))}`;

describe("plain JSON calls and batches: the lean path answers exactly as tRPC's adapter", () => {
  const leanCases: Array<[string, () => Exchange]> = [
    ["create", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json }, body: part(1) })],
    ["create with charset", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), "content-type": "application/json; charset=utf-8" }, body: part(2) })],
    ["create with a UTF-8 BOM", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json }, body: "\uFEFF" + part(3) })],
    ["duplicate create (409)", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json }, body: part(1) })],
    ["invalid create (zod field errors)", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json }, body: JSON.stringify({ partNumber: 7, extra: true }) })],
    ["malformed JSON body", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json }, body: "{not json" })],
    ["empty body", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json }, body: "" })],
    ["byId", () => ({ method: "GET", path: q("parts.byId", { id: 1 }), headers: auth(readToken) })],
    ["byId not found", () => ({ method: "GET", path: q("parts.byId", { id: 999 }), headers: auth(readToken) })],
    ["byId wrong type", () => ({ method: "GET", path: q("parts.byId", { id: "1" }), headers: auth(readToken) })],
    ["byId without input", () => ({ method: "GET", path: "/trpc/parts.byId", headers: auth(readToken) })],
    ["byId with empty input", () => ({ method: "GET", path: "/trpc/parts.byId?input=", headers: auth(readToken) })],
    ["malformed query input", () => ({ method: "GET", path: "/trpc/parts.byId?input=%7Bnope", headers: auth(readToken) })],
    ["list", () => ({ method: "GET", path: q("parts.list", { limit: 2 }), headers: auth(readToken) })],
    ["list without input", () => ({ method: "GET", path: "/trpc/parts.list", headers: auth(readToken) })],
    ["list with a bad cursor", () => ({ method: "GET", path: q("parts.list", { cursor: "x" }), headers: auth(readToken) })],
    ["update", () => ({ method: "POST", path: "/trpc/parts.update", headers: { ...auth(writeToken), ...json }, body: JSON.stringify({ id: 2, name: "Renamed" }) })],
    ["delete", () => ({ method: "POST", path: "/trpc/parts.delete", headers: { ...auth(writeToken), ...json }, body: JSON.stringify({ id: 3 }) })],
    ["delete again (404)", () => ({ method: "POST", path: "/trpc/parts.delete", headers: { ...auth(writeToken), ...json }, body: JSON.stringify({ id: 3 }) })],
    ["no token (401)", () => ({ method: "GET", path: q("parts.byId", { id: 1 }) })],
    ["malformed authorization header", () => ({ method: "GET", path: q("parts.byId", { id: 1 }), headers: { authorization: "Bearer a b" } })],
    ["expired token", () => ({ method: "GET", path: q("parts.byId", { id: 1 }), headers: auth(expiredToken) })],
    ["garbage token", () => ({ method: "GET", path: q("parts.byId", { id: 1 }), headers: auth("not.a.jwt") })],
    ["read-only token writes (403)", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(readToken), ...json }, body: part(9) })],
    ["public health", () => ({ method: "GET", path: "/trpc/health" })],
    ["a batch of queries", () => ({ method: "GET", path: batchOf("parts.byId", [{ id: 1 }, { id: 2 }]), headers: auth(readToken) })],
    ["a batch with a missing part (207)", () => ({ method: "GET", path: batchOf("parts.byId", [{ id: 1 }, { id: 999 }, { id: "x" }]), headers: auth(readToken) })],
    ["a batch without a token", () => ({ method: "GET", path: batchOf("parts.byId", [{ id: 1 }, { id: 2 }]) })],
    ["a batch of mutations", () => ({ method: "POST", path: "/trpc/parts.create,parts.create?batch=1", headers: { ...auth(writeToken), ...json }, body: `{"0":${part(30)},"1":${part(1)}}` })],
    ["a batch whose input is not an object", () => ({ method: "GET", path: "/trpc/parts.byId,parts.byId?batch=1&input=%225%22", headers: auth(readToken) })],
    ["a batch whose input is an array", () => ({ method: "GET", path: `/trpc/parts.byId,parts.byId?batch=1&input=${encodeURIComponent('[{"id":1},{"id":2}]')}`, headers: auth(readToken) })],
    ["an upper-case JSON content-type", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), "content-type": "Application/JSON" }, body: part(31) })],
    ["a batch with one input missing", () => ({ method: "GET", path: `/trpc/parts.byId,parts.list?batch=1&input=${encodeURIComponent('{"1":{"limit":1}}')}`, headers: auth(readToken) })],
    ["a batch over the row budget (413 for every call)", () => ({ method: "GET", path: batchOf("parts.list", Array.from({ length: 3 }, () => ({ limit: 100 }))), headers: auth(readToken) })],
    ["a batch over the search budget", () => ({ method: "GET", path: batchOf("parts.list", Array.from({ length: 11 }, () => ({ limit: 1, q: "bolt" }))), headers: auth(readToken) })],
    ["an over-budget batch without a token (budget first)", () => ({ method: "GET", path: batchOf("parts.list", Array.from({ length: 3 }, () => ({ limit: 100 }))) })],
    ["a batch at the row budget", () => ({ method: "GET", path: batchOf("parts.list", [{ limit: 50 }, { limit: 50 }]), headers: auth(readToken) })],
    ["a batch over budget with unreadable input", () => ({ method: "GET", path: "/trpc/parts.list,parts.list?batch=1&input=%7Bnope", headers: auth(readToken) })],
    ["a validation error with many unknown keys", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json }, body: JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))) })],
  ];

  it.each(leanCases)("%s", async (_name, exchange) => {
    const answer = await compare(exchange());
    expect(tookLeanPath(answer)).toBe(true);
  });
});

describe("everything else goes to the adapter", () => {
  const fallbackCases: Array<[string, () => Exchange]> = [
    ["a batch over the size limit", () => ({ method: "GET", path: batchOf("parts.byId", Array.from({ length: 51 }, () => ({ id: 1 }))), headers: auth(readToken) })],
    ["a batch mixing queries and mutations", () => ({ method: "GET", path: "/trpc/parts.byId,parts.create?batch=1", headers: auth(writeToken) })],
    ["a batch naming an unknown procedure", () => ({ method: "GET", path: "/trpc/parts.byId,parts.nope?batch=1", headers: auth(readToken) })],
    ["batch=0", () => ({ method: "GET", path: "/trpc/parts.byId?batch=0", headers: auth(readToken) })],
    ["a query over POST", () => ({ method: "POST", path: "/trpc/parts.byId", headers: { ...auth(readToken), ...json }, body: '{"id":1}' })],
    ["a mutation over GET", () => ({ method: "GET", path: q("parts.create", {}), headers: auth(writeToken) })],
    ["an unknown procedure", () => ({ method: "GET", path: "/trpc/parts.nope", headers: auth(readToken) })],
    ["a percent-encoded path", () => ({ method: "GET", path: "/trpc/parts%2EbyId?input=%7B%22id%22%3A1%7D", headers: auth(readToken) })],
    ["a chunked body", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), ...json, "transfer-encoding": "chunked" }, body: ['{"partNumber":"PN-20",', '"modelNumber":"M","name":"Chunked"}'] })],
    ["a text/plain body", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), "content-type": "text/plain" }, body: part(21) })],
    ["streaming accept header", () => ({ method: "GET", path: q("parts.byId", { id: 1 }), headers: { ...auth(readToken), "trpc-accept": "application/jsonl" } })],
    ["streaming asked for in Accept", () => ({ method: "GET", path: q("parts.byId", { id: 1 }), headers: { ...auth(readToken), accept: "application/json, application/jsonl" } })],
    ["a JSON-like but different content-type", () => ({ method: "POST", path: "/trpc/parts.create", headers: { ...auth(writeToken), "content-type": "application/json-patch+json" }, body: part(22) })],
    ["a GET with a multipart content-type", () => ({ method: "GET", path: q("parts.byId", { id: 1 }), headers: { ...auth(readToken), "content-type": "multipart/form-data" } })],
    ["an unknown query parameter", () => ({ method: "GET", path: `${q("parts.byId", { id: 1 })}&connectionParams=1`, headers: auth(readToken) })],
  ];

  it.each(fallbackCases)("%s", async (_name, exchange) => {
    const answer = await compare(exchange());
    expect(tookLeanPath(answer)).toBe(false);
  });
});

describe("the request budget on the streaming path", () => {
  it("refuses an over-budget streamed batch before any call runs", async () => {
    const path = batchOf("parts.list", Array.from({ length: 3 }, () => ({ limit: 100 })));
    const answer = await send(lean, { method: "GET", path, headers: { ...auth(readToken), "trpc-accept": "application/jsonl" } });
    expect(tookLeanPath(answer)).toBe(false);
    const lines = answer.body.trim().split("\n");
    expect(answer.body).not.toContain('"items"');
    expect(lines.join("\n").match(/PAYLOAD_TOO_LARGE/g)).toHaveLength(3);
  });
});

describe("request bodies", () => {
  it("reads a mutation's body at once, so a client that hangs up right after sending it still has it applied", async () => {
    // A fresh server: its verifier has not loaded the issuer's keys yet, so authentication takes a while and
    // the client is gone before the input is needed.
    const origin = await start("cold", true);
    const { hostname, port } = new URL(origin);
    const body = JSON.stringify({ partNumber: "PN-HANGUP", modelNumber: "M", name: "Sent and gone" });
    const request =
      `POST /trpc/parts.create HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${writeToken}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.end(request, () => resolve()));
      socket.on("error", reject);
    });
    let found = false;
    // Polls until found; the deadline is for a loaded CI machine, where the cold key fetch can take seconds.
    for (const deadline = Date.now() + 20_000; !found && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 50));
      const answer = await send(origin, { method: "GET", path: q("parts.list", { limit: 5 }), headers: auth(readToken) });
      found = answer.body.includes("PN-HANGUP");
    }
    expect(found).toBe(true);
  });
});
