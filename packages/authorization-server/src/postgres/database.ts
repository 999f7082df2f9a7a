import { fileURLToPath } from "node:url";
import { migrateUnderAdvisoryLock, openPool, toDatabaseError, withRetry, type PostgresPoolOptions } from "@parts/db";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import type pg from "pg";
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

/**
 * Runs `work` (one statement, or one whole transaction) again after a serialization failure or a deadlock, as
 * CockroachDB and YugabyteDB report under contention, and rethrows its final failure through `toStoreError`.
 */
export function mapStoreErrors<T>(work: () => Promise<T>): Promise<T> {
  return withRetry(work, undefined, toStoreError);
}

/** Applies pending issuer migrations (drizzle-pg/): concurrent starts migrate exactly once. */
export function migrateIssuerPostgres(url: string, connectionTimeoutMillis?: number): Promise<void> {
  return migrateUnderAdvisoryLock({
    url,
    migrationsFolder,
    migrationsTable: issuerMigrationsTable,
    lock: issuerMigrationLock,
    connectionTimeoutMillis,
    applicationName: "parts-issuer",
  });
}

/** Pool settings; the defaults differ from the API's: `max` 5 (a few token requests per client and hour), `applicationName` "parts-issuer". */
export type OpenIssuerPostgresOptions = PostgresPoolOptions;

/** Migrates, then opens a pool and checks that a connection works. Fails with a `DatabaseError`. */
export async function openIssuerPostgres(url: string, options: OpenIssuerPostgresOptions = {}): Promise<IssuerPostgres> {
  await migrateIssuerPostgres(url, options.connectionTimeoutMillis);
  const pool = await openPool(url, { max: 5, applicationName: "parts-issuer", ...options });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= pool.end());
  return { db: drizzle({ client: pool, schema }), pool, close };
}
