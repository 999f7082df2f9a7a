import { describe, expect, it } from "vitest";
import { LauncherConfig, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("applies defaults", () => {
    expect(loadConfig({})).toEqual({ ISSUER_PORT: 4000, PORT: 3000, AUDIENCE: "api://parts", ISSUER_CORS_ORIGINS: [] });
  });

  it("takes ports and the audience from the environment", () => {
    expect(loadConfig({ ISSUER_PORT: "4100", PORT: "3100", AUDIENCE: "api://other" })).toEqual({ ISSUER_PORT: 4100, PORT: 3100, AUDIENCE: "api://other", ISSUER_CORS_ORIGINS: [] });
  });

  it("reports every invalid variable in one line", () => {
    expect(() => loadConfig({ ISSUER_PORT: "", AUDIENCE: "" })).toThrow(new Error("invalid configuration: ISSUER_PORT: must not be empty; AUDIENCE: must not be empty"));
  });
});

const port = "must be an integer from 1 to 65535";

const badValues: [name: string, value: string, reason: string][] = [
  ["ISSUER_PORT", "", "must not be empty"],
  ["ISSUER_PORT", "0", port],
  ["ISSUER_PORT", "65536", port],
  ["ISSUER_PORT", "http", port],
  ["PORT", "", "must not be empty"],
  ["PORT", "-3000", port],
  ["PORT", "3000.0", port],
  ["PORT", "4000", "must differ from ISSUER_PORT"],
  ["AUDIENCE", "", "must not be empty"],
  ["ISSUER_CORS_ORIGINS", "http://127.0.0.1:3000/docs", 'not an origin (scheme://host[:port], no path or trailing slash): "http://127.0.0.1:3000/docs"'],
];

describe("an invalid value stops with one line naming the variable", () => {
  it.each(badValues)("%s=%j: %s", (name, value, reason) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new Error(`invalid configuration: ${name}: ${reason}`));
  });

  it("covers every variable of the schema", () => {
    expect(new Set(badValues.map(([name]) => name))).toEqual(new Set(Object.keys(LauncherConfig.shape)));
  });
});
