import { AuthError } from "./errors.ts";

// RFC 6750 §2.1 b64token; the scheme is case-insensitive (RFC 7235 §2.1).
const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Extracts the token from the Authorization header; only the header is accepted, never query or body. Node keeps
 * only the first of repeated Authorization headers, so hosts pass every value: which of two tokens a proxy or
 * the API would pick must never be a guess.
 */
export function bearerTokenFrom(authorization: string | readonly string[] | undefined): string {
  if (typeof authorization !== "string" && authorization !== undefined) {
    if (authorization.length > 1) throw new AuthError("invalid_request", "more than one Authorization header");
    return bearerTokenFrom(authorization[0]);
  }
  if (authorization === undefined || authorization === "") {
    throw new AuthError("missing_token", "no bearer token");
  }
  const match = bearerPattern.exec(authorization);
  if (!match) {
    throw new AuthError("invalid_request", "Authorization header must be 'Bearer <token>'");
  }
  return match[1]!;
}
