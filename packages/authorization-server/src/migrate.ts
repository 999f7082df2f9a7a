import { openIssuerDatabase } from "./database.ts";
import { migrateIssuerPostgres } from "./postgres/database.ts";
import type { IssuerStoreLocation } from "./store.ts";

/**
 * Applies the issuer's pending migrations and returns, for deployments that migrate before rolling out new
 * issuers. Issuers also migrate at start (on PostgreSQL under an advisory lock, so concurrent starts migrate
 * once); after this step they find nothing to do. Fails with a `DatabaseError` (no URL, no password).
 */
export async function migrateIssuerStore(location: IssuerStoreLocation, options: { connectionTimeoutMillis?: number } = {}): Promise<void> {
  if (location.databaseUrl !== undefined) return migrateIssuerPostgres(location.databaseUrl, options.connectionTimeoutMillis);
  openIssuerDatabase(location.databaseFile).close();
}
