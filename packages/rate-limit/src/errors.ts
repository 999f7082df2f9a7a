import { rateLimitHeaders } from "./headers.ts";
import type { RateLimitDecision, RateLimiter } from "./rate-limiter.ts";

/** A request refused by a limit: HTTP 429 with `headers`. Its message names the policy, never the key. */
export class RateLimitedError extends Error {
  readonly code = "rate_limited";
  readonly status = 429;

  constructor(readonly decision: RateLimitDecision) {
    super(`rate limit "${decision.policy}" exceeded; retry after ${decision.resetSeconds} s`);
    this.name = "RateLimitedError";
  }

  get headers(): Record<string, string> {
    return rateLimitHeaders(this.decision);
  }
}

/** Counts one request (or `points`) against `key`, and throws `RateLimitedError` when the limit refuses it. */
export async function enforceRateLimit(limiter: RateLimiter, key: string, points = 1): Promise<void> {
  const decision = await limiter.consume(key, points);
  if (!decision.allowed) throw new RateLimitedError(decision);
}
