/**
 * Prometheus metrics of real processes: an issuer and two parts servers (SQLite and PostgreSQL) with their
 * metrics listeners on, scraped and parsed by a text-format parser (prom2javascript) before and after calls,
 * including authentication failures, a token refusal, a registration, a key rotation, a 429 and a database error (the
 * SQLite file made immutable, as in disk-faults.test.ts: needs root, as CI has). Also: the dashboard and alert
 * rules in docs/operations/ name only metrics these scrapes carry.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scrape, sampleTotal, type PromMetrics } from "@parts/metrics/scrape";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./harness/http.ts";
import { eventually, fetchToken, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

const registrationToken = "metrics-test-registration-token-0123456789";
const operationsDocs = new URL("../../../docs/operations/", import.meta.url);

let dir: string;
let postgres: TestPostgres;
let issuer: IssuerProcess;
let issuerMetrics: string;
let sqliteServer: ServerProcess;
let postgresServer: ServerProcess;
let client: { clientId: string; clientSecret?: string };
const immutable: string[] = [];

/** The metrics listener's URL from the process's "metrics listening" log line. */
const metricsUrlOf = (server: ServerProcess) => String(server.logs.find((line) => line.msg === "metrics listening")!.url).replace(/\/metrics$/, "");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parts-it-metrics-"));
  postgres = await startTestPostgres({ fsyncOff: true, local: true });
  const issuerDb = join(dir, "issuer.db");
  const issuerMetricsPort = await freePort();
  issuer = await startIssuerProcess({
    port: await freePort(),
    databaseFile: issuerDb,
    env: { ISSUER_METRICS_PORT: String(issuerMetricsPort), REGISTRATION_TOKEN: registrationToken },
  });
  issuerMetrics = `http://127.0.0.1:${issuerMetricsPort}`;
  const admin = await openIssuerAdmin({ databaseFile: issuerDb, accessTokenTtl: 600 });
  client = await admin.clients.create({ name: "metrics", scope: "parts:read parts:write" });
  admin.close();
  [sqliteServer, postgresServer] = await Promise.all([
    startServer({ issuer: issuer.url, databaseFile: join(dir, "parts.db"), env: { METRICS_PORT: "0" } }),
    // Reads limited here (only writes in the test before the 429 one): 3 per minute per client.
    startServer({ issuer: issuer.url, env: { METRICS_PORT: "0", DATABASE_URL: await postgres.createDatabase(), RATE_LIMIT_READ: "3/minute" } }),
  ]);
});
afterAll(async () => {
  for (const file of immutable) execFileSync("chattr", ["-i", file]);
  await disposeServer(sqliteServer);
  await disposeServer(postgresServer);
  await issuer?.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const byId = (base: string, id: number, token: string | null) => call(base, "query", "parts.byId", { id }, token);
const create = (base: string, n: string, token: string) => call(base, "mutation", "parts.create", { partNumber: n, modelNumber: "MET", name: n }, token);

/** `after - before` of a metric's matching samples (histograms: their observation counts). */
const moved = (before: PromMetrics, after: PromMetrics, name: string, labels: Record<string, string> = {}) =>
  sampleTotal(after, name, labels) - sampleTotal(before, name, labels);

describe("metrics of real processes", () => {
  it("are served on their own listeners only: /metrics on the API's and the issuer's own ports is 404", async () => {
    expect((await fetch(`${sqliteServer.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${issuer.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${metricsUrlOf(sqliteServer)}/metrics`)).status).toBe(200);
    expect((await fetch(`${issuerMetrics}/metrics`)).status).toBe(200);
    expect(metricsUrlOf(sqliteServer)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("move as calls are made: requests, auth failures, token cache, issuer fetches, database calls and errors, pool, tokens, registrations, keys", async () => {
    const api = metricsUrlOf(sqliteServer);
    const pg = metricsUrlOf(postgresServer);
    const [apiBefore, pgBefore, issuerBefore] = await Promise.all([scrape(api), scrape(pg), scrape(issuerMetrics)]);

    // Issuer: two tokens, a refused token request, a registration.
    const writeToken = await fetchToken(issuer.url, client, "parts:read parts:write");
    const readToken = await fetchToken(issuer.url, client, "parts:read");
    await expect(fetchToken(issuer.url, { clientId: client.clientId, clientSecret: "wrong" }, "parts:read")).rejects.toThrow(/401/);
    const registered = await fetch(`${issuer.url}/reg`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${registrationToken}` },
      body: JSON.stringify({ client_name: "registered", grant_types: ["client_credentials"], response_types: [], scope: "parts:read" }),
    });
    expect(registered.status).toBe(201);

    // API on SQLite: successes on the lean path, through tRPC's adapter and REST; auth failures; a database error.
    const created = await create(sqliteServer.url, "MET-1", writeToken);
    expect(created.status).toBe(200);
    const id = created.body.result.data.id as number;
    expect((await byId(sqliteServer.url, id, writeToken)).status).toBe(200);
    expect((await fetch(`${sqliteServer.url}/api/parts/${id}`, { headers: { authorization: `Bearer ${writeToken}` } })).status).toBe(200);
    expect((await byId(sqliteServer.url, id, null)).status).toBe(401);
    expect((await byId(sqliteServer.url, id, "not.a.token")).status).toBe(401);
    expect((await create(sqliteServer.url, "MET-2", readToken)).status).toBe(403);
    const files = [sqliteServer.databaseFile, `${sqliteServer.databaseFile}-wal`];
    execFileSync("chattr", ["+i", ...files]);
    immutable.push(...files);
    expect((await create(sqliteServer.url, "MET-3", writeToken)).status).toBe(500);
    execFileSync("chattr", ["-i", ...files]);
    immutable.length = 0;

    // API on PostgreSQL: its pool opens connections.
    expect((await create(postgresServer.url, "MET-PG", writeToken)).status).toBe(200);

    // A key rotation by the operator CLI's store, taken up by the running issuer within a second.
    const admin = await openIssuerAdmin({ databaseFile: join(dir, "issuer.db"), accessTokenTtl: 600 });
    await admin.keys.rotate();
    admin.close();
    expect(await eventually(async () => sampleTotal(await scrape(issuerMetrics), "parts_issuer_key_rotations_total") === 1, 10_000)).toBe(true);

    const [apiAfter, pgAfter, issuerAfter] = await Promise.all([scrape(api), scrape(pg), scrape(issuerMetrics)]);
    const apiMoved = (name: string, labels?: Record<string, string>) => moved(apiBefore, apiAfter, name, labels);
    expect(apiMoved("parts_api_requests_total", { route: "parts.byId", method: "GET", status: "200" })).toBe(1);
    expect(apiMoved("parts_api_requests_total", { route: "/api/parts/{id}", method: "GET", status: "200" })).toBe(1);
    expect(apiMoved("parts_api_requests_total", { route: "parts.create", status: "500" })).toBe(1);
    expect(apiMoved("parts_api_request_duration_seconds", { route: "parts.create", method: "POST" })).toBe(3);
    expect(apiAfter.parts_api_requests_in_flight?.type).toBe("gauge");
    expect(apiMoved("parts_api_auth_outcomes_total", { outcome: "missing" })).toBe(1);
    expect(apiMoved("parts_api_auth_outcomes_total", { outcome: "invalid_token", cause: "malformed" })).toBe(1);
    expect(apiMoved("parts_api_auth_outcomes_total", { outcome: "insufficient_scope" })).toBe(1);
    expect(apiMoved("parts_api_auth_outcomes_total", { outcome: "ok" })).toBe(5);
    expect(apiMoved("parts_api_token_cache_lookups_total", { result: "miss" })).toBeGreaterThanOrEqual(2);
    expect(apiMoved("parts_api_token_cache_lookups_total", { result: "hit" })).toBeGreaterThanOrEqual(1);
    expect(sampleTotal(apiAfter, "parts_api_issuer_fetches_total", { document: "jwks", result: "ok" })).toBeGreaterThanOrEqual(1);
    expect(sampleTotal(apiAfter, "parts_api_jwks_age_seconds")).toBeLessThan(600);
    expect(apiMoved("parts_api_db_query_duration_seconds", { operation: "create" })).toBe(2);
    expect(apiMoved("parts_api_db_query_errors_total", { operation: "create" })).toBe(1);
    expect(moved(pgBefore, pgAfter, "parts_api_db_query_duration_seconds", { operation: "create" })).toBe(1);
    expect(sampleTotal(pgAfter, "parts_api_db_pool_clients")).toBeGreaterThanOrEqual(1);
    expect(sampleTotal(pgAfter, "parts_api_db_pool_idle_clients")).toBeGreaterThanOrEqual(1);
    expect(pgAfter.parts_api_db_pool_waiting_requests?.data[0]?.labels).toEqual({});
    expect(apiMoved("process_cpu_seconds_total")).toBeGreaterThan(0);

    const issuerMoved = (name: string, labels?: Record<string, string>) => moved(issuerBefore, issuerAfter, name, labels);
    expect(issuerMoved("parts_issuer_tokens_issued_total", { client: client.clientId, scope: "parts:read parts:write" })).toBe(1);
    expect(issuerMoved("parts_issuer_tokens_issued_total", { client: client.clientId, scope: "parts:read" })).toBe(1);
    expect(issuerMoved("parts_issuer_token_failures_total", { error: "invalid_client" })).toBe(1);
    expect(issuerMoved("parts_issuer_registrations_total", { result: "created" })).toBe(1);
    expect(issuerMoved("parts_issuer_key_rotations_total")).toBe(1);
    expect(sampleTotal(issuerAfter, "parts_issuer_signing_key_age_seconds")).toBeLessThan(60);
    expect(issuerAfter.nodejs_eventloop_lag_p99_seconds?.type).toBe("gauge");
  });

  it("count a call refused by a rate limit (429) under its policy and status", async () => {
    const pg = metricsUrlOf(postgresServer);
    const before = await scrape(pg);
    const token = await fetchToken(issuer.url, client, "parts:read");
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await byId(postgresServer.url, 1, token)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const after = await scrape(pg);
    expect(moved(before, after, "parts_api_rate_limited_total", { policy: "read" })).toBe(1);
    expect(moved(before, after, "parts_api_requests_total", { route: "parts.byId", status: "429" })).toBe(1);
  });

  it("carry every metric the Grafana dashboard and the Prometheus alert rules in docs/operations/ name", async () => {
    const [api, pg, issuerScrape] = await Promise.all([scrape(metricsUrlOf(sqliteServer)), scrape(metricsUrlOf(postgresServer)), scrape(issuerMetrics)]);
    const served = new Set([...Object.keys(api), ...Object.keys(pg), ...Object.keys(issuerScrape)]);
    for (const file of ["grafana-dashboard.json", "prometheus-alerts.yml"]) {
      const text = readFileSync(new URL(file, operationsDocs), "utf8");
      const named = new Set([...text.matchAll(/\b(?:parts_(?:api|issuer)|process|nodejs)_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, "")));
      expect(named.size, file).toBeGreaterThan(5);
      expect([...named].filter((name) => !served.has(name)), file).toEqual([]);
    }
    // The dashboard is JSON Grafana can import: panels with PromQL targets.
    const dashboard = JSON.parse(readFileSync(new URL("grafana-dashboard.json", operationsDocs), "utf8")) as { panels: { targets: { expr: string }[] }[] };
    expect(dashboard.panels.every((panel) => panel.targets.length > 0 && panel.targets.every((target) => target.expr.length > 0))).toBe(true);
  });
});
