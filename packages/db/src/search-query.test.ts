import { describe, expect, it } from "vitest";
import { ftsPhrase, likeSubstringPattern } from "./search-query.ts";

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

describe("likeSubstringPattern", () => {
  it("wraps the text in % and escapes %, _ and backslash", () => {
    expect(likeSubstringPattern("hex bolt")).toBe("%hex bolt%");
    expect(likeSubstringPattern(String.raw`100%_C:\x`)).toBe(String.raw`%100\%\_C:\\x%`);
  });

  it("refuses fewer than 3 code points", () => {
    expect(() => likeSubstringPattern("ab")).toThrow(RangeError);
    expect(likeSubstringPattern("🔩🔩🔩")).toBe("%🔩🔩🔩%");
  });
});
