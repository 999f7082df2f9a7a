import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

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

/** A loopback port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the server process with a PostgreSQL DATABASE_URL it cannot use", () => {
  const issuer = "https://id.example.com";
  const password = "s3cret-pw";
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, startTimeoutMs);
  afterAll(() => postgres?.stop());

  /** The process's output as one line: it must name DATABASE_URL and the reason, and never the password. */
  function oneLine(result: { stdout: string; stderr: string }): string {
    const lines = `${result.stdout}${result.stderr}`.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(password);
    return lines[0]!;
  }

  it("a malformed URL with a password exits 1 naming DATABASE_URL, without echoing the password", async () => {
    const result = await start({ ISSUER: issuer, DATABASE_URL: `postgres://parts:${password}@db.example.com:port/parts` });
    expect(result.code).toBe(1);
    expect(oneLine(result)).toBe(
      "parts-server: invalid configuration: DATABASE_URL: must be a URL such as postgres://user:password@db.example.com:5432/parts (percent-encode special characters)",
    );
  }, startTimeoutMs);

  it("a closed port exits 1 with one line naming DATABASE_URL and the refusal", async () => {
    const result = await start({ ISSUER: issuer, DATABASE_URL: `postgres://parts:${password}@127.0.0.1:${await closedPort()}/parts` });
    expect(result.code).toBe(1);
    const line = JSON.parse(oneLine(result)) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 60, variable: "DATABASE_URL", host: "127.0.0.1", database: "parts" });
    expect(line.msg).toBe("cannot open the database at DATABASE_URL: database unavailable (ECONNREFUSED)");
  }, startTimeoutMs);

  it("a database that does not exist on a real server exits 1 with one line naming DATABASE_URL and the server's reason", async () => {
    const url = new URL(postgres.url);
    url.password = password;
    url.pathname = "/no_such_database";
    const result = await start({ ISSUER: issuer, DATABASE_URL: url.href });
    expect(result.code).toBe(1);
    const line = JSON.parse(oneLine(result)) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 60, variable: "DATABASE_URL", database: "no_such_database" });
    expect(line.msg).toBe('cannot open the database at DATABASE_URL: database unavailable (SQLSTATE 3D000: database "no_such_database" does not exist)');
  }, startTimeoutMs);
});
