import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { openDatabase, type DatabaseHandle } from "../connection.ts";
import type { PartsRepository } from "../parts-contract.ts";
import { createSqlitePartsRepository } from "../parts-repository.ts";
import { openPostgresDatabase, type PostgresDatabaseHandle } from "../postgres/connection.ts";
import { createPostgresPartsRepository } from "../postgres/parts-repository.ts";
import { startSqliteWriter, type SqliteWriter } from "../sqlite-writer.ts";

/**
 * A storage engine as the contract tests drive it: `start` once per test file, `fresh` before each test (an
 * empty table whose ids start at 1), `stop` after the file. The raw helpers reach under the repository.
 */
export interface EngineUnderTest {
  readonly name: "sqlite" | "sqlite, writer thread" | "postgres";
  start(): Promise<void>;
  fresh(): Promise<PartsRepository>;
  stop(): Promise<void>;
  /** The stored `part_number_key` of a row. */
  storedKey(id: number): Promise<string | null | undefined>;
  /** Overwrites a row's timestamps (ISO strings), so that two engines can hold byte-identical data. */
  setTimestamps(id: number, createdAt: string, updatedAt: string): Promise<void>;
  /** Sets a row's `created_by` and `updated_by` to NULL, as on a row written before the audit trail existed. */
  clearAuthors(id: number): Promise<void>;
}

/** SQLite with writes on the calling thread, or (`writerThread`) on a writer thread as the server runs it. */
export function sqliteEngine(options: { writerThread?: boolean } = {}): EngineUnderTest {
  let dir: string | undefined;
  let handle: DatabaseHandle | undefined;
  let writer: SqliteWriter | undefined;
  const close = async () => {
    await writer?.close();
    writer = undefined;
    handle?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    handle = undefined;
    dir = undefined;
  };
  const sqlite = () => handle!.sqlite;
  return {
    name: options.writerThread ? "sqlite, writer thread" : "sqlite",
    async start() {},
    async fresh() {
      await close();
      dir = mkdtempSync(join(tmpdir(), "parts-db-"));
      const file = join(dir, "parts.db");
      handle = openDatabase(file);
      if (options.writerThread) writer = await startSqliteWriter(file);
      return createSqlitePartsRepository(handle.db, { writer });
    },
    async stop() {
      await close();
    },
    async storedKey(id) {
      return sqlite().prepare<[number], string | null>("select part_number_key from parts where id = ?").pluck().get(id);
    },
    async setTimestamps(id, createdAt, updatedAt) {
      sqlite().prepare("update parts set created_at = ?, updated_at = ? where id = ?").run(createdAt, updatedAt, id);
    },
    async clearAuthors(id) {
      sqlite().prepare("update parts set created_by = null, updated_by = null where id = ?").run(id);
    },
  };
}

/** One server per test file (from @parts/test-postgres), one database, emptied before each test. */
export function postgresEngine(): EngineUnderTest & { handle(): PostgresDatabaseHandle } {
  let server: TestPostgres | undefined;
  let handle: PostgresDatabaseHandle | undefined;
  let repository: PartsRepository | undefined;
  return {
    name: "postgres",
    handle: () => handle!,
    async start() {
      server = await startTestPostgres();
      handle = await openPostgresDatabase(await server.createDatabase());
      repository = createPostgresPartsRepository(handle.db);
    },
    async fresh() {
      await handle!.pool.query("truncate parts restart identity");
      return repository!;
    },
    async stop() {
      await handle?.close();
      await server?.stop();
    },
    async storedKey(id) {
      const { rows } = await handle!.pool.query<{ key: string }>("select part_number_key as key from parts where id = $1", [id]);
      return rows[0]?.key;
    },
    async setTimestamps(id, createdAt, updatedAt) {
      await handle!.pool.query("update parts set created_at = $1, updated_at = $2 where id = $3", [createdAt, updatedAt, id]);
    },
    async clearAuthors(id) {
      await handle!.pool.query("update parts set created_by = null, updated_by = null where id = $1", [id]);
    },
  };
}
