import type { LimitSpec } from "./limit-spec.ts";
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from "./rate-limiter.ts";

/** What every limiter of a process shares: the store and the two hooks. */
export type SharedLimiterOptions = Pick<RateLimiterOptions, "store" | "storeTimeoutMs" | "onStoreError" | "onRefused">;

/**
 * A limiter for each configured spec, named by its key (`{ read: spec, write: undefined }` → `{ read }`);
 * undefined when none is configured, so a caller with every limit off does no work at all.
 */
export function createRateLimiters<K extends string>(specs: Record<K, LimitSpec | undefined>, shared: SharedLimiterOptions): Partial<Record<K, RateLimiter>> | undefined {
  const entries = (Object.entries(specs) as [K, LimitSpec | undefined][]).flatMap(([name, spec]) =>
    spec ? [[name, createRateLimiter({ name, spec, ...shared })] as const] : [],
  );
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as Partial<Record<K, RateLimiter>>);
}

/**
 * An `onStoreError` that tells `report` at most once per `intervalMs` (default 10 s) with how many failures it
 * stood for: a database outage must not write one log line per request.
 */
export function throttledStoreErrorReport(report: (failure: { error: unknown; failures: number }) => void, intervalMs = 10_000, now = Date.now) {
  let lastAt = -Infinity;
  let failures = 0;
  return (error: unknown) => {
    failures++;
    if (now() - lastAt < intervalMs) return;
    lastAt = now();
    report({ error, failures });
    failures = 0;
  };
}
