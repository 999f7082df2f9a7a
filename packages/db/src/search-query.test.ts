import { describe, expect, it } from "vitest";
import { ftsPhrase } from "./search-query.ts";

describe("ftsPhrase", () => {
  it("wraps the text in one FTS5 string, doubling quotes", () => {
    expect(ftsPhrase("hex bolt")).toBe('"hex bolt"');
    expect(ftsPhrase('a "b" NEAR(c) d*')).toBe('"a ""b"" NEAR(c) d*"');
  });

  it("refuses fewer than 3 code points", () => {
    expect(() => ftsPhrase("ab")).toThrow(RangeError);
    expect(() => ftsPhrase("🔩🔩")).toThrow(RangeError);
    expect(ftsPhrase("🔩🔩🔩")).toBe('"🔩🔩🔩"');
  });
});
