import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { toConnectError } from "./errors.ts";

export interface LockedMigrationOptions {
  url: string;
  migrationsFolder: string;
  /** Where drizzle records applied migrations: a table per component, so components may share a database. */
  migrationsTable: { migrationsSchema: string; migrationsTable: string };
  /** An advisory lock key in PostgreSQL's two-key space, of the component's own namespace. */
  lock: readonly [number, number];
  connectionTimeoutMillis?: number;
  /** `application_name` of the migrating session (" migrate" is appended). */
  applicationName: string;
}

/**
 * Applies pending migrations holding a session advisory lock on one dedicated connection around drizzle's
 * migrator, which takes none itself: several processes starting at once on an empty database migrate it
 * exactly once, the others wait and then find nothing to do. Fails with a `DatabaseError` whose message holds
 * no URL and no password.
 */
export async function migrateUnderAdvisoryLock(options: LockedMigrationOptions): Promise<void> {
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    application_name: `${options.applicationName} migrate`,
  });
  // An error on this connection while a statement runs rejects that statement; this only keeps a late one
  // (connection lost between statements) from ending the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    throw toConnectError(error);
  }
  try {
    await client.query("select pg_advisory_lock($1, $2)", [...options.lock]);
    await migrate(drizzle({ client }), { migrationsFolder: options.migrationsFolder, ...options.migrationsTable });
  } catch (error) {
    throw toConnectError(error);
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end().catch(() => {});
  }
}
