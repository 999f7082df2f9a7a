export { burstWindowFactor, describeLimitSpec, limitSpec, parseLimitSpec, windowSeconds, type LimitSpec } from "./limit-spec.ts";
export {
  createRateLimiter,
  memoryStore,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitStore,
  type WindowCounter,
} from "./rate-limiter.ts";
export { createPostgresRateLimitStore, rateLimitTable } from "./postgres-store.ts";
export { rateLimitHeaders } from "./headers.ts";
export { enforceRateLimit, RateLimitedError } from "./errors.ts";
export { addressKey, sourceAddress, trustedProxiesFrom, trustedProxiesVariable, type TrustedProxies } from "./source-address.ts";
export { createRateLimiters, throttledStoreErrorReport, type SharedLimiterOptions } from "./limiter-set.ts";
