import { existsSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPostgres, type TestPostgres } from "./test-postgres.ts";

let server: TestPostgres;

beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe("startTestPostgres", () => {
  it("serves a fresh UTF-8 database whose case folding covers all of Unicode", async () => {
    const url = await server.createDatabase();
    const [row] = await query<{ encoding: string; ctype: string; upper: string; matches: boolean }>(
      url,
      `select pg_encoding_to_char(encoding) as encoding, datctype as ctype, upper('écrou äöü') as upper,
              'ÉCROU' ilike '%écrou%' as matches
       from pg_database where datname = current_database()`,
    );
    expect(row).toEqual({ encoding: "UTF8", ctype: "C.UTF-8", upper: "ÉCROU ÄÖÜ", matches: true });
  });

  it("gives every createDatabase call its own database", async () => {
    const [a, b] = await Promise.all([server.createDatabase(), server.createDatabase()]);
    expect(a).not.toBe(b);
    await query(a, "create table only_in_a (x int)");
    expect(await query(b, "select to_regclass('only_in_a') as t")).toEqual([{ t: null }]);
  });

  it("refuses a database name that is not a plain identifier", async () => {
    await expect(server.createDatabase('x"; drop database postgres; --')).rejects.toThrow(TypeError);
  });

  // These two start a server of their own (`local`), even when PARTS_TEST_DATABASE_URL names an external one.
  it("listens on loopback only, with the data kept across a restart", async () => {
    const own = await startTestPostgres({ local: true });
    try {
      expect(own.external).toBe(false);
      expect(new URL(own.url).hostname).toBe("127.0.0.1");
      const url = await own.createDatabase();
      await query(url, "create table kept (x int); insert into kept values (1)");
      await own.restart({ downMs: 50 });
      expect(await query(url, "select x from kept")).toEqual([{ x: 1 }]);
      expect(await query(own.url, "show listen_addresses")).toEqual([{ listen_addresses: "127.0.0.1" }]);
    } finally {
      await own.stop();
    }
  }, 60_000);

  it("stop ends the server and removes its folder", async () => {
    const other = await startTestPostgres({ local: true });
    const [{ dir }] = (await query<{ dir: string }>(other.url, "show data_directory")) as [{ dir: string }];
    await other.stop();
    expect(existsSync(dir)).toBe(false);
    await expect(query(other.url, "select 1")).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});
