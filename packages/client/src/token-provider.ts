import { isLoopbackUrl } from "@parts/router/loopback";
import * as oidc from "openid-client";
import { TokenRequestError } from "./errors.ts";
import { readJwt } from "./jwt-claims.ts";

/** A fetch-compatible function; pass a wrapper to count, log or proxy requests. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A private key for `private_key_jwt` client authentication (RFC 7523). */
export type ClientPrivateKey = oidc.CryptoKey | { key: oidc.CryptoKey; kid?: string };

interface CredentialsBase {
  /** Issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Space-separated scopes to request, e.g. `"parts:read parts:write"`. */
  scope?: string;
  /** Extra `audience` token parameter (Auth0 and others). */
  audience?: string;
  /** Extra `resource` token parameter (RFC 8707 resource indicator). */
  resource?: string;
  /** Used for every request to the issuer (and to the API by `createPartsClient`). */
  fetch?: FetchLike;
  /**
   * Plain `http:` issuers are accepted only on loopback (localhost, 127.0.0.1, [::1]); set true to allow
   * any `http:` issuer (tokens and credentials then travel unencrypted).
   */
  allowInsecureIssuer?: boolean;
  /** Issuer request timeout in seconds (default 30). */
  timeoutSec?: number;
}

/** Client credentials: a shared secret (`client_secret_basic`) or a private key (`private_key_jwt`). */
export type TokenProviderConfig = CredentialsBase &
  ({ clientSecret: string; privateKey?: never } | { privateKey: ClientPrivateKey; clientSecret?: never });

/** An access token and what the issuer said about it. */
export interface AccessToken {
  accessToken: string;
  tokenType: string;
  /** Milliseconds since the epoch; undefined when the issuer gave no lifetime. */
  expiresAt: number | undefined;
  /** Granted scope, when the issuer reported it. */
  scope: string | undefined;
}

export interface TokenProvider {
  /** A valid access token: the cached one, or a new one from the issuer (one request for any number of callers). */
  getAccessToken(): Promise<string>;
  /** Like `getAccessToken`, with the expiry and granted scope. */
  getToken(): Promise<AccessToken>;
  /**
   * Forgets the cached token so the next call fetches a new one. With `token`, only if it is still the
   * cached one (so many callers rejecting the same token cause one refresh, not many).
   */
  invalidate(token?: string): void;
}

/** Refresh this long before expiry: min(60 s, 10% of the lifetime). */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs * 0.1);
}


function checkIssuerUrl(issuer: string, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TypeError(`issuer must be an absolute URL, got "${issuer}"`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && (isLoopbackUrl(url) || allowInsecure)) return url;
  if (url.protocol === "http:") {
    throw new TypeError(
      `issuer ${url.origin} uses plain http; only loopback issuers may (set allowInsecureIssuer: true to override)`,
    );
  }
  throw new TypeError(`issuer must be an https URL, got ${url.protocol}`);
}

/** Turns whatever openid-client or fetch threw into a TokenRequestError that carries no secrets. */
export function toTokenRequestError(error: unknown, stage: "discovery" | "token request"): TokenRequestError {
  if (error instanceof TokenRequestError) return error;
  if (error instanceof oidc.ResponseBodyError) {
    const detail = error.error_description ? `: ${error.error_description}` : "";
    return new TokenRequestError(error.error, `${stage} failed with ${error.error}${detail}`, error.status);
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    // A 401 with a WWW-Authenticate challenge (e.g. invalid_client under client_secret_basic).
    const code = error.cause.find((c) => typeof c.parameters.error === "string")?.parameters.error ?? "invalid_client";
    return new TokenRequestError(code, `${stage} failed with ${code}`, error.status);
  }
  const codeOf = (e: unknown) => (e as { code?: unknown } | null)?.code;
  const causeCode = codeOf((error as { cause?: unknown } | null)?.cause);
  const isNetwork =
    (error instanceof TypeError && error.message === "fetch failed") ||
    (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) ||
    (typeof causeCode === "string" && /^(ECONN|ENOTFOUND|EAI_|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(causeCode));
  if (isNetwork) {
    const why = typeof causeCode === "string" ? ` (${causeCode})` : "";
    return new TokenRequestError("network_error", `${stage} failed: issuer unreachable${why}`, undefined, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new TokenRequestError("invalid_response", `${stage} failed: ${reason}`, undefined, { cause: error });
}

/** Milliseconds since the epoch from a JWT's `exp`, for issuers that omit `expires_in`. */
function expiryOfJwt(token: string): number | undefined {
  const exp = readJwt(token)?.claims.exp;
  return typeof exp === "number" ? exp * 1000 : undefined;
}

/**
 * Obtains access tokens with the OAuth 2.0 client credentials grant and caches them.
 *
 * - Discovery runs once per provider (again only after a failure).
 * - A token is reused until min(60 s, 10% of its lifetime) before it expires.
 * - Concurrent callers without a valid token share one token request (single flight).
 * - Failures are `TokenRequestError`s with the OAuth error code; nothing is cached on failure.
 *
 * @example
 * const tokens = createTokenProvider({ issuer: "https://id.example.com", clientId, clientSecret, scope: "parts:read" });
 * await fetch(url, { headers: { authorization: `Bearer ${await tokens.getAccessToken()}` } });
 */
export function createTokenProvider(config: TokenProviderConfig): TokenProvider {
  const issuerUrl = checkIssuerUrl(config.issuer, config.allowInsecureIssuer ?? false);
  if (!config.clientId) throw new TypeError("clientId is required");
  if (!config.clientSecret && !config.privateKey) throw new TypeError("clientSecret or privateKey is required");
  const insecure = issuerUrl.protocol === "http:";
  const clientAuth = config.privateKey
    ? oidc.PrivateKeyJwt(config.privateKey)
    : oidc.ClientSecretBasic(config.clientSecret);
  const parameters: Record<string, string> = {};
  if (config.scope) parameters.scope = config.scope;
  if (config.audience) parameters.audience = config.audience;
  if (config.resource) parameters.resource = config.resource;

  let configuration: Promise<oidc.Configuration> | undefined;
  let cached: (AccessToken & { refreshAt: number }) | undefined;
  let inFlight: Promise<AccessToken> | undefined;

  function discover(): Promise<oidc.Configuration> {
    configuration ??= oidc
      .discovery(issuerUrl, config.clientId, undefined, clientAuth, {
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        ...(config.fetch ? { [oidc.customFetch]: config.fetch as oidc.CustomFetch } : {}),
        ...(config.timeoutSec ? { timeout: config.timeoutSec } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined;
        throw toTokenRequestError(error, "discovery");
      });
    return configuration;
  }

  async function requestToken(): Promise<AccessToken> {
    const oidcConfig = await discover();
    let response: Awaited<ReturnType<typeof oidc.clientCredentialsGrant>>;
    try {
      response = await oidc.clientCredentialsGrant(oidcConfig, parameters);
    } catch (error) {
      throw toTokenRequestError(error, "token request");
    }
    const issuedAt = Date.now();
    const expiresIn = response.expiresIn();
    const expiresAt = expiresIn !== undefined ? issuedAt + expiresIn * 1000 : expiryOfJwt(response.access_token);
    const token: AccessToken = {
      accessToken: response.access_token,
      tokenType: response.token_type,
      expiresAt,
      scope: response.scope,
    };
    // No known lifetime: keep it until the API rejects it (invalidate()).
    const refreshAt = expiresAt === undefined ? Infinity : expiresAt - refreshMarginMs(expiresAt - issuedAt);
    cached = { ...token, refreshAt };
    return token;
  }

  async function getToken(): Promise<AccessToken> {
    if (cached && Date.now() < cached.refreshAt) {
      const { refreshAt: _, ...token } = cached;
      return token;
    }
    inFlight ??= requestToken().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    getToken,
    async getAccessToken() {
      return (await getToken()).accessToken;
    },
    invalidate(token?: string) {
      if (token === undefined || cached?.accessToken === token) cached = undefined;
    },
  };
}
