import { addressKey, enforceRateLimit, type RateLimiter } from "@parts/rate-limit";
import { Scopes, type Scope } from "./auth/scopes.ts";

/**
 * The API's limits; each one is off when absent. `read` and `write` count calls per verified client id, by the
 * scope class of the procedure called (a batch counts each call); `address` counts, per source address, the
 * requests whose token is not already verified, before its signature is checked: a flood of forged or fresh
 * tokens costs at most that many signature checks.
 */
export interface ApiRateLimits {
  read?: RateLimiter;
  write?: RateLimiter;
  address?: RateLimiter;
}

/** Counts one call of a procedure needing `scope` by `clientId`; throws `RateLimitedError` over the limit. */
export function limitCall(limits: ApiRateLimits | undefined, scope: Scope, clientId: string): Promise<void> | undefined {
  const limiter = scope === Scopes.write ? limits?.write : limits?.read;
  return limiter && enforceRateLimit(limiter, clientId);
}

/** The hook the verifier runs before a signature check, or undefined without an address limit. */
export function limitVerification(limits: ApiRateLimits | undefined, sourceAddress: () => string | undefined) {
  const limiter = limits?.address;
  if (!limiter) return undefined;
  return () => enforceRateLimit(limiter, addressKey(sourceAddress() ?? "unknown"));
}
