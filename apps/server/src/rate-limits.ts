import type { Logger } from "@parts/api-server";
import { createPostgresRateLimitStore, createRateLimiters, describeLimitSpec, memoryStore, throttledStoreErrorReport, type SharedLimiterOptions } from "@parts/rate-limit";
import type { ApiRateLimits } from "@parts/router";
import type { ServerConfig } from "./config.ts";

type Pool = Parameters<typeof createPostgresRateLimitStore>[0];

/**
 * The configured limits, counted in PostgreSQL when the parts live there (one count for every replica on the
 * database) and in this process otherwise; undefined when every limit is off. `onRefused` is the hook for a
 * "refused by rate limit" metric.
 */
export async function createApiRateLimits(
  config: ServerConfig,
  pool: Pool | undefined,
  logger: Logger,
  onRefused?: SharedLimiterOptions["onRefused"],
): Promise<ApiRateLimits | undefined> {
  const specs = { read: config.RATE_LIMIT_READ, write: config.RATE_LIMIT_WRITE, address: config.RATE_LIMIT_UNAUTHENTICATED };
  if (!Object.values(specs).some(Boolean)) return undefined;
  const store = pool ? await createPostgresRateLimitStore(pool) : memoryStore;
  const onStoreError = throttledStoreErrorReport(({ error, failures }) =>
    logger.warn(
      { code: (error as { code?: unknown }).code, reason: (error as Error).message, failures },
      "rate-limit store unavailable; each process counts its own requests until it answers again",
    ),
  );
  const limits = createRateLimiters(specs, { store, onStoreError, onRefused });
  logger.info(
    {
      store: store.kind,
      ...Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, spec ? describeLimitSpec(spec) : "off"])),
      trustedProxies: config.TRUSTED_PROXIES ? "set" : "none",
    },
    "rate limits on",
  );
  return limits;
}
