import { parseEnvironment } from "@parts/env";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeLimitSpec, limitSpec, parseLimitSpec } from "./limit-spec.ts";

describe("parseLimitSpec", () => {
  it.each([
    ["600/minute", { points: 600, windowSeconds: 60, burst: 0 }],
    ["600/minute,burst=100", { points: 600, windowSeconds: 60, burst: 100 }],
    ["10/second, burst=5", { points: 10, windowSeconds: 1, burst: 5 }],
    ["5000/hour", { points: 5000, windowSeconds: 3600, burst: 0 }],
  ])("reads %s", (text, spec) => {
    expect(parseLimitSpec(text)).toEqual(spec);
  });

  it.each(["600", "600/min", "0/minute", "-1/minute", "600/minute,burst=", "600/minute;burst=100", "1e3/minute", "600/minute,burst=100,x=1"])("refuses %s", (text) => {
    expect(parseLimitSpec(text)).toBeUndefined();
  });

  it("writes a spec back in the variable's syntax", () => {
    expect(describeLimitSpec({ points: 600, windowSeconds: 60, burst: 100 })).toBe("600/minute,burst=100");
    expect(describeLimitSpec({ points: 3, windowSeconds: 1, burst: 0 })).toBe("3/second");
  });
});

describe("limitSpec (environment)", () => {
  const Schema = z.object({ RATE_LIMIT_READ: limitSpec().optional() });

  it("is off when unset", () => {
    expect(parseEnvironment(Schema, {}).RATE_LIMIT_READ).toBeUndefined();
  });

  it("names the variable and the syntax in one line", () => {
    expect(() => parseEnvironment(Schema, { RATE_LIMIT_READ: "lots" })).toThrow(
      "invalid configuration: RATE_LIMIT_READ: must look like 600/minute or 600/minute,burst=100 (per second, minute or hour; burst optional)",
    );
  });
});
