import type pg from "pg";
import { RateLimiterPostgres } from "rate-limiter-flexible";
import type { RateLimitStore } from "./rate-limiter.ts";

/** The one table every limiter of a database shares; rows are keyed `<limiter prefix>:<key>`. */
export const rateLimitTable = "rate_limit_counters";

/**
 * Counters in PostgreSQL, shared by every process on the same database: one `INSERT … ON CONFLICT DO UPDATE …
 * RETURNING` per request (rate-limiter-flexible's RateLimiterPostgres), atomic across replicas.
 *
 * The library would create its table itself, asynchronously from its constructor, failing requests with "Table
 * is not created yet" until then and throwing an unhandled rejection if it cannot; here the same table (the
 * library's own columns) is created once, awaited at start-up, and the limiters are told it exists. `IF NOT
 * EXISTS` makes concurrent starts safe, except for a race PostgreSQL reports as 23505 on its catalog, which means
 * another process created it.
 */
export async function createPostgresRateLimitStore(pool: pg.Pool): Promise<RateLimitStore> {
  try {
    await pool.query(`CREATE TABLE IF NOT EXISTS "${rateLimitTable}" (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "23505") throw error;
  }
  return {
    kind: "postgres",
    counter: ({ keyPrefix, points, windowSeconds }) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: "pool",
        tableName: rateLimitTable,
        tableCreated: true,
        keyPrefix,
        points,
        duration: windowSeconds,
        // Expired rows are deleted by the library every 5 minutes (an unref'd timer), an hour after they expire.
        clearExpiredByTimeout: true,
      }),
  };
}
