import { describe, expect, it } from "vitest";
import { scopesOf } from "./scopes.ts";

describe("scopesOf", () => {
  it("splits a space-delimited scope string into whole words", () => {
    expect(scopesOf({ scope: "parts:read  parts:write" })).toEqual(["parts:read", "parts:write"]);
  });
  it("reads scp as an array or a string and merges with scope", () => {
    expect(scopesOf({ scp: ["parts:read", 3] })).toEqual(["parts:read"]);
    expect(scopesOf({ scp: "parts:write", scope: "parts:write parts:read" })).toEqual(["parts:write", "parts:read"]);
  });
  it("does not treat substrings as scopes", () => {
    expect(scopesOf({ scope: "parts:readonly xparts:write" })).not.toContain("parts:read");
    expect(scopesOf({ scope: "parts:readonly xparts:write" })).not.toContain("parts:write");
  });
  it("reads only the configured claims (Entra roles)", () => {
    expect(scopesOf({ roles: ["parts:write"], scope: "parts:read" }, ["roles"])).toEqual(["parts:write"]);
    expect(scopesOf({ roles: ["parts:write"] })).toEqual([]);
  });
  it("ignores non-string claims", () => {
    expect(scopesOf({ scope: 42 })).toEqual([]);
  });
});
