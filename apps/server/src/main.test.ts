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
const cwd = mkdtempSync(join(tmpdir(), "parts-server-config-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", tsxLoader, main], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: startTimeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe("the server process with a bad configuration", () => {
  it.each([
    [{ ISSUER: "" }, "ISSUER: must not be empty"],
    [{ ISSUER: "not-a-url" }, "ISSUER: must be an absolute URL such as https://id.example.com"],
    [{ ISSUER: "https://id.example.com", PORT: "" }, "PORT: must not be empty"],
  ])("%j exits 1 with one line naming the variable", async (env, reason) => {
    const result = await start(env);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `parts-server: invalid configuration: ${reason}\n` });
  }, startTimeoutMs);
});
