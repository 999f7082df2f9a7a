import { DatabaseError, VersionConflictError } from "@parts/db";
import { RateLimitedError } from "@parts/rate-limit";
import type { TRPCError } from "@trpc/server";
import { AuthError, wwwAuthenticate } from "./auth/errors.ts";

/** What a 503 caused by an unavailable database tells callers to wait before retrying (`Retry-After`). */
export const databaseRetryAfterSeconds = 1;

/** The call failed because the database cannot serve now (see `storeError` in routers/parts.ts). */
export function isDatabaseUnavailable(error: TRPCError): boolean {
  return error.code === "SERVICE_UNAVAILABLE" && error.cause instanceof DatabaseError && error.cause.code === "ERR_DATABASE_UNAVAILABLE";
}

/** The call failed because the part is no longer at the caller's `expectedVersion` (REST answers it 412). */
export function isVersionConflict(error: TRPCError): boolean {
  return error.code === "CONFLICT" && error.cause instanceof VersionConflictError;
}

/**
 * For an HTTP adapter's `responseMeta` (and the lean path, which must answer the same headers): the RFC 6750
 * `WWW-Authenticate` header of the first authentication failure among a response's errors, and `Retry-After`
 * when a call failed because the database was unavailable; `Retry-After` and the RateLimit fields of the first
 * call refused by a rate limit.
 */
export function errorResponseHeaders(errors: readonly TRPCError[], realm = "parts"): Record<string, string> {
  const headers: Record<string, string> = {};
  let authenticationSeen = false;
  let rateLimitSeen = false;
  for (const error of errors) {
    if (error.cause instanceof AuthError) {
      // Only the first authentication failure speaks; a 503 for an unavailable issuer has no challenge.
      if (authenticationSeen) continue;
      authenticationSeen = true;
      const value = wwwAuthenticate(error.cause, realm);
      if (value) headers["www-authenticate"] = value;
    } else if (error.cause instanceof RateLimitedError) {
      if (rateLimitSeen) continue;
      rateLimitSeen = true;
      Object.assign(headers, error.cause.headers);
    } else if (isDatabaseUnavailable(error)) {
      headers["retry-after"] = String(databaseRetryAfterSeconds);
    }
  }
  return headers;
}
