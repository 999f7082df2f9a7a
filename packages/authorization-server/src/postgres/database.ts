import { fileURLToPath } from "node:url";
import { migrateUnderAdvisoryLock, toConnectError, toDatabaseError } from "@parts/db";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema.ts";

const migrationsFolder = fileURLToPath(new URL("../../drizzle-pg", import.meta.url));

/**
 * Drizzle's record of applied migrations, apart from the parts API's (`drizzle.parts_migrations`): the
 * issuer and the API may share one database, each with its own history.
 */
export const issuerMigrationsTable = { migrationsSchema: "drizzle", migrationsTable: "issuer_migrations" } as const;

/**
 * Advisory lock keys in PostgreSQL's two-key space, under a namespace of the issuer's own (the parts API
 * uses "part"). Advisory locks are per database.
 */
const namespace = 0x69737375; // "issu"
/** Held on one dedicated connection while migrations run: concurrent starts migrate exactly once. */
export const issuerMigrationLock = [namespace, 1] as const;
/** Held (transaction-scoped) by every change to the signing keys: two processes never rotate at once. */
export const signingKeysLock = [namespace, 2] as const;

export type IssuerPgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface IssuerPostgres {
  db: IssuerPgDb;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * A failed statement as `DatabaseError`: drizzle's `DrizzleQueryError` quotes the statement's parameters in its
 * message, and here those include private signing keys (`signing_keys` inserts) and registration access tokens
 * (ids of `oidc_payloads` rows), which must reach no log and no operator's terminal. The server's error (with its
 * SQLSTATE, and no parameters) stays the cause. Other errors (oidc-provider's) pass through unchanged.
 */
export const toStoreError = toDatabaseError;

/** Runs `work`, rethrowing its failure through `toStoreError`. */
export async function mapStoreErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toStoreError(error);
  }
}

/** Applies pending issuer migrations (drizzle-pg/): concurrent starts migrate exactly once. */
export function migrateIssuerPostgres(url: string): Promise<void> {
  return migrateUnderAdvisoryLock({ url, migrationsFolder, migrationsTable: issuerMigrationsTable, lock: issuerMigrationLock, applicationName: "parts-issuer" });
}

export interface OpenIssuerPostgresOptions {
  /** Most pooled connections (default 5: the issuer's load is a few token requests per client and hour). */
  max?: number;
  /** Told about errors of idle pooled connections; without a listener such an error would end the process. */
  onError?: (error: Error) => void;
}

/** Migrates, then opens a pool and checks that a connection works. Fails with a `DatabaseError`. */
export async function openIssuerPostgres(url: string, options: OpenIssuerPostgresOptions = {}): Promise<IssuerPostgres> {
  await migrateIssuerPostgres(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 5,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 10_000,
    application_name: "parts-issuer",
  });
  const onError = options.onError ?? (() => {});
  pool.on("error", (error) => onError(error));
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= pool.end());
  try {
    await pool.query("select 1");
  } catch (error) {
    await close();
    throw toConnectError(error);
  }
  return { db: drizzle({ client: pool, schema }), pool, close };
}
