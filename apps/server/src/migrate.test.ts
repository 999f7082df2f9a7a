import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A cold start transpiles the entry point and its imports with tsx: seconds on a loaded CI machine.
const startTimeoutMs = 60_000;
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const migrate = fileURLToPath(new URL("./migrate.ts", import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), "parts-server-migrate-"));
let postgres: TestPostgres;

beforeAll(async () => {
  postgres = await startTestPostgres();
}, startTimeoutMs);
afterAll(async () => {
  await postgres?.stop();
  rmSync(cwd, { recursive: true, force: true });
});

/** Runs `migrate` with only the given variables (no ISSUER: migrating needs none). */
function run(env: Record<string, string>): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", tsxLoader, migrate], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: startTimeoutMs }, (error, stdout, stderr) => {
      const lines = `${stdout}${stderr}`.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, lines });
    });
  });
}

async function tablesOf(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("select table_name as name from information_schema.tables where table_schema = 'public' order by 1");
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe("migrate", () => {
  it("migrates an empty PostgreSQL database without an ISSUER, and a second run finds nothing to do", async () => {
    const url = await postgres.createDatabase();
    expect(await tablesOf(url)).not.toContain("parts");
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await run({ DATABASE_URL: url });
      expect(result.code).toBe(0);
      expect(result.lines.map((line) => line.msg)).toEqual(["database migrated"]);
    }
    expect(await tablesOf(url)).toContain("parts");
  }, 2 * startTimeoutMs);

  it("migrates the SQLite file when DATABASE_URL is unset", async () => {
    const file = join(cwd, "parts.db");
    const result = await run({ DATABASE_FILE: file });
    expect(result.code).toBe(0);
    const sqlite = new Database(file, { readonly: true });
    const tables = sqlite.prepare("select name from sqlite_master where type = 'table'").pluck().all();
    sqlite.close();
    expect(tables).toContain("parts");
  }, startTimeoutMs);

  it("an unreachable server exits 1 with one line naming DATABASE_URL, never the password", async () => {
    const url = new URL(postgres.url);
    url.password = "migrate-s3cret";
    url.port = "9";
    const result = await run({ DATABASE_URL: url.href, DATABASE_CONNECT_TIMEOUT_MS: "1000" });
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatchObject({ level: 60, variable: "DATABASE_URL" });
    expect(String(result.lines[0]!.msg)).toMatch(/^cannot migrate the database at DATABASE_URL: /);
    expect(JSON.stringify(result.lines)).not.toContain("migrate-s3cret");
  }, startTimeoutMs);
});
