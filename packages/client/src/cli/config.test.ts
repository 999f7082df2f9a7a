import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CliConfigError, cliVariables, readCliConfig } from "./config.ts";

// A cold start transpiles the entry point and its imports with tsx: seconds on a loaded CI machine.
const startTimeoutMs = 60_000;
const good = {
  PARTS_URL: "http://127.0.0.1:3000",
  ISSUER: "https://id.example.com/oauth2/default",
  CLIENT_ID: "client-1",
  CLIENT_SECRET: "s3cret-value-never-printed",
  SCOPE: "parts:read parts:write",
};
const hint = " (set in the environment or in ./.env)";

describe("readCliConfig", () => {
  it("returns the variables asked for", () => {
    expect(readCliConfig(good, cliVariables)).toEqual(good);
    expect(readCliConfig(good, ["ISSUER", "CLIENT_ID"])).toEqual({ ISSUER: good.ISSUER, CLIENT_ID: good.CLIENT_ID });
  });

  it("leaves SCOPE out when it is unset", () => {
    expect(readCliConfig({ ...good, SCOPE: undefined }, cliVariables)).not.toHaveProperty("SCOPE");
  });

  it("accepts plain http issuers only on loopback", () => {
    expect(readCliConfig({ ...good, ISSUER: "http://localhost:4000" }, ["ISSUER"]).ISSUER).toBe("http://localhost:4000");
    expect(readCliConfig({ ...good, ISSUER: "http://[::1]:4000" }, ["ISSUER"]).ISSUER).toBe("http://[::1]:4000");
  });

  it("does not check variables the command does not need", () => {
    expect(() => readCliConfig({ ...good, PARTS_URL: "" }, ["ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SCOPE"])).not.toThrow();
  });

  it("reports every bad variable in one line", () => {
    expect(() => readCliConfig({ ISSUER: "", CLIENT_SECRET: "x" }, cliVariables)).toThrow(
      new CliConfigError(`invalid configuration: PARTS_URL: is required; ISSUER: must not be empty; CLIENT_ID: is required${hint}`),
    );
  });
});

const url = (example: string) => `must be an absolute URL such as ${example}`;
const scope = 'must be scope names separated by single spaces, e.g. "parts:read parts:write"';

// Every variable with bad values of each kind that applies: missing, empty, malformed URL, wrong scheme.
const badValues: [name: string, value: string | undefined, reason: string][] = [
  ["PARTS_URL", undefined, "is required"],
  ["PARTS_URL", "", "must not be empty"],
  ["PARTS_URL", "not-a-url", url("https://parts.example.com")],
  ["PARTS_URL", "127.0.0.1:3000", url("https://parts.example.com")],
  ["PARTS_URL", "ftp://parts.example.com", "must be an http or https URL"],
  ["ISSUER", undefined, "is required"],
  ["ISSUER", "", "must not be empty"],
  ["ISSUER", "not-a-url", url("https://id.example.com")],
  ["ISSUER", "http://id.example.com", "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])"],
  ["CLIENT_ID", undefined, "is required"],
  ["CLIENT_ID", "", "must not be empty"],
  ["CLIENT_SECRET", undefined, "is required"],
  ["CLIENT_SECRET", "", "must not be empty"],
  ["SCOPE", "", "must not be empty"],
  ["SCOPE", "parts:read  parts:write", scope],
  ["SCOPE", "parts:read,parts:write\\", scope],
];

describe("an invalid value stops with one line naming the variable", () => {
  it.each(badValues)("%s=%j: %s", (name, value, reason) => {
    expect(() => readCliConfig({ ...good, [name]: value }, cliVariables)).toThrow(new CliConfigError(`invalid configuration: ${name}: ${reason}${hint}`));
  });

  it("covers every variable", () => {
    expect(new Set(badValues.map(([name]) => name))).toEqual(new Set(cliVariables));
  });
});

describe("the parts bin with a bad configuration", () => {
  const bin = fileURLToPath(new URL("../../bin/parts.js", import.meta.url));

  it.each([
    [{ ISSUER: "" }, "ISSUER: must not be empty"],
    [{ ISSUER: "not-a-url" }, "ISSUER: must be an absolute URL such as https://id.example.com"],
    [{ CLIENT_SECRET: "" }, "CLIENT_SECRET: must not be empty"],
  ])("%j exits 1 with one line naming the variable", async (env, reason) => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      // Run from this folder so that no ./.env is picked up.
      const cwd = fileURLToPath(new URL(".", import.meta.url));
      execFile(process.execPath, [bin, "list"], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...good, ...env }, timeout: startTimeoutMs }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      });
    });
    expect(result).toEqual({ code: 1, stdout: "", stderr: `parts list: invalid configuration: ${reason}${hint}\n` });
    expect(result.stderr).not.toContain(good.CLIENT_SECRET);
  }, startTimeoutMs);
});
