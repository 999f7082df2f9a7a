import { describe, expect, it } from "vitest";
import { createVerifiedTokenCache } from "./verified-token-cache.ts";

describe("verified token cache", () => {
  it("forgets an entry at its expiry", () => {
    let now = 1000;
    const cache = createVerifiedTokenCache<string>(10, () => now);
    cache.set("t", "p", 2000);
    expect(cache.get("t")).toBe("p");
    now = 2000;
    expect(cache.get("t")).toBeUndefined();
    expect(cache.size).toBe(0);
  });
  it("evicts the oldest entry beyond its bound", () => {
    const cache = createVerifiedTokenCache<number>(2, () => 0);
    cache.set("a", 1, 10);
    cache.set("b", 2, 10);
    cache.set("c", 3, 10);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, 2, 3]);
  });
  it("stores nothing when disabled", () => {
    const cache = createVerifiedTokenCache<number>(0, () => 0);
    cache.set("a", 1, 10);
    expect(cache.get("a")).toBeUndefined();
  });
});
