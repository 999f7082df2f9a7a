import { errors, jwtVerify, type JWTPayload } from "jose";
import { discoverIssuer } from "./discovery.ts";
import { AuthError } from "./errors.ts";
import { createResilientKeySet, isKeyServerUnreachable, type KeySetOptions, type ResilientKeySet } from "./jwks.ts";
import { defaultScopeClaims, scopesOf } from "./scopes.ts";
import { createVerifiedTokenCache } from "./verified-token-cache.ts";

/** Asymmetric algorithms only: `none` and HS* (shared secrets, key-confusion prone) are never accepted. */
export const defaultAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export interface TokenVerifierOptions {
  /** Exact `iss` value; also where discovery starts. */
  issuer: string;
  /** Must be one of the token's `aud` values. */
  audience: string;
  algorithms?: string[];
  /** Require the RFC 9068 header `typ: at+jwt` (default true). Okta does not set it. */
  requireAccessTokenType?: boolean;
  clockToleranceSec?: number;
  /** Claims that carry scopes (default `scope`, `scp`); add `roles` for Entra application permissions. */
  scopeClaims?: readonly string[];
  /**
   * Verified tokens remembered until their `exp` (default 1,000, as in fast-jwt; 0 disables the cache).
   * Server-to-server callers reuse one token each, so this covers a thousand clients; every entry keeps the
   * whole token (~1 KB), which is what a larger default would cost in memory under a flood of fresh tokens.
   */
  cacheSize?: number;
  fetch?: typeof fetch;
  keys?: Omit<KeySetOptions, "fetch">;
  /** Wait after a failed discovery before trying again, so a down issuer is not hammered. */
  discoveryRetryMs?: number;
}

/** Who is calling: the verified claims a procedure may rely on. */
export interface Principal {
  clientId: string;
  subject: string;
  scopes: readonly string[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

function claimFailure(error: errors.JWTClaimValidationFailed): string {
  switch (error.claim) {
    case "iss":
      return "issuer mismatch";
    case "aud":
      return "audience mismatch";
    case "nbf":
      return "token not yet valid";
    case "typ":
      return "token type must be at+jwt";
    default:
      return error.reason === "missing" ? `missing "${error.claim}" claim` : `"${error.claim}" claim check failed`;
  }
}

/** Names the failed check in words safe to return to the caller (never token content). */
function describeJoseFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "token expired";
  if (error instanceof errors.JWTClaimValidationFailed) return claimFailure(error);
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature verification failed";
  if (error instanceof errors.JWKSNoMatchingKey) return "no matching signing key";
  if (error instanceof errors.JOSENotSupported) return "unsupported token header";
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return "malformed token";
  return "token rejected";
}

function principalOf(payload: JWTPayload, scopeClaims: readonly string[]): Principal {
  const clientId = [payload.client_id, payload.cid, payload.azp, payload.sub].find((v) => typeof v === "string");
  if (typeof clientId !== "string" || clientId === "") throw new AuthError("invalid_token", "token names no client");
  return {
    clientId,
    subject: typeof payload.sub === "string" ? payload.sub : clientId,
    scopes: scopesOf(payload, scopeClaims),
    expiresAt: payload.exp!,
  };
}

/**
 * Verifies OAuth 2.0 JWT access tokens locally against the issuer's published keys. This is the single
 * place where a bearer token becomes a `Principal`; every failure is an `AuthError`.
 */
export function createTokenVerifier(options: TokenVerifierOptions) {
  const algorithms = options.algorithms ?? defaultAlgorithms;
  const bad = algorithms.filter((alg) => alg === "none" || alg.startsWith("HS"));
  if (bad.length > 0) throw new TypeError(`symmetric or unsigned algorithms are not allowed: ${bad.join(", ")}`);
  const clockTolerance = options.clockToleranceSec ?? 5;
  const requireTyp = options.requireAccessTokenType ?? true;
  const cache = createVerifiedTokenCache<Principal>(options.cacheSize ?? 1_000);
  const discoveryRetryMs = options.discoveryRetryMs ?? 1000;
  // Plain numbers, read by a metrics scrape: counting here costs an addition per request and nothing else.
  const cacheStats = { hits: 0, misses: 0 };

  let keySet: Promise<ResilientKeySet> | undefined;
  let tokenEndpoint: URL | undefined;
  let discoveryFailedAt = -Infinity;
  let lastDiscoveryError: unknown;

  function keys(): Promise<ResilientKeySet> {
    if (!keySet) {
      if (Date.now() - discoveryFailedAt < discoveryRetryMs) return Promise.reject(lastDiscoveryError);
      keySet = discoverIssuer(options.issuer, { fetch: options.fetch }).then(
        (metadata) => {
          tokenEndpoint = metadata.tokenEndpoint;
          return createResilientKeySet(metadata.jwksUri, { ...options.keys, fetch: options.fetch });
        },
        (error: unknown) => {
          keySet = undefined;
          discoveryFailedAt = Date.now();
          lastDiscoveryError = error;
          throw error;
        },
      );
    }
    return keySet;
  }

  async function verifyUncached(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keys(), {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        clockTolerance,
        requiredClaims: ["exp"],
        ...(requireTyp ? { typ: "at+jwt" } : {}),
      }));
    } catch (error) {
      if (error instanceof AuthError) throw error;
      if (!(error instanceof errors.JOSEError) || isKeyServerUnreachable(error)) {
        throw new AuthError("issuer_unavailable", "the issuer's signing keys are unavailable", { cause: error });
      }
      throw new AuthError("invalid_token", describeJoseFailure(error), { cause: error });
    }
    // jose checks `iat` only against a max age; a token from the future means a broken or forged issuer.
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + clockTolerance) {
      throw new AuthError("invalid_token", "token issued in the future");
    }
    // RFC 9449 §7.2 / RFC 8705: a sender-constrained token (DPoP `cnf.jkt`, mTLS `cnf.x5t#S256`) is worthless
    // without its proof; this API takes Bearer tokens only, so taking one as Bearer would let a thief use it.
    if (payload.cnf !== undefined) {
      throw new AuthError("invalid_token", "sender-constrained tokens (cnf) are not accepted; request a Bearer token");
    }
    return principalOf(payload, options.scopeClaims ?? defaultScopeClaims);
  }

  return {
    issuer: options.issuer,
    audience: options.audience,
    /** Verified-token cache lookups since start: a hit skips the signature check, a miss verifies (or fails). */
    cacheStats: cacheStats as Readonly<typeof cacheStats>,

    /**
     * Resolves to the caller, or rejects with an `AuthError`. `beforeSignatureCheck` runs only when the token is
     * not already verified (a cache miss), before any key is fetched or signature checked: a limit on those runs
     * there, and what it throws is what `verify` rejects with.
     */
    async verify(token: string, hooks: { beforeSignatureCheck?(): Promise<void> } = {}): Promise<Principal> {
      const cached = cache.get(token);
      if (cached) {
        cacheStats.hits++;
        return cached;
      }
      cacheStats.misses++;
      if (hooks.beforeSignatureCheck) await hooks.beforeSignatureCheck();
      const principal = await verifyUncached(token);
      cache.set(token, principal, principal.expiresAt * 1000);
      return principal;
    },

    /**
     * The issuer's token endpoint from the discovery the verifier already does for its keys (no second fetch);
     * undefined when the metadata names none. Rejects while the issuer's metadata cannot be loaded.
     */
    async tokenEndpoint(): Promise<URL | undefined> {
      await keys();
      return tokenEndpoint;
    },

    /** Loads discovery metadata and keys; resolves true when tokens can be verified. */
    async ready(): Promise<boolean> {
      try {
        const set = await keys();
        if (!set.loaded) await set.load();
        return true;
      } catch {
        return false;
      }
    },
  };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
