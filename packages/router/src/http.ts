import type { TRPCError } from "@trpc/server";
import { AuthError, wwwAuthenticate } from "./auth/errors.ts";

/**
 * For an HTTP adapter's `responseMeta`: the RFC 6750 `WWW-Authenticate` header of the first
 * authentication failure among a response's errors.
 */
export function authResponseHeaders(errors: readonly TRPCError[], realm = "parts"): Record<string, string> {
  for (const error of errors) {
    if (error.cause instanceof AuthError) {
      const value = wwwAuthenticate(error.cause, realm);
      return value ? { "www-authenticate": value } : {};
    }
  }
  return {};
}
