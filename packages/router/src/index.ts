import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root.ts";

export { appRouter, type AppRouter } from "./root.ts";
export { createCallerFactory, type ProcedureMeta } from "./trpc.ts";
export { procedureScope } from "./procedure-scope.ts";
export { createContext, type AuditEvent, type AuthOutcomes, type Context, type ContextDeps, type RequestFacts } from "./context.ts";
export { limitCall, limitVerification, type ApiRateLimits } from "./rate-limits.ts";
export { databaseRetryAfterSeconds, errorResponseHeaders, isDatabaseUnavailable, isVersionConflict } from "./http.ts";
export { requestLimits } from "./limits/request-limits.ts";
export { enforceRequestBudget, requestCost, type PendingCall, type RequestCost } from "./limits/request-budget.ts";
export { AuthError, wwwAuthenticate, type AuthErrorCode, type AuthErrorOptions } from "./auth/errors.ts";
export { Scopes, scopesOf, type Scope } from "./auth/scopes.ts";
export {
  createTokenVerifier,
  defaultAlgorithms,
  type Principal,
  type TokenVerifier,
  type TokenVerifierOptions,
} from "./auth/verifier.ts";
export { CreatePartInput, DeletePartInput, ListPartsInput, ListPartsOutput, Part, UpdatePartInput, PartIdInput } from "./schemas/part.ts";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
