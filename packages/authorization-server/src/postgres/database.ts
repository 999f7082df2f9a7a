import { fileURLToPath } from "node:url";
import { DatabaseError } from "@parts/db";
import { DrizzleQueryError } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
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
 * A failure to connect or to migrate as `DatabaseError`, whose message never holds the URL or the password:
 * the server's own message (login failed, no such database) or the Node.js error code (ECONNREFUSED).
 */
function toConnectError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof pg.DatabaseError) return new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", sqlState: e.code, reason: e.message, cause: e });
    if (e.cause === undefined) break;
    e = e.cause;
  }
  const code = (e as { code?: unknown } | undefined)?.code;
  const reason = typeof code === "string" ? code : e instanceof Error ? e.message : String(e);
  return new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", reason, cause: e });
}

/**
 * A failed statement as `DatabaseError`: drizzle's `DrizzleQueryError` quotes the statement's parameters in its
 * message, and here those include private signing keys (`signing_keys` inserts) and registration access tokens
 * (ids of `oidc_payloads` rows), which must reach no log and no operator's terminal. The server's error (with its
 * SQLSTATE, and no parameters) stays the cause. Other errors (oidc-provider's) pass through unchanged.
 */
export function toStoreError(error: unknown): unknown {
  if (!(error instanceof DrizzleQueryError)) return error;
  for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof pg.DatabaseError) {
      const unavailable = /^(08|53|57)/.test(e.code ?? "");
      return new DatabaseError({ code: unavailable ? "ERR_DATABASE_UNAVAILABLE" : "ERR_DATABASE_QUERY", sqlState: e.code, cause: e });
    }
  }
  const cause = error.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", reason: typeof code === "string" && /^[A-Z0-9_]+$/.test(code) ? code : undefined, cause });
}

/** Runs `work`, rethrowing its failure through `toStoreError`. */
export async function mapStoreErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toStoreError(error);
  }
}

/**
 * Applies pending issuer migrations (drizzle-pg/) holding a session advisory lock on one dedicated
 * connection around drizzle's migrator, which takes none itself: concurrent starts migrate exactly once.
 */
export async function migrateIssuerPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: "parts-issuer migrate" });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    throw toConnectError(error);
  }
  try {
    await client.query("select pg_advisory_lock($1, $2)", [...issuerMigrationLock]);
    await migrate(drizzle({ client }), { migrationsFolder, ...issuerMigrationsTable });
  } catch (error) {
    throw toConnectError(error);
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end().catch(() => {});
  }
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
