import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseError } from "../errors.ts";
import { migratePostgresDatabase, migrationsTable, openPostgresDatabase, type PostgresDatabaseHandle } from "./connection.ts";
import { createPostgresPartsRepository } from "./parts-repository.ts";

let server: TestPostgres;

beforeAll(async () => {
  server = await startTestPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const journal = JSON.parse(readFileSync(new URL("../../drizzle-pg/meta/_journal.json", import.meta.url), "utf8")) as { entries: unknown[] };

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A URL on which nothing listens: the server's own port after it is stopped is not safe to assume. */
async function closedPortUrl(password: string): Promise<string> {
  const { createServer } = await import("node:net");
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  return `postgres://parts:${password}@127.0.0.1:${port}/parts`;
}

describe("openPostgresDatabase", () => {
  it("the version migration gives every row stored before it version 1", async () => {
    const url = await server.createDatabase();
    const apply = async (file: string) => {
      const text = readFileSync(new URL(`../../drizzle-pg/${file}`, import.meta.url), "utf8");
      for (const statement of text.split("--> statement-breakpoint")) await query(url, statement);
    };
    await apply("0000_init.sql");
    await query(url, "insert into parts (part_number, part_number_key, model_number, name) values ('A-1', 'a-1', 'M', 'N'), ('A-2', 'a-2', 'M', 'N')");
    await apply("0001_part_version.sql");
    expect(await query(url, "select id, version from parts order by id")).toEqual([
      { id: 1, version: 1 },
      { id: 2, version: 1 },
    ]);
  });

  it("a database migrated before the audit trail keeps its rows, with null authors, and serves the audit filters", async () => {
    const url = await server.createDatabase();
    // The migrator's own history up to 0001, as the release before the audit trail left it.
    const oldFolder = mkdtempSync(join(tmpdir(), "parts-pg-migrations-"));
    mkdirSync(join(oldFolder, "meta"));
    const entries = (journal.entries as { tag: string }[]).slice(0, 2);
    for (const { tag } of entries) copyFileSync(new URL(`../../drizzle-pg/${tag}.sql`, import.meta.url), join(oldFolder, `${tag}.sql`));
    writeFileSync(join(oldFolder, "meta", "_journal.json"), JSON.stringify({ ...journal, entries }));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await migrate(drizzle({ client }), { migrationsFolder: oldFolder, ...migrationsTable });
      await client.query("insert into parts (part_number, part_number_key, model_number, name) values ('A-1', 'a-1', 'M', 'N')");
    } finally {
      await client.end();
      rmSync(oldFolder, { recursive: true, force: true });
    }
    const handle = await openPostgresDatabase(url);
    try {
      const repository = createPostgresPartsRepository(handle.db);
      expect(await repository.byId(1)).toMatchObject({ id: 1, version: 1, createdBy: null, updatedBy: null });
      await repository.create({ partNumber: "A-2", modelNumber: "M", name: "N" }, { by: "client-a" });
      expect((await repository.list({ limit: 10, createdBy: "client-a" })).items.map((p) => p.id)).toEqual([2]);
    } finally {
      await handle.close();
    }
  });

  it("applies the migrations: the table, its constraint and indexes, pg_trgm", async () => {
    const url = await server.createDatabase();
    const handle = await openPostgresDatabase(url);
    try {
      const indexes = await query<{ name: string }>(url, "select indexname as name from pg_indexes where tablename = 'parts' order by 1");
      expect(indexes.map((i) => i.name)).toEqual([
        "parts_created_by_id_idx",
        "parts_description_trgm_idx",
        "parts_model_number_id_idx",
        "parts_model_number_trgm_idx",
        "parts_name_trgm_idx",
        "parts_part_number_key_unique",
        "parts_part_number_trgm_idx",
        "parts_pkey",
        "parts_updated_by_id_idx",
      ]);
      expect(await query(url, "select extname from pg_extension where extname = 'pg_trgm'")).toEqual([{ extname: "pg_trgm" }]);
      const columns = await query<{ column_name: string; data_type: string; datetime_precision: number | null }>(
        url,
        "select column_name, data_type, datetime_precision from information_schema.columns where table_name = 'parts' order by ordinal_position",
      );
      expect(columns.find((c) => c.column_name === "id")?.data_type).toBe("integer");
      expect(columns.find((c) => c.column_name === "created_at")).toMatchObject({ data_type: "timestamp with time zone", datetime_precision: 3 });
      expect(await query(url, "select count(*)::int as n from drizzle.parts_migrations")).toEqual([{ n: journal.entries.length }]);
      // Ids are drawn one at a time (keyset pages rely on it: see parts-repository.ts).
      expect(await query(url, "select seqcache::int as cache, seqmax::int as max from pg_sequence where seqrelid = 'parts_id_seq'::regclass")).toEqual([
        { cache: 1, max: 2 ** 31 - 1 },
      ]);
    } finally {
      await handle.close();
    }
  });

  it("four processes opening an empty database at once migrate it exactly once", async () => {
    const url = await server.createDatabase();
    const handles = await Promise.all([1, 2, 3, 4].map(() => openPostgresDatabase(url)));
    try {
      expect(await query(url, "select count(*)::int as n from drizzle.parts_migrations")).toEqual([{ n: journal.entries.length }]);
      const repos = handles.map((h) => createPostgresPartsRepository(h.db));
      await repos[0]!.create({ partNumber: "P-1", modelNumber: "M", name: "n" }, { by: "client-1" });
      expect(await repos[3]!.byId(1)).toMatchObject({ partNumber: "P-1" });
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it("reopening applies nothing again and keeps the rows", async () => {
    const url = await server.createDatabase();
    const first = await openPostgresDatabase(url);
    await createPostgresPartsRepository(first.db).create({ partNumber: "P-1", modelNumber: "M", name: "n" }, { by: "client-1" });
    await first.close();
    await migratePostgresDatabase(url);
    const second = await openPostgresDatabase(url);
    try {
      expect(await createPostgresPartsRepository(second.db).byId(1)).toMatchObject({ partNumber: "P-1" });
      expect(await query(url, "select count(*)::int as n from drizzle.parts_migrations")).toEqual([{ n: journal.entries.length }]);
    } finally {
      await second.close();
    }
  });

  it("migrate: false leaves the database as it is", async () => {
    const url = await server.createDatabase();
    const handle = await openPostgresDatabase(url, { migrate: false });
    try {
      expect(await query(url, "select to_regclass('parts') as t")).toEqual([{ t: null }]);
    } finally {
      await handle.close();
    }
  });

  it("sets the pool's statement_timeout and application_name on every connection", async () => {
    const url = await server.createDatabase();
    const handle = await openPostgresDatabase(url, { statementTimeoutMillis: 1234, applicationName: "parts-test", max: 3 });
    try {
      const { rows } = await handle.pool.query("select current_setting('statement_timeout') as timeout, current_setting('application_name') as app");
      expect(rows).toEqual([{ timeout: "1234ms", app: "parts-test" }]);
      await expect(handle.pool.query("select pg_sleep(5)")).rejects.toMatchObject({ code: "57014" });
      expect(handle.pool.options.max).toBe(3);
    } finally {
      await handle.close();
    }
  });

  it("ping answers true while the pool works and false once closed; close is idempotent", async () => {
    const handle = await openPostgresDatabase(await server.createDatabase());
    expect(await handle.ping()).toBe(true);
    await handle.close();
    await handle.close();
    expect(await handle.ping()).toBe(false);
  });

  it("an idle connection killed by the server goes to onError, not to the process, and the pool recovers", async () => {
    const errors: Error[] = [];
    const handle = await openPostgresDatabase(await server.createDatabase(), { onError: (error) => errors.push(error), applicationName: "parts-victim" });
    try {
      const { rows } = await handle.pool.query<{ pid: number }>("select pg_backend_pid() as pid");
      await query(server.url, "select pg_terminate_backend($1)", [rows[0]!.pid]);
      await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThan(0);
      expect(await handle.ping()).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it("a server that does not answer is a DatabaseError naming the reason, never the password", async () => {
    const url = await closedPortUrl("s3cret-pw");
    const error = await openPostgresDatabase(url, { connectionTimeoutMillis: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "ERR_DATABASE_UNAVAILABLE", message: "database unavailable (ECONNREFUSED)" });
    expect(String(error)).not.toContain("s3cret-pw");
  });

  it("a missing database is a DatabaseError with the server's reason", async () => {
    const url = new URL(server.url);
    url.pathname = "/no_such_database";
    url.password = "s3cret-pw";
    const error = await openPostgresDatabase(url.href).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).code).toBe("ERR_DATABASE_UNAVAILABLE");
    expect((error as DatabaseError).sqlState).toBe("3D000");
    expect((error as Error).message).toContain('database "no_such_database" does not exist');
    expect(String(error)).not.toContain("s3cret-pw");
  });
});

describe("pool limits", () => {
  let handle: PostgresDatabaseHandle;

  beforeAll(async () => {
    handle = await openPostgresDatabase(await server.createDatabase(), { max: 1, connectionTimeoutMillis: 200 });
  });

  afterAll(async () => {
    await handle?.close();
  });

  it("an exhausted pool fails a query after connectionTimeoutMillis with ERR_DATABASE_UNAVAILABLE instead of waiting", async () => {
    const repo = createPostgresPartsRepository(handle.db);
    const client = await handle.pool.connect();
    try {
      const started = Date.now();
      const error = await repo.byId(1).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error).toBeInstanceOf(DatabaseError);
      expect((error as DatabaseError).code).toBe("ERR_DATABASE_UNAVAILABLE");
    } finally {
      client.release();
    }
    expect(await repo.byId(1)).toBeUndefined();
  });
});
