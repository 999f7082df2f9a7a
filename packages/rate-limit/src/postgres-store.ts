import type pg from "pg";
import { RateLimiterPostgres } from "rate-limiter-flexible";
import type { RateLimitStore } from "./rate-limiter.ts";

/** The one table every limiter of a database shares; rows are keyed `<limiter prefix>:<key>`. */
export const rateLimitTable = "rate_limit_counters";

/**
 * Held while the table is created: an advisory lock key in PostgreSQL's two-key space, in this package's own
 * namespace ("rate"; the parts and issuer databases' keys live in theirs, see @parts/db's postgres/locks.ts).
 */
const tableCreationLock = [0x72617465, 1] as const;

/**
 * Counters in PostgreSQL, shared by every process on the same database: one `INSERT … ON CONFLICT DO UPDATE …
 * RETURNING` per request (rate-limiter-flexible's RateLimiterPostgres), atomic across replicas.
 *
 * The library would create its table itself, asynchronously from its constructor, failing requests with "Table
 * is not created yet" until then and throwing an unhandled rejection if it cannot; here the same table (the
 * library's own columns) is created once, awaited at start-up, and the limiters are told it exists.
 */
export async function createPostgresRateLimitStore(pool: pg.Pool): Promise<RateLimitStore> {
  await createTable(pool);
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

/**
 * `CREATE TABLE IF NOT EXISTS` is not safe against itself: sessions creating the same table at once all pass the
 * existence check, and all but one fail on the catalog ("type … already exists", 42710, or 23505). That stopped
 * an issuer starting beside an API server on a fresh database. Under a transaction's advisory lock the creations
 * run one after another, and each after the first finds the table. The two statements go as one simple query,
 * which PostgreSQL runs as one transaction: the lock is held until the table exists, and a failure rolls back.
 */
async function createTable(pool: pg.Pool): Promise<void> {
  const [namespace, key] = tableCreationLock;
  await pool.query(
    `SELECT pg_advisory_xact_lock(${namespace}, ${key}); ` +
      `CREATE TABLE IF NOT EXISTS "${rateLimitTable}" (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`,
  );
}
