import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("applies defaults", () => {
    expect(loadConfig({ ISSUER: "https://id.example.com/oauth2/default" })).toMatchObject({
      PORT: 3000,
      HOST: "127.0.0.1",
      DATABASE_FILE: "./data/parts.db",
      AUDIENCE: "api://parts",
      ACCEPT_UNTYPED_TOKENS: false,
    });
  });

  it("names a missing ISSUER", () => {
    expect(() => loadConfig({})).toThrow(/^invalid configuration: ISSUER: is required$/);
  });

  it("refuses plain http except for loopback issuers", () => {
    expect(() => loadConfig({ ISSUER: "http://id.example.com" })).toThrow(/ISSUER: must be an https URL/);
    expect(loadConfig({ ISSUER: "http://127.0.0.1:4000" }).ISSUER).toBe("http://127.0.0.1:4000");
    expect(loadConfig({ ISSUER: "http://localhost:4000" }).ISSUER).toBe("http://localhost:4000");
  });

  it("reports every invalid value in one line", () => {
    expect(() => loadConfig({ ISSUER: "https://x.example", PORT: "70000", ACCEPT_UNTYPED_TOKENS: "maybe" })).toThrow(
      /PORT: .*; ACCEPT_UNTYPED_TOKENS: /,
    );
  });

  it("parses a comma-separated algorithm list", () => {
    expect(loadConfig({ ISSUER: "https://x.example", TOKEN_ALGORITHMS: "RS256, ES256" }).TOKEN_ALGORITHMS).toEqual(["RS256", "ES256"]);
  });

  it("takes slow-client timeouts from the environment, with 10 s / 30 s defaults", () => {
    expect(loadConfig({ ISSUER: "https://x.example" })).toMatchObject({ HEADERS_TIMEOUT_MS: 10_000, REQUEST_TIMEOUT_MS: 30_000 });
    expect(loadConfig({ ISSUER: "https://x.example", HEADERS_TIMEOUT_MS: "1500", REQUEST_TIMEOUT_MS: "2500" })).toMatchObject({
      HEADERS_TIMEOUT_MS: 1500,
      REQUEST_TIMEOUT_MS: 2500,
    });
    expect(() => loadConfig({ ISSUER: "https://x.example", HEADERS_TIMEOUT_MS: "0" })).toThrow(/HEADERS_TIMEOUT_MS/);
  });

  it("takes the JWKS refetch cooldown from the environment, at least 1 s", () => {
    expect(loadConfig({ ISSUER: "https://x.example" }).JWKS_COOLDOWN_MS).toBe(30_000);
    expect(loadConfig({ ISSUER: "https://x.example", JWKS_COOLDOWN_MS: "2000" }).JWKS_COOLDOWN_MS).toBe(2000);
    expect(() => loadConfig({ ISSUER: "https://x.example", JWKS_COOLDOWN_MS: "10" })).toThrow(/JWKS_COOLDOWN_MS/);
  });
});
