import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

describe("ISSUER_CORS_ORIGINS", () => {
  it("is empty (CORS closed) when unset", () => {
    expect(loadConfig({}).ISSUER_CORS_ORIGINS).toEqual([]);
  });

  it("is a comma-separated list of exact origins", () => {
    const config = loadConfig({ ISSUER_CORS_ORIGINS: "https://app.example, http://localhost:5173," });
    expect(config.ISSUER_CORS_ORIGINS).toEqual(["https://app.example", "http://localhost:5173"]);
  });

  it.each(["https://app.example/", "https://app.example/path", "https://App.example", "https://app.example:443", "*", "app.example", "ftp://app.example"])(
    "rejects %s with one line naming the variable",
    (value) => {
      expect(() => loadConfig({ ISSUER_CORS_ORIGINS: `https://ok.example,${value}` })).toThrow(
        new Error(`invalid configuration\nISSUER_CORS_ORIGINS: not an origin (scheme://host[:port], no path or trailing slash): ${JSON.stringify(value)}`),
      );
    },
  );
});
