import { createHash } from "node:crypto";
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { burstWindowFactor, type LimitSpec } from "./limit-spec.ts";

/** One window's counter: the part of rate-limiter-flexible's limiters used here. */
export type WindowCounter = Pick<RateLimiterAbstract, "consume">;

/** Where counters live: `memory` (this process) or a shared store (`createPostgresRateLimitStore`). */
export interface RateLimitStore {
  readonly kind: string;
  counter(options: { keyPrefix: string; points: number; windowSeconds: number }): WindowCounter;
}

/** The in-process store: the embedded default, and what a shared store falls back to while it cannot answer. */
export const memoryStore: RateLimitStore = {
  kind: "memory",
  counter: ({ keyPrefix, points, windowSeconds }) => new RateLimiterMemory({ keyPrefix, points, duration: windowSeconds }),
};

/** What one request's `consume` decided, with what the IETF RateLimit fields need. */
export interface RateLimitDecision {
  allowed: boolean;
  /** The limiter's name: the policy name in `RateLimit-Policy` and `RateLimit`. */
  policy: string;
  spec: LimitSpec;
  /** Requests left in the current window (the burst allowance not counted). */
  remaining: number;
  /** Whole seconds until the window resets; when refused, the `Retry-After`. At least 1. */
  resetSeconds: number;
}

export interface RateLimiterOptions {
  /** Names the policy in the response headers and the keys in the store (`read`, `write`, `address`, `token`). */
  name: string;
  spec: LimitSpec;
  store?: RateLimitStore;
  /**
   * How long a shared store may take to answer before this request is counted in memory instead (default
   * 1000 ms): a hung database must not hold every call. Shorter would fall back on a merely busy one (a cold pool
   * on a loaded machine took over 250 ms), and with it each replica would count alone.
   */
  storeTimeoutMs?: number;
  /** Told when a shared store failed or was slow and the in-memory counter decided instead; never throws. */
  onStoreError?(error: unknown): void;
  /** Told of every refusal (a hook for metrics: the limiter's name only, never the key). */
  onRefused?(event: { policy: string }): void;
}

/** Keys in a store are bounded (the Postgres store's column is varchar(255)): long ones are hashed. */
function storeKey(key: string): string {
  return key.length <= 128 ? key : `sha256:${createHash("sha256").update(key).digest("base64url")}`;
}

class StoreTimeout extends Error {
  constructor(ms: number) {
    super(`the rate-limit store did not answer within ${ms} ms`);
    this.name = "StoreTimeout";
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new StoreTimeout(ms)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A window counter on a shared store that, while the store fails or is slow, counts in this process instead.
 * The decision when the store is down: keep limiting, per replica (each one allows the full limit), and say so
 * in a log line, rather than refuse every call (the limiter would take the API down with its store) or stop
 * limiting (a flood would get through exactly when the system is weakest).
 */
function resilientCounter(store: RateLimitStore, options: Parameters<RateLimitStore["counter"]>[0], limiter: RateLimiterOptions): WindowCounter {
  const shared = store.counter(options);
  if (store.kind === memoryStore.kind) return shared;
  const fallback = memoryStore.counter(options);
  const timeoutMs = limiter.storeTimeoutMs ?? 1000;
  return {
    async consume(key, points) {
      try {
        return await withTimeout(shared.consume(key, points), timeoutMs);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error;
        limiter.onStoreError?.(error);
        return fallback.consume(key, points);
      }
    },
  };
}

/** rate-limiter-flexible's answer (a resolved or rejected `RateLimiterRes`) as allowed + the result. */
async function count(counter: WindowCounter, key: string, points: number): Promise<{ allowed: boolean; res: RateLimiterRes }> {
  try {
    return { allowed: true, res: await counter.consume(key, points) };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { allowed: false, res: error };
    throw error;
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * A limit per key: `spec.points` requests per fixed window (rate-limiter-flexible's algorithm), and once those
 * are spent, up to `spec.burst` more drawn from an allowance that refills once per `burstWindowFactor`
 * windows (the library's BurstyRateLimiter pattern). So within any one window a key gets at most
 * points + burst, and over a long run no more than points per window plus burst per ten windows.
 */
export function createRateLimiter(options: RateLimiterOptions) {
  const { name, spec } = options;
  const store = options.store ?? memoryStore;
  const main = resilientCounter(store, { keyPrefix: `parts-${name}`, points: spec.points, windowSeconds: spec.windowSeconds }, options);
  const burst =
    spec.burst > 0
      ? resilientCounter(store, { keyPrefix: `parts-${name}-burst`, points: spec.burst, windowSeconds: spec.windowSeconds * burstWindowFactor }, options)
      : undefined;

  return {
    name,
    spec,
    store: store.kind,
    /** Counts `points` requests (default 1) against `key` and says whether they may go ahead. */
    async consume(key: string, points = 1): Promise<RateLimitDecision> {
      const stored = storeKey(key);
      const first = await count(main, stored, points);
      let allowed = first.allowed;
      let resetMs = first.res.msBeforeNext;
      if (!allowed && burst) {
        const extra = await count(burst, stored, points);
        allowed = extra.allowed;
        // The main window resets first; until then only the burst allowance could have let a request through.
        resetMs = Math.min(resetMs, extra.res.msBeforeNext);
      }
      if (!allowed) options.onRefused?.({ policy: name });
      return { allowed, policy: name, spec, remaining: first.res.remainingPoints, resetSeconds: seconds(resetMs) };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
