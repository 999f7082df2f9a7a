import { describe, expect, it } from "vitest";
import { createRateLimiters, throttledStoreErrorReport } from "./limiter-set.ts";

describe("createRateLimiters", () => {
  it("makes a limiter per configured spec, named by its key", () => {
    const limiters = createRateLimiters({ read: { points: 5, windowSeconds: 60, burst: 0 }, write: undefined }, {});
    expect(Object.keys(limiters!)).toEqual(["read"]);
    expect(limiters!.read!.name).toBe("read");
  });

  it("is undefined when every limit is off", () => {
    expect(createRateLimiters({ read: undefined, write: undefined }, {})).toBeUndefined();
  });
});

describe("throttledStoreErrorReport", () => {
  it("reports at most once per interval, with the failures it stands for", () => {
    let clock = 0;
    const reports: number[] = [];
    const onError = throttledStoreErrorReport(({ failures }) => reports.push(failures), 1000, () => clock);
    onError(new Error("a"));
    onError(new Error("b"));
    onError(new Error("c"));
    clock = 1500;
    onError(new Error("d"));
    expect(reports).toEqual([1, 3]);
  });
});
