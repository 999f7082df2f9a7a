import { createMetricsRegistry, type Registry } from "@parts/metrics";
import { createAuthMetrics } from "./auth-metrics.ts";
import { createDatabaseMetrics } from "./database-metrics.ts";
import { createIssuerKeyMetrics } from "./issuer-key-metrics.ts";
import { createRequestMetrics } from "./request-metrics.ts";

/**
 * The API server's metrics in a registry of their own (docs/operations.md, "Metrics"). `createPartsServer`
 * counts requests, authentication and repository calls with them; the host passes `issuerKeys.fetch` to the
 * token verifier and, on PostgreSQL, `database.watchPool(pool)`.
 */
export function createApiMetrics(registry: Registry = createMetricsRegistry()) {
  return {
    registry,
    requests: createRequestMetrics(registry),
    auth: createAuthMetrics(registry),
    database: createDatabaseMetrics(registry),
    issuerKeys: createIssuerKeyMetrics(registry),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
