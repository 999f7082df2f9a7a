import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// A cold start transpiles the entry point and its imports with tsx: seconds on a loaded CI machine.
const startTimeoutMs = 60_000;
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const main = fileURLToPath(new URL("./main.ts", import.meta.url));
// An empty working directory: no ./.env is loaded and no database file is created.
const cwd = mkdtempSync(join(tmpdir(), "parts-issuer-config-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", tsxLoader, main], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: startTimeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe("the issuer process with a bad configuration", () => {
  it.each([
    [{ ISSUER_URL: "" }, "ISSUER_URL: must not be empty"],
    [{ ISSUER_URL: "not-a-url" }, "ISSUER_URL: must be an absolute URL such as https://id.example.com"],
    [{ ACCESS_TOKEN_TTL: "0" }, "ACCESS_TOKEN_TTL: must be an integer from 60 to 86400"],
  ])("%j exits 1 with one line naming the variable", async (env, reason) => {
    const result = await start(env);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    // oidc-provider 9 warns about Node 20 when it is imported; that line is not ours.
    const lines = result.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("oidc-provider WARNING"));
    expect(lines).toEqual([`parts-issuer: invalid configuration: ${reason}`]);
  }, startTimeoutMs);
});
