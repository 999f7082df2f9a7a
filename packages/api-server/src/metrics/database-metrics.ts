import { fastCounter, fastHistogram, Gauge, type Registry } from "@parts/metrics";
import type { QueryObserver, RepositoryOperation } from "@parts/db";

/** Seconds; a SQLite read takes tens of microseconds, a PostgreSQL round trip a few hundred. */
export const queryDurationBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** The part of a node-postgres pool read at scrape time. */
export interface ObservedPool {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

const operations: readonly RepositoryOperation[] = ["list", "byId", "create", "update", "delete"];

/** Repository call durations by operation and failures by operation; the PostgreSQL pool's clients. */
export function createDatabaseMetrics(registry: Registry) {
  const duration = fastHistogram(registry, {
    name: "parts_api_db_query_duration_seconds",
    help: "Time of each repository call (one query, or one transaction), by operation.",
    labelNames: ["operation"],
    buckets: queryDurationBuckets,
  });
  const failures = fastCounter(registry, {
    name: "parts_api_db_query_errors_total",
    help: "Repository calls that failed (database unavailable, constraint violated, disk error…), by operation.",
    labelNames: ["operation"],
  });

  const children = new Map(operations.map((operation) => [operation, { duration: duration(operation), failures: failures(operation) }]));

  return {
    /**
     * For the engine (`observe` of `createSqlitePartsRepository` / `createPostgresPartsRepository`): the engine
     * times its own calls, so that SQLite's reads, which answer at once, are timed without any promise work.
     */
    observeQuery: ((operation, seconds, failed) => {
      const child = children.get(operation)!;
      child.duration.observe(seconds);
      if (failed) child.failures.inc();
    }) satisfies QueryObserver,
    /** Reports the pool's clients at each scrape (PostgreSQL only; SQLite has no pool). */
    watchPool(pool: ObservedPool): void {
      const readings: [name: string, help: string, read: () => number][] = [
        ["parts_api_db_pool_clients", "Connections the pool holds open, busy and idle.", () => pool.totalCount],
        ["parts_api_db_pool_idle_clients", "Open connections not running a query.", () => pool.idleCount],
        ["parts_api_db_pool_waiting_requests", "Queries waiting for a connection (the pool is at its maximum).", () => pool.waitingCount],
      ];
      for (const [name, help, read] of readings) {
        new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
      }
    },
  };
}
