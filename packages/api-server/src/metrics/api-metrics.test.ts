import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createPartsRepository, openDatabase, type DatabaseHandle } from "@parts/db";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { parseScrape, sampleTotal, type PromMetrics } from "@parts/metrics/scrape";
import { createRateLimiter } from "@parts/rate-limit";
import { createTokenVerifier } from "@parts/router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPartsServer, type PartsServer } from "../http-server.ts";
import { createLogger } from "../logger.ts";
import { createApiMetrics, type ApiMetrics } from "./api-metrics.ts";

let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
let metrics: ApiMetrics;
let app: PartsServer;
let base: string;
let writeToken: string;
let readToken: string;

beforeAll(async () => {
  issuer = await startFakeIssuer();
  writeToken = await issuer.sign({ client_id: "writer", sub: "writer" });
  readToken = await issuer.sign({ client_id: "reader", sub: "reader", scope: "parts:read" });
  dir = mkdtempSync(join(tmpdir(), "parts-metrics-"));
  database = openDatabase(join(dir, "parts.db"));
  metrics = createApiMetrics();
  const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, fetch: metrics.issuerKeys.fetch });
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  app = createPartsServer({ database, verifier, parts: createPartsRepository(database.db, { observe: metrics.database.observeQuery }), logger: createLogger("info", sink), metrics });
  base = await app.listen(0, "127.0.0.1");
});
afterAll(async () => {
  await app.close(1000);
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(path: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = writeToken, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  const response = await fetch(`${base}${path}`, { ...rest, headers });
  await response.arrayBuffer();
  return response.status;
}
const byIdUrl = (id: number) => `/trpc/parts.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`;
const createPart = (n: number, token = writeToken) =>
  send("/trpc/parts.create", { method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ partNumber: `PN-${n}`, modelNumber: "M", name: "N" }) });
const scrape = async (): Promise<PromMetrics> => parseScrape(await metrics.registry.metrics());

describe("API server metrics", () => {
  it("counts requests by procedure, REST route template, method and status on the lean path, the adapter and REST", async () => {
    expect(await createPart(1)).toBe(200);
    expect(await send(byIdUrl(1))).toBe(200);
    // A streamed batch is the adapter's, not the lean path's: still counted under the procedure's name.
    const streamedBatch = `/trpc/parts.byId?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { id: 1 } }))}`;
    expect(await send(streamedBatch, { headers: { "trpc-accept": "application/jsonl" } })).toBe(200);
    expect(await send("/api/parts/1")).toBe(200);
    expect(await send("/api/parts/999999")).toBe(404);
    expect(await send("/trpc/no.such.procedure")).toBe(404);
    expect(await send("/some/raw/path/12345")).toBe(404);
    const scraped = await scrape();
    expect(sampleTotal(scraped, "parts_api_requests_total", { route: "parts.byId", method: "GET", status: "200" })).toBe(2);
    expect(sampleTotal(scraped, "parts_api_requests_total", { route: "parts.create", method: "POST", status: "200" })).toBe(1);
    expect(sampleTotal(scraped, "parts_api_requests_total", { route: "/api/parts/{id}", method: "GET", status: "200" })).toBe(1);
    expect(sampleTotal(scraped, "parts_api_requests_total", { route: "/api/parts/{id}", status: "404" })).toBe(1);
    expect(sampleTotal(scraped, "parts_api_requests_total", { route: "other", status: "404" })).toBe(2);
    expect(sampleTotal(scraped, "parts_api_request_duration_seconds", { route: "parts.byId", method: "GET" })).toBe(2);
    // No label value anywhere is a raw path or an id.
    const values = Object.values(scraped).flatMap((family) => family.data.flatMap((sample) => Object.values(sample.labels)));
    expect(values.filter((value) => /12345|999999|no\.such/.test(value))).toEqual([]);
    // Every request above has been answered (the scrape reads the registry, not the API's port).
    expect(sampleTotal(scraped, "parts_api_requests_in_flight")).toBe(0);
  });

  it("counts authentication outcomes by reason, once per request", async () => {
    const before = await scrape();
    const outcome = (scraped: PromMetrics, labels: Record<string, string>) =>
      sampleTotal(scraped, "parts_api_auth_outcomes_total", labels) - sampleTotal(before, "parts_api_auth_outcomes_total", labels);
    expect(await send(byIdUrl(1), { token: null })).toBe(401);
    expect(await send(byIdUrl(1), { token: "not-a-jwt" })).toBe(401);
    expect(await send(byIdUrl(1), { token: await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60 }) })).toBe(401);
    expect(await send(byIdUrl(1), { token: null, headers: { authorization: "Basic eDp5" } })).toBe(400);
    expect(await createPart(2, readToken)).toBe(403);
    expect(await send(`/trpc/parts.byId,parts.byId?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { id: 1 }, 1: { id: 1 } }))}`)).toBe(200);
    const scraped = await scrape();
    expect(outcome(scraped, { outcome: "missing" })).toBe(1);
    expect(outcome(scraped, { outcome: "invalid_token", cause: "malformed" })).toBe(1);
    expect(outcome(scraped, { outcome: "invalid_token", cause: "expired" })).toBe(1);
    expect(outcome(scraped, { outcome: "invalid_request" })).toBe(1);
    expect(outcome(scraped, { outcome: "insufficient_scope" })).toBe(1);
    // The reader's token was verified (ok) before its scope fell short; the batch verified once.
    expect(outcome(scraped, { outcome: "ok" })).toBe(2);
  });

  it("reports issuer fetches, the key set's age and verified-token cache hits and misses", async () => {
    const scraped = await scrape();
    expect(sampleTotal(scraped, "parts_api_issuer_fetches_total", { document: "discovery", result: "ok" })).toBe(1);
    expect(sampleTotal(scraped, "parts_api_issuer_fetches_total", { document: "jwks", result: "ok" })).toBeGreaterThanOrEqual(1);
    expect(sampleTotal(scraped, "parts_api_jwks_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(sampleTotal(scraped, "parts_api_jwks_age_seconds")).toBeLessThan(60);
    expect(sampleTotal(scraped, "parts_api_token_cache_lookups_total", { result: "hit" })).toBeGreaterThan(0);
    expect(sampleTotal(scraped, "parts_api_token_cache_lookups_total", { result: "miss" })).toBeGreaterThan(0);
  });

  it("times repository calls by operation and counts the failed ones", async () => {
    const before = await scrape();
    expect(await send(byIdUrl(1))).toBe(200);
    const afterRead = await scrape();
    const byIdCalls = (scraped: PromMetrics) => sampleTotal(scraped, "parts_api_db_query_duration_seconds", { operation: "byId" });
    expect(byIdCalls(afterRead) - byIdCalls(before)).toBe(1);
    expect(sampleTotal(afterRead, "parts_api_db_query_errors_total", { operation: "byId" })).toBe(0);
    // The database closed under the server: the next read fails in the repository.
    database.close();
    expect(await send(byIdUrl(1))).toBeGreaterThanOrEqual(500);
    const afterFailure = await scrape();
    expect(sampleTotal(afterFailure, "parts_api_db_query_errors_total", { operation: "byId" })).toBe(1);
    expect(byIdCalls(afterFailure) - byIdCalls(afterRead)).toBe(1);
  });

  it("serves no /metrics on the API's own port", async () => {
    expect(await send("/metrics", { token: null })).toBe(404);
  });

  it("counts calls refused by a rate limit by policy, and their 429s", async () => {
    const limited = createApiMetrics();
    const ownDatabase = openDatabase(join(dir, "limited.db"));
    const server = createPartsServer({
      database: ownDatabase,
      verifier: createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience }),
      parts: createPartsRepository(ownDatabase.db),
      logger: createLogger("silent"),
      rateLimits: { read: createRateLimiter({ name: "read", spec: { points: 1, windowSeconds: 60, burst: 0 } }) },
      metrics: limited,
    });
    const url = `${await server.listen(0, "127.0.0.1")}/api/parts`;
    try {
      const token = await issuer.sign({ client_id: "limited", sub: "limited", scope: "parts:read" });
      const read = () => fetch(url, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status);
      expect(await read()).toBe(200);
      expect(await read()).toBe(429);
      const scraped = await parseScrape(await limited.registry.metrics());
      expect(sampleTotal(scraped, "parts_api_rate_limited_total", { policy: "read" })).toBe(1);
      expect(sampleTotal(scraped, "parts_api_requests_total", { route: "/api/parts", status: "429" })).toBe(1);
    } finally {
      await server.close(1000);
    }
  });
});
