import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  jwksCache,
  type JSONWebKeySet,
  type JWKSCacheInput,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
} from "jose";

export interface KeySetOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Minimum time between refetches triggered by an unknown `kid`. */
  cooldownMs?: number;
  /** How long fetched keys count as fresh before a refetch is attempted. */
  maxAgeMs?: number;
  /** After a failed refetch, how long to keep serving the last good keys before trying again. */
  retryAfterFailureMs?: number;
}

/** True when the failure is about reaching the key server, not about the token. */
export function isKeyServerUnreachable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  if (error instanceof errors.JOSEError) return error.code === "ERR_JOSE_GENERIC"; // non-200 or unparsable JWKS
  return error instanceof TypeError || (error as { name?: string } | null)?.name === "AbortError";
}

/**
 * A remote JWK set (jose's: refetch on unknown `kid` with a cooldown) that keeps verifying with the last
 * good keys while the issuer is unreachable, instead of failing every request once the cache ages out.
 */
export function createResilientKeySet(jwksUri: URL, options: KeySetOptions = {}) {
  // jose stores each successfully fetched set here (its documented cache export), so a new set is noticed by
  // identity. `remote.jwks()` returns a fresh clone on every call: comparing those rebuilt the fallback set,
  // and re-imported its keys, on every verification.
  const fetched = {} as JWKSCacheInput;
  const remote = createRemoteJWKSet(jwksUri, {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.maxAgeMs ?? 600_000,
    [jwksCache]: fetched,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  });
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000;
  let stale: { jwks: JSONWebKeySet; keys: ReturnType<typeof createLocalJWKSet> } | undefined;
  let failedAt = -Infinity;

  const remember = () => {
    if ("jwks" in fetched && fetched.jwks !== stale?.jwks) stale = { jwks: fetched.jwks, keys: createLocalJWKSet(fetched.jwks) };
  };

  const keySet = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (stale && !remote.fresh && Date.now() - failedAt < retryAfterFailureMs) return stale.keys(header, token);
    try {
      const key = await remote(header, token);
      remember();
      return key;
    } catch (error) {
      if (!isKeyServerUnreachable(error) || !stale) throw error;
      failedAt = Date.now();
      return stale.keys(header, token);
    }
  };

  return Object.assign(keySet, {
    /** Fetches the keys now (readiness, warm-up); throws if they cannot be loaded. */
    async load(): Promise<void> {
      if (!remote.fresh) await remote.reload();
      remember();
    },
    get loaded(): boolean {
      return stale !== undefined;
    },
  });
}

export type ResilientKeySet = ReturnType<typeof createResilientKeySet>;
