import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.ts";

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Creates the file owner-only before SQLite opens it: it holds private signing keys. */
function createPrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}

/**
 * Opens the issuer's SQLite file and applies pending migrations. WAL + synchronous=FULL: an issued client
 * or a rotated key survives a crash. busy_timeout lets the CLI and a running issuer share the file.
 */
export function openIssuerDatabase(file: string) {
  if (file !== ":memory:") createPrivateFile(file);
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle({ client: sqlite, schema });
  migrate(db, { migrationsFolder });
  if (file !== ":memory:") {
    // WAL side files carry the same data as the main file.
    for (const side of [`${file}-wal`, `${file}-shm`]) if (existsSync(side)) chmodSync(side, 0o600);
  }
  return {
    db,
    sqlite,
    close(): void {
      if (sqlite.open) sqlite.close();
    },
  };
}

export type IssuerDatabase = ReturnType<typeof openIssuerDatabase>;
export type IssuerDb = IssuerDatabase["db"];
