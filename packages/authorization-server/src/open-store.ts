import { openPostgresStore } from "./postgres/store.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import type { IssuerStore, IssuerStoreLocation } from "./store.ts";

/** Opens (and migrates) the issuer's store: PostgreSQL when a URL is given, else the SQLite file. */
export async function openIssuerStore(location: IssuerStoreLocation, options: { onPoolError?: (error: Error) => void } = {}): Promise<IssuerStore> {
  if (location.databaseUrl !== undefined) return openPostgresStore(location.databaseUrl, { onError: options.onPoolError });
  return openSqliteStore(location.databaseFile);
}
