import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { AuthError } from "./auth/errors.ts";
import type { Scope } from "./auth/scopes.ts";
import type { Principal } from "./auth/verifier.ts";
import type { Context } from "./context.ts";
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

/**
 * A procedure callable only with a valid token carrying `scope`; `ctx.auth` is the verified caller.
 * Authentication and the scope check are one middleware: each tRPC middleware level copies the call's
 * options, and this runs on every request.
 */
export function scopedProcedure(scope: Scope) {
  return t.procedure.meta({ scope }).use(async ({ ctx, next }) => {
    let auth: Principal;
    try {
      auth = await ctx.authenticate();
    } catch (error) {
      throw error instanceof AuthError ? toTRPCError(error) : error;
    }
    if (!auth.scopes.includes(scope)) {
      throw toTRPCError(new AuthError("insufficient_scope", `this call requires the ${scope} scope`, { requiredScope: scope }));
    }
    return next({ ctx: { auth } });
  });
}
