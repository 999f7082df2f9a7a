import { AuthError } from "./errors.ts";

// RFC 6750 §2.1 b64token; the scheme is case-insensitive (RFC 7235 §2.1).
const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Extracts the token from an Authorization header value; only the header is accepted, never query or body. */
export function bearerTokenFrom(authorization: string | undefined): string {
  if (authorization === undefined || authorization === "") {
    throw new AuthError("missing_token", "no bearer token");
  }
  const match = bearerPattern.exec(authorization);
  if (!match) {
    throw new AuthError("invalid_request", "Authorization header must be 'Bearer <token>'");
  }
  return match[1]!;
}
