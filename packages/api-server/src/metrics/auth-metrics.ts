import { fastCounter, type Registry } from "@parts/metrics";
import { RateLimitedError } from "@parts/rate-limit";
import { AuthError, type AuthOutcomes } from "@parts/router";
import type { TRPCError } from "@trpc/server";

/** The `outcome` label per AuthError code: the reasons issue 14 names, with `ok` for a verified caller. */
const outcomeOf = {
  missing_token: "missing",
  invalid_request: "invalid_request",
  invalid_token: "invalid_token",
  insufficient_scope: "insufficient_scope",
  issuer_unavailable: "keys_unavailable",
} as const;

/**
 * The `cause` label of an invalid token, from the verifier's descriptions (stable texts, listed in
 * docs/api.md); a description not listed here is `other`, so a new one never adds an unbounded label value.
 */
const invalidTokenCauses = new Map([
  ["token expired", "expired"],
  ["token not yet valid", "not_yet_valid"],
  ["token issued in the future", "issued_in_future"],
  ["issuer mismatch", "issuer"],
  ["audience mismatch", "audience"],
  ["token type must be at+jwt", "type"],
  ["algorithm not allowed", "algorithm"],
  ["signature verification failed", "signature"],
  ["no matching signing key", "unknown_key"],
  ["unsupported token header", "unsupported_header"],
  ["malformed token", "malformed"],
  ["token names no client", "no_client"],
  ["sender-constrained tokens (cnf) are not accepted; request a Bearer token", "sender_constrained"],
]);

/** `missing "exp" claim` and `"x" claim check failed` name a claim: one label value each, not one per claim. */
function invalidTokenCause(description: string): string {
  const known = invalidTokenCauses.get(description);
  if (known !== undefined) return known;
  if (description.startsWith("missing ") && description.endsWith(" claim")) return "missing_claim";
  if (description.endsWith(" claim check failed")) return "claim";
  return "other";
}

/**
 * [outcome, cause] of a failed authentication; `cause` is empty except for invalid tokens. The per-address limit
 * on signature checks refuses before the token is checked: `rate_limited`.
 */
export function authFailureLabels(error: unknown): [string, string] {
  if (error instanceof RateLimitedError) return ["rate_limited", ""];
  if (!(error instanceof AuthError)) return ["error", ""];
  return [outcomeOf[error.code], error.code === "invalid_token" ? invalidTokenCause(error.description) : ""];
}

/**
 * Authentication outcomes: each request that authenticates counts once (a batch verifies its token once), with
 * `ok` or the reason it failed; a verified caller without the procedure's scope counts as `insufficient_scope`.
 */
export function createAuthMetrics(registry: Registry) {
  const outcomes = fastCounter(registry, {
    name: "parts_api_auth_outcomes_total",
    help: "Authentication outcomes: ok, or the reason the request was refused (cause: which check an invalid token failed).",
    labelNames: ["outcome", "cause"],
  });
  const ok = outcomes("ok");
  const insufficientScope = outcomes("insufficient_scope");
  const rateLimited = fastCounter(registry, {
    name: "parts_api_rate_limited_total",
    help: "Calls refused by a rate limit (429), by policy: read, write, address (unauthenticated, per source address).",
    labelNames: ["policy"],
  });

  return {
    /** For the context (`ContextDeps.authOutcomes`): told once per request, in the request's own promise chain. */
    outcomes: {
      verified: () => ok.inc(),
      refused(error: unknown) {
        const [outcome, cause] = authFailureLabels(error);
        outcomes(outcome, cause).inc();
      },
    } satisfies AuthOutcomes,
    /**
     * Told of every failed procedure call: the scope check is the one auth failure decided after authentication,
     * and rate limits refuse calls (each call of a batch counts).
     */
    callFailed(error: TRPCError): void {
      const cause = error.cause;
      if (cause instanceof AuthError && cause.code === "insufficient_scope") insufficientScope.inc();
      else if (cause instanceof RateLimitedError) rateLimited(cause.decision.policy).inc();
    },
  };
}
