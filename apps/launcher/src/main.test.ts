import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

// A cold start transpiles the entry point and its imports with tsx: seconds on a loaded CI machine.
const startTimeoutMs = 60_000;
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const main = fileURLToPath(new URL("./main.ts", import.meta.url));

// The configuration is read before anything else happens: no data folder, no service is started.
function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", tsxLoader, main], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: startTimeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe("the launcher with a bad configuration", () => {
  it.each([
    [{ PORT: "" }, "PORT: must not be empty"],
    [{ ISSUER_PORT: "0" }, "ISSUER_PORT: must be an integer from 1 to 65535"],
  ])("%j exits 1 with one line naming the variable", async (env, reason) => {
    const result = await start(env);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    // oidc-provider 9 warns about Node 20 when it is imported; that line is not ours.
    const lines = result.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("oidc-provider WARNING"));
    expect(lines).toEqual([`launcher: invalid configuration: ${reason}`]);
  }, startTimeoutMs);
});
