import type { PostgresPoolOptions } from "@parts/db";
import { openPostgresStore } from "./postgres/store.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import type { IssuerStore, IssuerStoreLocation } from "./store.ts";

/** Opens (and migrates) the issuer's store: PostgreSQL (with these pool settings) when a URL is given, else the SQLite file. */
export async function openIssuerStore(location: IssuerStoreLocation, pool: PostgresPoolOptions = {}): Promise<IssuerStore> {
  if (location.databaseUrl !== undefined) return openPostgresStore(location.databaseUrl, pool);
  return openSqliteStore(location.databaseFile);
}
