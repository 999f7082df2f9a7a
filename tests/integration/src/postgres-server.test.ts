/**
 * The real server process on PostgreSQL (DATABASE_URL pointing at a throwaway server from @parts/test-postgres):
 * CRUD over HTTP, readiness, and a PostgreSQL restart under a loop of reads: while the database is down every
 * answer is a quick 503 with Retry-After (never a 500, never a hang) and /readyz is 503; once it is back, reads
 * succeed again without restarting the API server.
 */
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFor, type Json } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let postgres: TestPostgres;
let issuer: FakeIssuer;
let server: ServerProcess;
let api: ReturnType<typeof clientFor>;
let token: string;
const connectTimeoutMs = 1000;
/** Longer than any answer may take: a request still open after this counts as a hang. */
const requestBoundMs = 5000;

beforeAll(async () => {
  // fsync off: this suite tests availability, not durability.
  // Local even with PARTS_TEST_DATABASE_URL set: the test restarts the server.
  postgres = await startTestPostgres({ fsyncOff: true, local: true });
  issuer = await startFakeIssuer();
  server = await startServer({
    issuer: issuer.issuer,
    audience: issuer.audience,
    env: { DATABASE_URL: await postgres.createDatabase(), DATABASE_CONNECT_TIMEOUT_MS: String(connectTimeoutMs) },
  });
  token = await issuer.sign({}, { expiresIn: 3600 });
  api = clientFor(server.url, token);
});
afterAll(async () => {
  await disposeServer(server);
  await issuer?.close();
  await postgres?.stop();
});

interface Sample {
  /** ms since the restart began. */
  at: number;
  /** HTTP status, or 0 when the request failed or outlived `requestBoundMs`. */
  status: number;
  retryAfter: string | null;
  body: Json | undefined;
  durationMs: number;
}

/** One bounded GET; never throws. */
async function sample(url: string, since: number, headers: Record<string, string> = {}): Promise<Sample> {
  const started = performance.now();
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(requestBoundMs) });
    const body = (await response.json()) as Json;
    return { at: started - since, status: response.status, retryAfter: response.headers.get("retry-after"), body, durationMs: performance.now() - started };
  } catch {
    return { at: started - since, status: 0, retryAfter: null, body: undefined, durationMs: performance.now() - started };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the API server on PostgreSQL", () => {
  it("serves every procedure over HTTP and is ready", async () => {
    expect(server.logs.find((line) => line.msg === "database open")).toMatchObject({ engine: "postgres", poolMax: 10 });
    const created = await api.mutation("parts.create", { partNumber: "PG-1", modelNumber: "M-1", name: "Hex bolt", description: "steel" });
    expect(created.status).toBe(200);
    const id = created.body.result.data.id as number;
    expect(created.body.result.data).toMatchObject({ id, partNumber: "PG-1", description: "steel" });
    expect((await api.query("parts.byId", { id })).body.result.data).toEqual(created.body.result.data);
    expect((await api.query("parts.list", { q: "hex" })).body.result.data.items).toEqual([created.body.result.data]);
    const updated = await api.mutation("parts.update", { id, name: "Renamed" });
    expect(updated.body.result.data.name).toBe("Renamed");
    const duplicate = await api.mutation("parts.create", { partNumber: "pg-1", modelNumber: "M-2", name: "Copy" });
    expect(duplicate.status).toBe(409);
    expect((await api.mutation("parts.delete", { id })).body.result.data).toEqual({ id });
    expect((await api.query("parts.byId", { id })).status).toBe(404);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ database: true, issuerKeys: true });
  });

  it("answers 503 + Retry-After while PostgreSQL restarts, /readyz 503, and recovers by itself", async () => {
    const created = await api.mutation("parts.create", { partNumber: "PG-RESTART", modelNumber: "M-1", name: "Survivor" });
    const id = created.body.result.data.id as number;
    const byIdUrl = `${server.url}/trpc/parts.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`;
    const authorization = { authorization: `Bearer ${token}` };
    const downMs = 3000;

    const since = performance.now();
    let running = true;
    const reads: Sample[] = [];
    const probes: Sample[] = [];
    const readLoop = (async () => {
      while (running) {
        reads.push(await sample(byIdUrl, since, authorization));
        await sleep(25);
      }
    })();
    const probeLoop = (async () => {
      while (running) {
        probes.push(await sample(`${server.url}/readyz`, since));
        await sleep(100);
      }
    })();

    await sleep(300);
    const restartAt = performance.now() - since;
    await postgres.restart({ downMs });
    const upAt = performance.now() - since;
    // Keep reading until a read after the restart has succeeded (bounded), then a little longer.
    for (let waited = 0; waited < 15_000 && !reads.some((s) => s.at > upAt && s.status === 200); waited += 50) await sleep(50);
    await sleep(500);
    running = false;
    await Promise.all([readLoop, probeLoop]);

    // Never a 500, never a hang: every answer is 200 or 503, each well within the bound.
    expect(new Set(reads.map((s) => s.status))).toEqual(new Set([200, 503]));
    expect(probes.every((s) => s.status === 200 || s.status === 503)).toBe(true);
    expect(Math.max(...reads.map((s) => s.durationMs), ...probes.map((s) => s.durationMs))).toBeLessThan(connectTimeoutMs + 1500);

    // The reads go 200 → 503 → 200: once the first 503 came, every answer is 503 until the first success again.
    const firstDown = reads.findIndex((s) => s.status === 503);
    const firstBack = reads.findIndex((s, i) => i > firstDown && s.status === 200);
    expect(firstDown).toBeGreaterThan(0);
    expect(firstBack).toBeGreaterThan(firstDown);
    expect(reads.slice(0, firstDown).every((s) => s.status === 200 && s.at < upAt)).toBe(true);
    for (const s of reads.slice(firstDown, firstBack)) {
      expect(s).toMatchObject({ status: 503, retryAfter: "1" });
      expect(s.body?.error.data.code).toBe("SERVICE_UNAVAILABLE");
    }
    expect(reads.slice(firstBack).every((s) => s.status === 200 && s.body?.result.data.id === id)).toBe(true);
    // Down for most of `downMs`: many refused reads, not one unlucky request.
    expect(firstBack - firstDown).toBeGreaterThan(10);

    // /readyz saw the database down, and ready again by the end.
    expect(probes.some((s) => s.status === 503 && s.body?.database === false && s.at > restartAt && s.at < upAt)).toBe(true);
    expect(probes.at(-1)).toMatchObject({ status: 200, body: { database: true, issuerKeys: true } });

    // Writes work again too, and it is the same server process throughout.
    expect((await api.mutation("parts.update", { id, name: "Still here" })).status).toBe(200);
    expect(server.alive()).toBe(true);

    const timeTo503 = reads[firstDown]!.at - restartAt;
    const window = reads[firstBack]!.at - reads[firstDown]!.at;
    const lastRefusedToBack = reads[firstBack]!.at - reads[firstBack - 1]!.at;
    const slowest503 = Math.max(...reads.slice(firstDown, firstBack).map((s) => s.durationMs));
    console.log(
      `postgres restart (down ${downMs} ms, restart() took ${(upAt - restartAt).toFixed(0)} ms): first 503 ${timeTo503.toFixed(0)} ms after it began; ` +
        `${firstBack - firstDown} reads answered 503 over ${window.toFixed(0)} ms (slowest ${slowest503.toFixed(0)} ms); ` +
        `first 200 ${lastRefusedToBack.toFixed(0)} ms after the last 503, ${(reads[firstBack]!.at - upAt).toFixed(0)} ms from restart() resolving`,
    );
  });
});
