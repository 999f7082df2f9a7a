import { mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createPartsRepository, DatabaseError, openDatabase, type DatabaseHandle, type PartsRepository } from "@parts/db";
import { createTokenVerifier } from "@parts/router";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPartsServer, maxBatchCalls, readinessPingTimeoutMs, type PartsServer, type ServedDatabase } from "./http-server.ts";
import { createLogger } from "./logger.ts";

let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
let app: PartsServer;
let base: string;
let logLines: string[];
let writeToken: string;
let readToken: string;

function startServer(verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience })) {
  logLines = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  database = openDatabase(join(dir, "parts.db"));
  app = createPartsServer({ database, verifier, parts: createPartsRepository(database.db), logger: createLogger("info", sink) });
  return app.listen(0, "127.0.0.1");
}

beforeAll(async () => {
  issuer = await startFakeIssuer();
  writeToken = await issuer.sign({ client_id: "writer", sub: "writer" });
  readToken = await issuer.sign({ client_id: "reader", sub: "reader", scope: "parts:read" });
});
afterAll(() => issuer.close());

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "parts-server-"));
  base = await startServer();
});
afterEach(async () => {
  await app.close(1000);
  rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(kind: "query" | "mutation", path: string, input?: unknown, token: string | null = writeToken) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const url = `${base}/trpc/${path}` + (kind === "query" && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : "");
  const response = await fetch(url, {
    method: kind === "query" ? "GET" : "POST",
    headers: kind === "mutation" ? { ...headers, "content-type": "application/json" } : headers,
    body: kind === "mutation" ? JSON.stringify(input) : undefined,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

const create = (input: Json, token?: string) => call("mutation", "parts.create", input, token);
const part = (n: number) => ({ partNumber: `PN-${n}`, modelNumber: "M-1", name: `Part ${n}` });

describe("procedures over HTTP", () => {
  it("serves every procedure of the table", async () => {
    expect((await call("query", "health", undefined, null)).body.result.data).toEqual({ status: "ok" });
    const created = await create({ ...part(1), description: "steel" });
    expect(created.status).toBe(200);
    const id = created.body.result.data.id;
    expect((await call("query", "parts.byId", { id })).body.result.data).toMatchObject({ id, description: "steel" });
    expect((await call("query", "parts.list", {})).body.result.data.items).toHaveLength(1);
    expect((await call("mutation", "parts.update", { id, name: "Renamed" })).body.result.data.name).toBe("Renamed");
    expect((await call("mutation", "parts.delete", { id })).body.result.data).toEqual({ id });
    const missing = await call("query", "parts.byId", { id });
    expect(missing.status).toBe(404);
    expect(missing.body.error.data.code).toBe("NOT_FOUND");
  });

  it("answers timestamps as ISO 8601 strings in plain JSON", async () => {
    const { body } = await create(part(1));
    expect(body.result.data.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("duplicate partNumber → 409 CONFLICT, nothing changed", async () => {
    await create(part(1));
    const duplicate = await create({ ...part(1), name: "Other" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.data.code).toBe("CONFLICT");
    const list = await call("query", "parts.list", {});
    expect(list.body.result.data.items.map((p: Json) => p.name)).toEqual(["Part 1"]);
  });

  it("validation errors are 400 with field-level details and no stack", async () => {
    const response = await create({ partNumber: "", modelNumber: 5, name: "x".repeat(201) });
    expect(response.status).toBe(400);
    const { fieldErrors } = response.body.error.data.zodError;
    expect(Object.keys(fieldErrors).sort()).toEqual(["modelNumber", "name", "partNumber"]);
    expect(JSON.stringify(response.body)).not.toMatch(/stack|\/work\/|node_modules/);
    expect((await call("query", "parts.list", {})).body.result.data.items).toHaveLength(0);
  });

  it("pagination over HTTP walks every row exactly once", async () => {
    for (let n = 1; n <= 7; n++) await create(part(n));
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const input: Json = cursor ? { limit: 3, cursor } : { limit: 3 };
      const page: Json = (await call("query", "parts.list", input)).body.result.data;
      seen.push(...page.items.map((p: Json) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("authentication failures", () => {
  it("no Authorization header → 401 with a bare Bearer challenge", async () => {
    const response = await call("query", "parts.list", {}, null);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="parts"');
  });

  it("a non-Bearer scheme → 400 invalid_request (RFC 6750 §3.1)", async () => {
    const response = await fetch(`${base}/trpc/parts.list`, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(response.status).toBe(400);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="parts", error="invalid_request"/);
  });

  it.each([
    ["a garbage token", async () => "not-a-jwt", "malformed token"],
    ["an expired token", () => issuer.sign({ exp: Math.floor(Date.now() / 1000) - 30 }), "token expired"],
    ["a token for another audience", () => issuer.sign({ aud: "api://other" }), "audience mismatch"],
    ["a token from another issuer", () => issuer.sign({ iss: "https://evil.example" }), "issuer mismatch"],
  ])("%s → 401 invalid_token naming the failed check", async (_name, makeToken, description) => {
    const response = await call("query", "parts.list", {}, await makeToken());
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer realm="parts", error="invalid_token", error_description="${description}"`,
    );
    expect(response.body.error.data.authError).toBe("invalid_token");
  });

  it("a read-only token calling a mutation → 403 insufficient_scope with the scope, nothing written", async () => {
    const response = await create(part(1), readToken);
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="parts", error="insufficient_scope", error_description="this call requires the parts:write scope", scope="parts:write"',
    );
    expect((await call("query", "parts.list", {}, readToken)).body.result.data.items).toHaveLength(0);
  });

  it("issuer keys unreachable → 503, not 401", async () => {
    await app.close(1000);
    base = await startServer(createTokenVerifier({ issuer: "http://127.0.0.1:9", audience: issuer.audience }));
    const response = await call("query", "parts.list", {});
    expect(response.status).toBe(503);
    expect(response.headers.get("www-authenticate")).toBeNull();
  });

  it("logs the caller's client id and procedure, never the token", async () => {
    await call("query", "parts.list", {}, readToken);
    await call("query", "parts.list", {}, "a.b.c");
    const entries = logLines.map((line) => JSON.parse(line)).filter((e) => e.msg === "request");
    expect(entries[0]).toMatchObject({ procedure: "parts.list", status: 200, clientId: "reader", method: "GET" });
    expect(entries[0].reqId).toEqual(expect.any(String));
    expect(entries[1]).toMatchObject({ status: 401 });
    expect(logLines.join("")).not.toContain(readToken.split(".")[1]);
  });

  it("logs a tRPC request by procedure and any other request by path", async () => {
    logLines.length = 0;
    await call("query", "parts.list", {}, readToken);
    await (await fetch(`${base}/healthz`)).text();
    const [trpcEntry, healthEntry] = logLines.map((line) => JSON.parse(line)).filter((e) => e.msg === "request");
    expect(trpcEntry).toMatchObject({ procedure: "parts.list" });
    expect(trpcEntry).not.toHaveProperty("path");
    expect(healthEntry).toMatchObject({ path: "/healthz" });
    expect(healthEntry).not.toHaveProperty("procedure");
  });
});

describe("limits", () => {
  it("bodies over 1 MiB → 413", async () => {
    const response = await create({ ...part(1), description: "x".repeat(1024 * 1024 + 10) });
    expect(response.status).toBe(413);
  });

  it(`batches over ${maxBatchCalls} calls → 400`, async () => {
    const paths = Array.from({ length: maxBatchCalls + 1 }, () => "health").join(",");
    const response = await fetch(`${base}/trpc/${paths}?batch=1&input=${encodeURIComponent("{}")}`);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("Batch call exceeds maximum size");
  });

  it(`a batch of ${maxBatchCalls} calls is served`, async () => {
    const paths = Array.from({ length: maxBatchCalls }, () => "health").join(",");
    const response = await fetch(`${base}/trpc/${paths}?batch=1&input=${encodeURIComponent("{}")}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveLength(maxBatchCalls);
  });
});

describe("slow clients", () => {
  it("a client trickling its headers gets 408 soon after headersTimeout, not after Node's 30 s check interval", async () => {
    await app.close(1000);
    database.close();
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    database = openDatabase(join(dir, "parts.db"));
    app = createPartsServer({
      database,
      verifier,
      parts: createPartsRepository(database.db),
      logger: createLogger("silent"),
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
    });
    base = await app.listen(0, "127.0.0.1");
    const { port } = new URL(base);
    const socket = connect(Number(port), "127.0.0.1");
    let response = "";
    socket.on("data", (chunk) => (response += chunk.toString()));
    // The server answers 408 and closes while the drip goes on: the next drip may meet a reset connection, an
    // error event that, unheard, would be an uncaught exception failing the whole run.
    socket.on("error", () => undefined);
    socket.write("GET /healthz HTTP/1.1\r\nhost: x\r\n");
    const drip = setInterval(() => socket.write("x-slow: 1\r\n"), 50);
    // Bounded wait: well above the 300 ms timeout, far below the 30 s default check interval.
    const giveUp = setTimeout(() => socket.destroy(), 8000);
    await new Promise((resolve) => socket.on("close", resolve));
    clearInterval(drip);
    clearTimeout(giveUp);
    expect(response).toMatch(/^HTTP\/1\.1 408/);
  });
});

function getWithHeaders(path: string, headers: Record<string, string | string[]>): Promise<{ status: number; headers: Json; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("hardening", () => {
  it("two Authorization headers → 400 invalid_request, even when both carry the same valid token", async () => {
    for (const second of [`Bearer ${writeToken}`, `Bearer ${readToken}`]) {
      const response = await getWithHeaders("/trpc/parts.list", { authorization: [`Bearer ${writeToken}`, second] });
      expect(response.status).toBe(400);
      expect(response.headers["www-authenticate"]).toMatch(/error="invalid_request", error_description="more than one Authorization header"/);
    }
  });

  it("every answer says no-store and nosniff", async () => {
    for (const path of ["/trpc/parts.list", "/trpc/parts.byId?input=%7B%22id%22%3A9%7D", "/healthz", "/nowhere"]) {
      const response = await getWithHeaders(path, { authorization: `Bearer ${readToken}` });
      expect(response.headers["cache-control"], path).toBe("no-store");
      expect(response.headers["x-content-type-options"], path).toBe("nosniff");
    }
  });

  it("a body with 60,000 unknown keys gets a short error naming the first problem", async () => {
    const body = JSON.stringify({ ...part(1), ...Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`key${i}`, i])) });
    const response = await fetch(`${base}/trpc/parts.create`, { method: "POST", headers: { authorization: `Bearer ${writeToken}`, "content-type": "application/json" }, body });
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text.length).toBeLessThan(2048);
    expect(JSON.parse(text).error.message).toMatch(/^input: Unrecognized keys: "key0", "key1", .*…$/);
    // A 1 MB body parsed and refused: well under a second alone, seconds on a loaded two-core machine.
  }, 30_000);
});

describe("overload", () => {
  async function restartWith(loadShedder: { overloaded: boolean; retryAfterSeconds: number }) {
    await app.close(1000);
    database = openDatabase(join(dir, "parts.db"));
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    app = createPartsServer({ database, verifier, parts: createPartsRepository(database.db), logger: createLogger("silent"), loadShedder });
    base = await app.listen(0, "127.0.0.1");
  }

  it("while overloaded, API requests get 503 + Retry-After and the probes still answer; afterwards it serves again", async () => {
    const shedder = { overloaded: true, retryAfterSeconds: 2 };
    await restartWith(shedder);
    const refused = await call("query", "parts.list", {}, readToken);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("2");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    shedder.overloaded = false;
    expect((await call("query", "parts.list", {}, readToken)).status).toBe(200);
  });
});

describe("probes and shutdown", () => {
  it("healthz answers while up; readyz answers 200 once the database and issuer keys are ready", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ database: true, issuerKeys: true });
  });

  it("readyz answers 503 while the issuer's keys cannot be loaded", async () => {
    await app.close(1000);
    base = await startServer(createTokenVerifier({ issuer: "http://127.0.0.1:9", audience: issuer.audience }));
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ database: true, issuerKeys: false });
  });

  it("close lets an in-flight request finish, then refuses new connections", async () => {
    const body = JSON.stringify(part(77));
    const url = new URL(`${base}/trpc/parts.create`);
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        url,
        { method: "POST", headers: { authorization: `Bearer ${writeToken}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 10)); // the request is now in flight, its body half sent
      setTimeout(() => req.end(body.slice(10)), 200);
    });
    // Close only once the server holds the request: before that its connection is idle, and close() ends it.
    await once(app.server, "request");
    // A grace far beyond the test timeout: the close must not wait for the answered keep-alive connection.
    const closing = app.close(60_000);
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(JSON.parse(finished.text).result.data.partNumber).toBe("PN-77");
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    const reopened = openDatabase(join(dir, "parts.db"));
    expect(reopened.sqlite.prepare("select count(*) from parts").pluck().get()).toBe(1);
    reopened.close();
    base = await startServer(); // afterEach closes a server
  });
});

describe("a database that cannot serve (PostgreSQL down, pool exhausted)", () => {
  /** Replaces the running server with one over `database` and `parts`; afterEach closes it. */
  async function restartWith(served: ServedDatabase, parts: PartsRepository, leanPath = true) {
    await app.close(1000);
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    app = createPartsServer({ database: served, verifier, parts, logger: createLogger("silent"), leanPath });
    base = await app.listen(0, "127.0.0.1");
  }
  const unavailable = () => Promise.reject(new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", reason: "ECONNREFUSED" }));
  const downRepository: PartsRepository = { list: unavailable, byId: unavailable, create: unavailable, update: unavailable, delete: unavailable };

  it("readyz awaits an asynchronous ping and reports the database down", async () => {
    await restartWith({ ping: async () => false, close: async () => {} }, downRepository);
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ database: false, issuerKeys: true });
  });

  it("readyz reports the database down when its ping hangs or throws, within the ping timeout", async () => {
    for (const ping of [() => new Promise<boolean>(() => {}), () => Promise.reject(new Error("boom")), (): boolean => { throw new Error("boom"); }]) {
      await restartWith({ ping, close: () => {} }, downRepository);
      const started = performance.now();
      const response = await fetch(`${base}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ database: false, issuerKeys: true });
      // Bounded by the ping timeout, not by the hung ping; the margin is for a loaded CI machine.
      expect(performance.now() - started).toBeLessThan(readinessPingTimeoutMs + 5000);
    }
  });

  it.each([true, false])("procedures answer 503 with Retry-After: 1 (lean path: %s), for single calls and batches", async (leanPath) => {
    await restartWith({ ping: async () => false, close: async () => {} }, downRepository, leanPath);
    for (const result of [await call("query", "parts.list", {}), await call("query", "parts.byId", { id: 1 }), await create(part(1))]) {
      expect(result.status).toBe(503);
      expect(result.headers.get("retry-after")).toBe("1");
      expect(result.body.error.data.code).toBe("SERVICE_UNAVAILABLE");
      expect(result.body.error.message).toBe("the database is unavailable; retry later");
    }
    const batch = await fetch(`${base}/trpc/parts.list,parts.byId?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: {}, 1: { id: 1 } }))}`, {
      headers: { authorization: `Bearer ${writeToken}` },
    });
    expect(batch.status).toBe(503);
    expect(batch.headers.get("retry-after")).toBe("1");
  });
});
