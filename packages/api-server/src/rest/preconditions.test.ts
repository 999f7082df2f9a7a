import { describe, expect, it } from "vitest";
import { entityTag, entityTagPattern, parseIfMatch } from "./preconditions.ts";

describe("entity tags and If-Match", () => {
  it("a part's entity tag is its id and version, quoted, and matches the documented pattern", () => {
    expect(entityTag({ id: 42, version: 3 })).toBe('"42-3"');
    expect(new RegExp(entityTagPattern).test(entityTag({ id: 42, version: 3 }))).toBe(true);
  });

  it("reads its own tag back as the expected version; * is any version; no header is no condition", () => {
    expect(parseIfMatch(entityTag({ id: 42, version: 3 }), 42)).toEqual({ kind: "version", expectedVersion: 3 });
    expect(parseIfMatch(' "42-3" ', 42)).toEqual({ kind: "version", expectedVersion: 3 });
    expect(parseIfMatch("*", 42)).toEqual({ kind: "any" });
    expect(parseIfMatch(undefined, 42)).toEqual({ kind: "absent" });
  });

  it("cannot match another part's tag, a weak tag, a list, an unquoted or an empty value", () => {
    for (const header of ['"43-3"', 'W/"42-3"', '"42-3", "42-4"', "42-3", "", '"42-0"', '"42-3', '"42-99999999999999999"', "*, \"42-3\""]) {
      expect(parseIfMatch(header, 42), header).toMatchObject({ kind: "unmatchable" });
    }
    expect(parseIfMatch('"43-3"', 42)).toEqual({ kind: "unmatchable", reason: '"43-3" is not an entity tag of part 42' });
    expect(parseIfMatch("42-3", 42)).toEqual({ kind: "unmatchable", reason: 'If-Match takes * or one entity tag as sent in ETag, e.g. "42-3"' });
  });
});
