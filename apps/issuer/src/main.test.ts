import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A cold start transpiles the entry point and its imports with tsx: seconds on a loaded CI machine.
const startTimeoutMs = 60_000;
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
const migrate = fileURLToPath(new URL("./migrate.ts", import.meta.url));
// An empty working directory: no ./.env is loaded and no database file is created.
const cwd = mkdtempSync(join(tmpdir(), "parts-issuer-config-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function start(env: Record<string, string>, entry = main, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", tsxLoader, entry, ...args], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: startTimeoutMs }, (error, stdout, stderr) => {
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

/** A loopback port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the issuer and its CLI on PostgreSQL (ISSUER_DATABASE_URL)", () => {
  const password = "s3cret-pw";
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, startTimeoutMs);
  afterAll(() => postgres?.stop());

  /** The process's own output as one line (oidc-provider's Node 20 warning aside), never the password. */
  function oneLine(result: { stdout: string; stderr: string }): string {
    const lines = `${result.stdout}${result.stderr}`.split("\n").filter((line) => line !== "" && !line.startsWith("oidc-provider WARNING"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(password);
    return lines[0]!;
  }

  it("a malformed URL with a password exits 1 naming ISSUER_DATABASE_URL, without echoing the password", async () => {
    const result = await start({ ISSUER_DATABASE_URL: `postgres://issuer:${password}@db.example.com:port/parts` });
    expect(result.code).toBe(1);
    expect(oneLine(result)).toBe(
      "parts-issuer: invalid configuration: ISSUER_DATABASE_URL: must be a URL such as postgres://user:password@db.example.com:5432/parts (percent-encode special characters)",
    );
  }, startTimeoutMs);

  it("a closed port exits 1 with one line naming ISSUER_DATABASE_URL and the refusal", async () => {
    const result = await start({ ISSUER_DATABASE_URL: `postgres://issuer:${password}@127.0.0.1:${await closedPort()}/parts` });
    expect(result.code).toBe(1);
    const line = JSON.parse(oneLine(result)) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 60, variable: "ISSUER_DATABASE_URL", host: "127.0.0.1", database: "parts" });
    expect(line.msg).toBe("cannot open the database at ISSUER_DATABASE_URL: database unavailable (ECONNREFUSED)");
  }, startTimeoutMs);

  it("a database that does not exist exits 1 with the server's reason", async () => {
    const url = new URL(postgres.url);
    url.pathname = "/no_such_database";
    url.password = password;
    const result = await start({ ISSUER_DATABASE_URL: url.href });
    expect(result.code).toBe(1);
    const line = JSON.parse(oneLine(result)) as Record<string, unknown>;
    expect(line.msg).toBe('cannot open the database at ISSUER_DATABASE_URL: database unavailable (SQLSTATE 3D000: database "no_such_database" does not exist)');
  }, startTimeoutMs);

  it("the CLI creates and lists clients in the PostgreSQL database", async () => {
    const env = { ISSUER_DATABASE_URL: await postgres.createDatabase() };
    const created = await start(env, cli, ["clients", "create", "--name", "Billing", "--scope", "parts:read", "--json"]);
    expect(created.code).toBe(0);
    const { clientId } = JSON.parse(created.stdout) as { clientId: string };
    const listed = await start(env, cli, ["clients", "list", "--json"]);
    expect(JSON.parse(listed.stdout)).toEqual([{ clientId, name: "Billing", scope: "parts:read", authMethod: "client_secret_basic" }]);
    const rotated = await start(env, cli, ["keys", "rotate", "--json"]);
    expect(rotated.code).toBe(0);
  }, startTimeoutMs);

  it("migrate migrates an empty database, and a second run finds nothing to do", async () => {
    const env = { ISSUER_DATABASE_URL: await postgres.createDatabase() };
    const client = new pg.Client({ connectionString: env.ISSUER_DATABASE_URL });
    await client.connect();
    try {
      const tables = async () =>
        (await client.query<{ name: string }>("select table_name as name from information_schema.tables where table_schema = 'public'")).rows.map((row) => row.name);
      expect(await tables()).toEqual([]);
      for (let run = 0; run < 2; run++) {
        const result = await start(env, migrate);
        expect(result.code).toBe(0);
        expect(JSON.parse(oneLine(result))).toMatchObject({ msg: "database migrated", engine: "postgres" });
      }
      expect(await tables()).toEqual(expect.arrayContaining(["oidc_payloads", "signing_keys"]));
      const applied = await client.query("select count(*)::int as n from drizzle.issuer_migrations");
      expect(applied.rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  }, 2 * startTimeoutMs);

  it("migrate on an unreachable server exits 1 with one line naming ISSUER_DATABASE_URL", async () => {
    const result = await start({ ISSUER_DATABASE_URL: `postgres://issuer:${password}@127.0.0.1:${await closedPort()}/parts` }, migrate);
    expect(result.code).toBe(1);
    const line = JSON.parse(oneLine(result)) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 60, variable: "ISSUER_DATABASE_URL" });
    expect(line.msg).toBe("cannot migrate the database at ISSUER_DATABASE_URL: database unavailable (ECONNREFUSED)");
  }, startTimeoutMs);

  it("the CLI on an unreachable server exits 1 with one line naming ISSUER_DATABASE_URL", async () => {
    const result = await start({ ISSUER_DATABASE_URL: `postgres://issuer:${password}@127.0.0.1:${await closedPort()}/parts` }, cli, ["clients", "list"]);
    expect(result.code).toBe(1);
    expect(oneLine(result)).toBe("parts-issuer: cannot open the database at ISSUER_DATABASE_URL: database unavailable (ECONNREFUSED)");
  }, startTimeoutMs);
});
