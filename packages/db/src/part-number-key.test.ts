import { describe, expect, it } from "vitest";
import { partNumberKey } from "./part-number-key.ts";

describe("partNumberKey", () => {
  it("ignores case, also outside ASCII", () => {
    expect(partNumberKey("RT-PN-1")).toBe(partNumberKey("rt-pn-1"));
    expect(partNumberKey("ÉCROU-ÄÖÜ")).toBe("écrou-äöü");
  });

  it("folds compatibility forms such as fullwidth letters and digits (NFKC)", () => {
    expect(partNumberKey("ＲＴ-ＰＮ-１")).toBe("rt-pn-1");
    expect(partNumberKey("ﬁlter")).toBe("filter");
  });

  it("treats composed and decomposed accents alike", () => {
    expect(partNumberKey("E\u0301CROU")).toBe(partNumberKey("\u00c9crou"));
  });

  it("trims and collapses runs of any Unicode whitespace to one space", () => {
    expect(partNumberKey("  RT \t\n PN\u00a0\u2003 1  ")).toBe("rt pn 1");
  });

  it("approximates full case folding: ß and SS are the same", () => {
    expect(partNumberKey("STRASSE-1")).toBe(partNumberKey("straße-1"));
    expect(partNumberKey("straße-1")).toBe("strasse-1");
  });

  it("is only an approximation: capital ẞ lower-cases to ß, which then differs from ss", () => {
    expect(partNumberKey("STRAẞE-1")).toBe("straße-1");
  });

  it("keeps accents, punctuation and inner single spaces significant", () => {
    expect(partNumberKey("ecrou")).not.toBe(partNumberKey("écrou"));
    expect(partNumberKey("RT-PN-1")).not.toBe(partNumberKey("RT PN 1"));
    expect(partNumberKey("RT-PN-1")).not.toBe(partNumberKey("RTPN1"));
  });

  it("is idempotent", () => {
    for (const input of ["  ＲＴ-ＰＮ-１ ", "Straße", "ﬁ  x", "İstanbul"]) {
      expect(partNumberKey(partNumberKey(input))).toBe(partNumberKey(input));
    }
  });
});
