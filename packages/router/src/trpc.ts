import { RateLimitedError } from "@parts/rate-limit";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { AuthError } from "./auth/errors.ts";
import type { Scope } from "./auth/scopes.ts";
import type { Principal } from "./auth/verifier.ts";
import type { Context } from "./context.ts";
import { limitCall } from "./rate-limits.ts";
import { boundedFieldErrors, truncate, validationMessage } from "./validation-summary.ts";

/** Longest message an error carries; field errors are bounded separately. */
const maxErrorMessageLength = 500;

const trpcCodeFor = { 400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 503: "SERVICE_UNAVAILABLE" } as const;

/** Static facts about a procedure, readable without calling it (the REST layer and OpenAPI document read `scope`). */
export interface ProcedureMeta {
  /** The scope a caller's token must carry; set only by `scopedProcedure`, so it is the one the check uses. */
  scope?: Scope;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  // Never ship stack traces or server paths to callers, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    const zodError = cause instanceof ZodError ? cause : undefined;
    // tRPC's message for a validation failure is every zod issue as JSON: unreadable, and as large as the input.
    const message = internal ? "Internal server error" : zodError ? validationMessage(zodError) : shape.message;
    return {
      ...shape,
      message: truncate(message, maxErrorMessageLength),
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        /** Field-level validation messages: `{ formErrors, fieldErrors }`. */
        zodError: zodError ? boundedFieldErrors(zodError) : null,
        /** RFC 6750 error code for authentication and authorization failures. */
        authError: cause instanceof AuthError ? cause.code : null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

function toTRPCError(error: AuthError): TRPCError {
  return new TRPCError({ code: trpcCodeFor[error.status], message: error.description, cause: error });
}

/** Authentication and rate-limit refusals as the tRPC errors callers see; anything else unchanged. */
function refusal(error: unknown): unknown {
  if (error instanceof AuthError) return toTRPCError(error);
  if (error instanceof RateLimitedError) return new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message, cause: error });
  return error;
}

/**
 * A procedure callable only with a valid token carrying `scope`; `ctx.auth` is the verified caller.
 * Authentication, the scope check and the caller's rate limit (by client id and scope class, counted before the
 * procedure's work) are one middleware: each tRPC middleware level copies the call's options, and this runs
 * on every request.
 */
export function scopedProcedure(scope: Scope) {
  return t.procedure.meta({ scope }).use(async ({ ctx, next }) => {
    let auth: Principal;
    try {
      auth = await ctx.authenticate();
    } catch (error) {
      throw refusal(error);
    }
    if (!auth.scopes.includes(scope)) {
      throw toTRPCError(new AuthError("insufficient_scope", `this call requires the ${scope} scope`, { requiredScope: scope }));
    }
    const limited = limitCall(ctx.rateLimits, scope, auth.clientId);
    if (limited) await limited.catch((error: unknown) => Promise.reject(refusal(error)));
    return next({ ctx: { auth } });
  });
}
