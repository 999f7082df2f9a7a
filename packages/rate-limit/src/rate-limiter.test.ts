import { describe, expect, it } from "vitest";
import { RateLimitedError, enforceRateLimit } from "./errors.ts";
import { createRateLimiter, memoryStore, type RateLimitStore } from "./rate-limiter.ts";

const spec = { points: 3, windowSeconds: 60, burst: 0 };

async function allowedOf(limiter: ReturnType<typeof createRateLimiter>, key: string, times: number) {
  const decisions = [];
  for (let i = 0; i < times; i++) decisions.push(await limiter.consume(key));
  return decisions.map((decision) => decision.allowed);
}

describe("createRateLimiter", () => {
  it("allows `points` requests per window, then refuses with the time to the window's end", async () => {
    const limiter = createRateLimiter({ name: "read", spec });
    expect(await allowedOf(limiter, "client-a", 4)).toEqual([true, true, true, false]);
    const refused = await limiter.consume("client-a");
    expect(refused).toMatchObject({ allowed: false, policy: "read", remaining: 0 });
    expect(refused.resetSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.resetSeconds).toBeLessThanOrEqual(60);
  });

  it("counts each key on its own", async () => {
    const limiter = createRateLimiter({ name: "read", spec });
    await allowedOf(limiter, "client-a", 5);
    expect(await allowedOf(limiter, "client-b", 3)).toEqual([true, true, true]);
  });

  it("lets a burst through beyond the limit, once", async () => {
    const limiter = createRateLimiter({ name: "write", spec: { ...spec, burst: 2 } });
    expect(await allowedOf(limiter, "client-a", 6)).toEqual([true, true, true, true, true, false]);
  });

  it("counts a batch's points at once", async () => {
    const limiter = createRateLimiter({ name: "read", spec });
    expect((await limiter.consume("client-a", 2)).allowed).toBe(true);
    expect((await limiter.consume("client-a", 2)).allowed).toBe(false);
  });

  it("hashes long keys, so any key fits a store's column", async () => {
    const seen: string[] = [];
    const recording: RateLimitStore = {
      kind: "recording",
      counter: (options) => {
        const inner = memoryStore.counter(options);
        return { consume: (key, points) => (seen.push(String(key)), inner.consume(key, points)) };
      },
    };
    const limiter = createRateLimiter({ name: "read", spec, store: recording });
    await limiter.consume("x".repeat(1000));
    expect(seen[0]).toMatch(/^sha256:[\w-]{43}$/);
  });

  it("tells of each refusal by policy name only", async () => {
    const refused: unknown[] = [];
    const limiter = createRateLimiter({ name: "read", spec: { ...spec, points: 1 }, onRefused: (event) => refused.push(event) });
    await allowedOf(limiter, "secret-client", 3);
    expect(refused).toEqual([{ policy: "read" }, { policy: "read" }]);
  });
});

describe("a shared store that fails", () => {
  const broken = (consume: () => Promise<never>): RateLimitStore => ({ kind: "broken", counter: () => ({ consume }) });

  it("keeps limiting in this process and reports the store's error", async () => {
    const errors: unknown[] = [];
    const limiter = createRateLimiter({ name: "read", spec, store: broken(() => Promise.reject(new Error("connection refused"))), onStoreError: (e) => errors.push(e) });
    expect(await allowedOf(limiter, "client-a", 4)).toEqual([true, true, true, false]);
    expect(errors).toHaveLength(4);
    expect((errors[0] as Error).message).toBe("connection refused");
  });

  it("does not wait on a store that hangs", async () => {
    const errors: unknown[] = [];
    const limiter = createRateLimiter({ name: "read", spec, store: broken(() => new Promise<never>(() => {})), storeTimeoutMs: 20, onStoreError: (e) => errors.push(e) });
    expect((await limiter.consume("client-a")).allowed).toBe(true);
    expect((errors[0] as Error).name).toBe("StoreTimeout");
  });
});

describe("enforceRateLimit", () => {
  it("throws a RateLimitedError with Retry-After and the draft-10 RateLimit fields once over the limit", async () => {
    const limiter = createRateLimiter({ name: "write", spec: { points: 1, windowSeconds: 60, burst: 5 } });
    for (let i = 0; i < 6; i++) await enforceRateLimit(limiter, "client-a");
    const error = await enforceRateLimit(limiter, "client-a").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    const { headers, message, status } = error as RateLimitedError;
    expect(status).toBe(429);
    expect(message).not.toContain("client-a");
    expect(headers["ratelimit-policy"]).toBe('"write";q=1;w=60, "write-burst";q=5;w=600');
    expect(headers.ratelimit).toMatch(/^"write";r=0;t=\d+$/);
    expect(Number(headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(headers.ratelimit).toContain(`t=${headers["retry-after"]}`);
  });
});
