import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { backfillPartNumberKeys, type PartNumberCollision } from "./backfill-part-number-keys.ts";
import * as schema from "./schema.ts";

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface OpenDatabaseOptions {
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export type PartsDatabase = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface DatabaseHandle {
  db: PartsDatabase;
  sqlite: Database.Database;
  /**
   * Stored rows left without a part number key because another row holds the same canonical part number
   * (found when the keys were backfilled); empty when there are none. Callers should report them at start.
   */
  partNumberCollisions: readonly PartNumberCollision[];
  /** Answers true while the file is readable; used by readiness probes. */
  ping(): boolean;
  close(): void;
}

/**
 * Opens (creating if needed) the SQLite file, applies connection settings and pending migrations, then
 * backfills missing part number keys (see `backfillPartNumberKeys`).
 * WAL + synchronous=FULL: an acknowledged commit survives a process kill and a power loss.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): DatabaseHandle {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle({ client: sqlite, schema });
  migrate(db, { migrationsFolder });
  const partNumberCollisions = backfillPartNumberKeys(sqlite);
  return {
    db,
    sqlite,
    partNumberCollisions,
    ping(): boolean {
      try {
        return sqlite.prepare("select 1 as ok").get() !== undefined;
      } catch {
        return false;
      }
    },
    close(): void {
      if (sqlite.open) sqlite.close();
    },
  };
}
