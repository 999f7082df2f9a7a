/**
 * Authentication and authorization failures with RFC 6750 error codes. `status` is the HTTP status the
 * failure must produce; `description` never contains the token.
 */
export type AuthErrorCode =
  | "missing_token"
  | "invalid_request"
  | "invalid_token"
  | "insufficient_scope"
  | "issuer_unavailable";

export interface AuthErrorOptions extends ErrorOptions {
  /** The scope the call needs (`insufficient_scope`), named in the challenge. */
  requiredScope?: string;
}

export class AuthError extends Error {
  readonly requiredScope: string | undefined;

  constructor(
    readonly code: AuthErrorCode,
    readonly description: string,
    options: AuthErrorOptions = {},
  ) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AuthError";
    this.requiredScope = options.requiredScope;
  }

  get status(): 400 | 401 | 403 | 503 {
    // RFC 6750 §3.1: a malformed request (two Authorization headers, not a Bearer token) is a 400.
    if (this.code === "invalid_request") return 400;
    if (this.code === "insufficient_scope") return 403;
    if (this.code === "issuer_unavailable") return 503;
    return 401;
  }
}

/** The `WWW-Authenticate` value for a failure (RFC 6750 §3), or undefined when none applies (503). */
export function wwwAuthenticate(error: AuthError, realm: string): string | undefined {
  if (error.code === "issuer_unavailable") return undefined;
  const params = [`realm="${realm}"`];
  // RFC 6750 §3.1: a request without credentials gets no error code.
  if (error.code !== "missing_token") {
    params.push(`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, "")}"`);
  }
  if (error.requiredScope) params.push(`scope="${error.requiredScope}"`);
  return `Bearer ${params.join(", ")}`;
}
