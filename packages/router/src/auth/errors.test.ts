import { describe, expect, it } from "vitest";
import { AuthError, wwwAuthenticate } from "./errors.ts";

describe("wwwAuthenticate", () => {
  it("has only the realm when no token was sent (RFC 6750 §3.1)", () => {
    expect(wwwAuthenticate(new AuthError("missing_token", "no bearer token"), "parts")).toBe('Bearer realm="parts"');
  });
  it("names the error and the required scope", () => {
    expect(wwwAuthenticate(new AuthError("insufficient_scope", "needs write", { requiredScope: "parts:write" }), "parts")).toBe(
      'Bearer realm="parts", error="insufficient_scope", error_description="needs write", scope="parts:write"',
    );
  });
  it("cannot be broken out of by quotes in the description", () => {
    expect(wwwAuthenticate(new AuthError("invalid_token", 'bad "x"\\'), "parts")).toBe(
      'Bearer realm="parts", error="invalid_token", error_description="bad x"',
    );
  });
  it("is absent when the issuer is unavailable (503)", () => {
    expect(wwwAuthenticate(new AuthError("issuer_unavailable", "down"), "parts")).toBeUndefined();
  });
});
