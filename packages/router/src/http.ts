import { DatabaseError } from "@parts/db";
import type { TRPCError } from "@trpc/server";
import { AuthError, wwwAuthenticate } from "./auth/errors.ts";

/** What a 503 caused by an unavailable database tells callers to wait before retrying (`Retry-After`). */
export const databaseRetryAfterSeconds = 1;

/** The call failed because the database cannot serve now (see `storeError` in routers/parts.ts). */
export function isDatabaseUnavailable(error: TRPCError): boolean {
  return error.code === "SERVICE_UNAVAILABLE" && error.cause instanceof DatabaseError && error.cause.code === "ERR_DATABASE_UNAVAILABLE";
}

/**
 * For an HTTP adapter's `responseMeta` (and the lean path, which must answer the same headers): the RFC 6750
 * `WWW-Authenticate` header of the first authentication failure among a response's errors, and `Retry-After`
 * when a call failed because the database was unavailable.
 */
export function errorResponseHeaders(errors: readonly TRPCError[], realm = "parts"): Record<string, string> {
  const headers: Record<string, string> = {};
  let authenticationSeen = false;
  for (const error of errors) {
    if (error.cause instanceof AuthError) {
      // Only the first authentication failure speaks; a 503 for an unavailable issuer has no challenge.
      if (authenticationSeen) continue;
      authenticationSeen = true;
      const value = wwwAuthenticate(error.cause, realm);
      if (value) headers["www-authenticate"] = value;
    } else if (isDatabaseUnavailable(error)) {
      headers["retry-after"] = String(databaseRetryAfterSeconds);
    }
  }
  return headers;
}
