import { RateLimitedError } from "@parts/rate-limit";
import { appRouter, AuthError, errorResponseHeaders, isDatabaseUnavailable, isVersionConflict, type Context } from "@parts/router";
import { getErrorShape, type TRPCError } from "@trpc/server";
import { problem, type Problem, type ProblemName } from "./problem.ts";

const authProblems = {
  missing_token: "missing-token",
  invalid_request: "invalid-request",
  invalid_token: "invalid-token",
  insufficient_scope: "insufficient-scope",
  issuer_unavailable: "issuer-unavailable",
} as const satisfies Record<AuthError["code"], ProblemName>;

const byCode: Partial<Record<TRPCError["code"], ProblemName>> = {
  BAD_REQUEST: "bad-request",
  NOT_FOUND: "not-found",
  CONFLICT: "conflict",
  PAYLOAD_TOO_LARGE: "payload-too-large",
};

function problemName(error: TRPCError, hasFieldErrors: boolean): ProblemName {
  if (error.cause instanceof AuthError) return authProblems[error.cause.code];
  if (error.cause instanceof RateLimitedError) return "rate-limited";
  if (hasFieldErrors) return "validation-failed";
  if (isDatabaseUnavailable(error)) return "database-unavailable";
  // The version If-Match named is no longer the part's: HTTP's answer is 412, not tRPC's 409.
  if (isVersionConflict(error)) return "precondition-failed";
  // Anything unexpected is a 500 whose detail says no more than that (the formatter already hides the message).
  return byCode[error.code] ?? "internal-error";
}

/**
 * A procedure's failure as the problem a REST caller gets, with the response headers a tRPC caller would get
 * (`WWW-Authenticate`, `Retry-After`). Message and field errors come from the router's own error formatter, so
 * they are the bounded, path- and stack-free texts `/trpc` answers.
 */
export function problemFromTrpcError(error: TRPCError, call: { path: string; input: unknown; ctx: Context | undefined; type: "query" | "mutation" }) {
  const shape = getErrorShape({ config: appRouter._def._config, error, ...call });
  const fieldErrors = shape.data.zodError?.fieldErrors;
  const formErrors = shape.data.zodError?.formErrors ?? [];
  const hasFieldErrors = shape.data.zodError !== null && (formErrors.length > 0 || Object.keys(fieldErrors ?? {}).length > 0);
  const name = problemName(error, hasFieldErrors);
  const detail = name === "internal-error" ? "Internal server error" : shape.message;
  const body: Problem = problem(name, detail, name === "validation-failed" ? fieldErrors : undefined);
  return { body, headers: errorResponseHeaders([error]) };
}
