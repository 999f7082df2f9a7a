import { burstWindowFactor } from "./limit-spec.ts";
import type { RateLimitDecision } from "./rate-limiter.ts";

/**
 * The response fields of a refusal: `Retry-After` (RFC 9110) and the IETF RateLimit fields in the syntax of
 * draft-ietf-httpapi-ratelimit-headers-10 (structured-field lists): `RateLimit-Policy: "read";q=600;w=60` names
 * each quota policy (q = quota, w = window in seconds; the burst allowance is a policy of its own) and
 * `RateLimit: "read";r=0;t=42` gives what is left of the policy that limits now (r = remaining, t = seconds until
 * it resets).
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const { policy, spec } = decision;
  const policies = [`"${policy}";q=${spec.points};w=${spec.windowSeconds}`];
  if (spec.burst > 0) policies.push(`"${policy}-burst";q=${spec.burst};w=${spec.windowSeconds * burstWindowFactor}`);
  return {
    "retry-after": String(decision.resetSeconds),
    "ratelimit-policy": policies.join(", "),
    ratelimit: `"${policy}";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}
