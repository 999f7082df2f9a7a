import { describe, expect, it } from "vitest";
import { CreatePartInput, ListPartsInput, UpdatePartInput } from "./part.ts";

const valid = { partNumber: "PN-1", modelNumber: "M-1", name: "Bolt" };

describe("text fields reject lone surrogates (SQLite would store U+FFFD instead)", () => {
  it.each(["partNumber", "modelNumber", "name", "description"])("rejects a lone surrogate in %s", (field) => {
    for (const bad of ["\uD800", "a\uDC00b", "x\uDBFF"]) {
      const result = CreatePartInput.safeParse({ ...valid, [field]: bad });
      expect(result.success).toBe(false);
      expect(result.error!.issues[0]!.path).toEqual([field]);
    }
  });

  it("rejects a lone surrogate in update and list filters", () => {
    expect(UpdatePartInput.safeParse({ id: 1, name: "\uD800" }).success).toBe(false);
    expect(ListPartsInput.safeParse({ q: "\uDC00" }).success).toBe(false);
  });

  it("accepts paired surrogates (emoji) and other scripts unchanged in names and descriptions", () => {
    const input = { ...valid, name: "Écrou 😀👍🏽 مرحبا", description: "e\u0301 line one\n\tline two\r\n" };
    expect(CreatePartInput.parse(input)).toEqual({ ...input, description: input.description.trim() });
  });
});

const invisible = {
  NUL: "\u0000",
  ESC: "\u001b",
  DEL: "\u007f",
  "C1 control": "\u0085",
  "zero-width space": "\u200b",
  "zero-width joiner": "\u200d",
  "soft hyphen": "\u00ad",
  "right-to-left override": "\u202e",
  "left-to-right isolate": "\u2066",
  "byte order mark": "\ufeff",
};

describe("text fields reject control and format characters with a field error naming the code point", () => {
  const fields = ["partNumber", "modelNumber", "name", "description"] as const;
  it.each(Object.entries(invisible))("rejects %s in every field", (_, char) => {
    for (const field of fields) {
      const result = CreatePartInput.safeParse({ ...valid, [field]: `A${char}B` });
      expect(result.success).toBe(false);
      const issue = result.error!.issues[0]!;
      expect(issue.path).toEqual([field]);
      expect(issue.message).toContain(`U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`);
    }
  });

  it("allows tab and line breaks inside a description only", () => {
    expect(CreatePartInput.safeParse({ ...valid, description: "a\tb\nc\r\nd" }).success).toBe(true);
    for (const field of ["partNumber", "modelNumber", "name"]) {
      expect(CreatePartInput.safeParse({ ...valid, [field]: "a\nb" }).success, field).toBe(false);
      expect(CreatePartInput.safeParse({ ...valid, [field]: "a\tb" }).success, field).toBe(false);
    }
  });

  it("applies the rules to updates, searches and filters", () => {
    expect(UpdatePartInput.safeParse({ id: 1, partNumber: "PN\u200b1" }).success).toBe(false);
    expect(ListPartsInput.safeParse({ q: "bolt\u202e" }).success).toBe(false);
    expect(ListPartsInput.safeParse({ modelNumber: "M\u00001" }).success).toBe(false);
  });
});

describe("part and model numbers are NFKC-normalised printable ASCII", () => {
  it("normalises compatibility forms and trims: fullwidth becomes ASCII", () => {
    const parsed = CreatePartInput.parse({ ...valid, partNumber: "  ＲＴ-ＰＮ-１ ", modelNumber: "Ｍ－１" });
    expect(parsed.partNumber).toBe("RT-PN-1");
    expect(parsed.modelNumber).toBe("M-1");
  });

  it("turns a no-break space into a space (NFKC)", () => {
    expect(CreatePartInput.parse({ ...valid, partNumber: "PN\u00a01" }).partNumber).toBe("PN 1");
  });

  it("keeps case as given (uniqueness ignores it in the database)", () => {
    expect(CreatePartInput.parse({ ...valid, partNumber: "rt-Pn-1" }).partNumber).toBe("rt-Pn-1");
  });

  it.each([
    ["Cyrillic Р", "\u0420T-PN-1"],
    ["Greek Ο", "PN-\u039f1"],
    ["non-breaking hyphen U+2011", "RT\u2011PN-1"],
    ["en dash", "RT\u2013PN"],
    ["NFC é", "caf\u00e9"],
    ["NFD é", "cafe\u0301"],
    ["ohm sign (NFKC: Greek Ω)", "R-10\u2126"],
  ])("rejects %s with a field error", (_, partNumber) => {
    const result = CreatePartInput.safeParse({ ...valid, partNumber });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path)).toEqual([["partNumber"]]);
    expect(result.error!.issues[0]!.message).toMatch(/printable ASCII/);
  });

  it("counts length after normalisation", () => {
    expect(CreatePartInput.safeParse({ ...valid, partNumber: "x".repeat(64) }).success).toBe(true);
    expect(CreatePartInput.safeParse({ ...valid, partNumber: "x".repeat(65) }).success).toBe(false);
    expect(CreatePartInput.safeParse({ ...valid, partNumber: "   " }).error!.issues[0]!.message).toBe("must not be empty");
  });

  it("looks model numbers up in any script, normalised the same way", () => {
    expect(ListPartsInput.parse({ modelNumber: " Ｍ-1 " }).modelNumber).toBe("M-1");
    expect(ListPartsInput.parse({ modelNumber: "Модель-1" }).modelNumber).toBe("Модель-1");
  });
});

describe("search text", () => {
  it("needs 3 to 100 characters, counted as code points", () => {
    expect(ListPartsInput.safeParse({ q: "ab" }).success).toBe(false);
    expect(ListPartsInput.safeParse({ q: "  ab  " }).success).toBe(false);
    expect(ListPartsInput.safeParse({ q: "😀😀" }).success).toBe(false);
    expect(ListPartsInput.safeParse({ q: "😀😀😀" }).success).toBe(true);
    expect(ListPartsInput.safeParse({ q: "abc" }).success).toBe(true);
    expect(ListPartsInput.safeParse({ q: "a".repeat(100) }).success).toBe(true);
    expect(ListPartsInput.safeParse({ q: "a".repeat(101) }).success).toBe(false);
  });
});
