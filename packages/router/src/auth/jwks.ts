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
  /** Look-ahead (below): pause between refetches while no new key has appeared (default 1000). */
  lookAheadRetryMs?: number;
  /** Look-ahead: refetches per newly seen signing key, at most (default 3; 0 turns the look-ahead off). */
  lookAheadAttempts?: number;
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
 *
 * Look-ahead: an issuer that rotates keys ahead (ours publishes the next key one rotation before it signs)
 * lets verifiers hold a key before its first token, but only if they fetch the set again after each rotation.
 * jose refetches only when the cache ages out (`maxAgeMs`) or on an unknown `kid` outside the cooldown, so
 * two rotations within those windows met tokens signed with a key never fetched: 401s until the cooldown
 * passed. So the first token signed with a key not seen signing before (the rotation has happened) refetches
 * the set in the background, without delaying that request, and again after `lookAheadRetryMs` while no new
 * key shows up (an issuer process behind a balancer may not have re-read its keys yet). Only keys already in
 * the fetched set get here, so a forged `kid` cannot trigger it, and each key does so once.
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

  const lookAheadRetryMs = options.lookAheadRetryMs ?? 1000;
  const lookAheadAttempts = options.lookAheadAttempts ?? 3;
  const signingKids = new Set<string>();
  const knownKids = () => new Set((stale?.jwks.keys ?? []).map((key) => key.kid));

  async function lookAhead(attempt: number): Promise<void> {
    const before = knownKids();
    try {
      await remote.reload();
      remember();
    } catch {
      // Unreachable now: the unknown-kid refetch and the stale fallback still apply.
    }
    const appeared = [...knownKids()].some((kid) => !before.has(kid));
    if (!appeared && attempt < lookAheadAttempts) setTimeout(() => void lookAhead(attempt + 1), lookAheadRetryMs).unref();
  }

  /** Called with the `kid` of each token whose key was found in the set: a kid new to tokens starts a look-ahead. */
  const noteSigningKid = (kid: string | undefined) => {
    if (kid === undefined || signingKids.has(kid)) return;
    const first = signingKids.size === 0;
    signingKids.add(kid);
    if (!first && lookAheadAttempts > 0) void lookAhead(1);
  };

  const keySet = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (stale && !remote.fresh && Date.now() - failedAt < retryAfterFailureMs) return stale.keys(header, token);
    try {
      const key = await remote(header, token);
      remember();
      noteSigningKid(header.kid);
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
