import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresRateLimitStore, rateLimitTable } from "./postgres-store.ts";
import { createRateLimiter } from "./rate-limiter.ts";

let server: TestPostgres;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await server?.stop();
});

function pool(url: string) {
  const made = new pg.Pool({ connectionString: url, max: 2 });
  pools.push(made);
  return made;
}

describe("createPostgresRateLimitStore", () => {
  it("shares one limit between two processes' pools on the same database", async () => {
    const url = await server.createDatabase();
    // Two "replicas": separate pools, separate limiters, created concurrently (both create the table).
    const [storeA, storeB] = await Promise.all([createPostgresRateLimitStore(pool(url)), createPostgresRateLimitStore(pool(url))]);
    const spec = { points: 5, windowSeconds: 60, burst: 2 };
    const a = createRateLimiter({ name: "read", spec, store: storeA });
    const b = createRateLimiter({ name: "read", spec, store: storeB });
    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consume("client-a")));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(7);
    expect((await a.consume("client-b")).allowed).toBe(true);
    const rows = await pool(url).query<{ key: string }>(`select key from "${rateLimitTable}" order by key`);
    expect(rows.rows.map((row) => row.key)).toEqual(["parts-read-burst:client-a", "parts-read:client-a", "parts-read:client-b"]);
  });

  it("creates its table once however many processes start together on a fresh database", async () => {
    // CREATE TABLE IF NOT EXISTS alone is not safe against itself: a session that loses the race fails on the
    // catalog ("type … already exists"), which stopped an issuer that started beside an API server.
    for (let round = 0; round < 5; round++) {
      const url = await server.createDatabase();
      const starts = await Promise.allSettled(Array.from({ length: 8 }, () => createPostgresRateLimitStore(pool(url))));
      expect(starts.filter((start) => start.status === "rejected")).toEqual([]);
    }
  });

  it("falls back to counting in memory while the database is unreachable", async () => {
    const url = await server.createDatabase();
    const shared = pool(url);
    const store = await createPostgresRateLimitStore(shared);
    const errors: unknown[] = [];
    const limiter = createRateLimiter({ name: "write", spec: { points: 2, windowSeconds: 60, burst: 0 }, store, onStoreError: (e) => errors.push(e) });
    await shared.end();
    pools.splice(pools.indexOf(shared), 1);
    const allowed = [];
    for (let i = 0; i < 3; i++) allowed.push((await limiter.consume("client-a")).allowed);
    expect(allowed).toEqual([true, true, false]);
    expect(errors.length).toBe(3);
  });
});
