/**
 * Why a token could not be obtained. OAuth 2.0 error codes (RFC 6749 §5.2, RFC 8707) come from the issuer's
 * answer; the others are set by this library:
 * - `network_error`: the issuer could not be reached (DNS, refused connection, timeout).
 * - `invalid_response`: the issuer answered, but not with a usable OAuth response (e.g. a 500 page, a
 *   discovery document for another issuer, a token response without `access_token`).
 */
export type TokenRequestErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_target"
  | "network_error"
  | "invalid_response"
  | (string & {});

/**
 * A failure to obtain an access token. Branch on `code`; `message` is for humans and never contains the
 * client secret, a private key or a token.
 */
export class TokenRequestError extends Error {
  override name = "TokenRequestError";
  constructor(
    readonly code: TokenRequestErrorCode,
    message: string,
    /** HTTP status of the issuer's answer, when there was one. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The `TokenRequestError` behind a failure, if any. The token provider throws it directly; a call through
 * the tRPC client rejects with a `TRPCClientError` (tRPC wraps every link failure) whose `cause` is it.
 */
export function tokenRequestErrorOf(error: unknown): TokenRequestError | undefined {
  if (error instanceof TokenRequestError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof TokenRequestError ? cause : undefined;
}
