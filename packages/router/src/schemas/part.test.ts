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

  it("accepts paired surrogates (emoji) and other unicode unchanged", () => {
    const input = { partNumber: "😀👍🏽", modelNumber: "مرحبا", name: "a\u0000b \u202E", description: "e\u0301" };
    expect(CreatePartInput.parse(input)).toEqual(input);
  });
});
