import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import { postgresMigrationsFolder as migrationsFolder } from "../postgres-migrations-folder.ts";
import { toConnectError } from "./errors.ts";
import { migrationLock } from "./locks.ts";
import { migrateUnderAdvisoryLock } from "./migrate.ts";
import * as schema from "./schema.ts";

/** Where drizzle records applied migrations (a table of its own, so other components may share the database). */
export const migrationsTable = { migrationsSchema: "drizzle", migrationsTable: "parts_migrations" } as const;

export type PostgresPartsDatabase = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface PostgresPoolOptions {
  /** Most connections the pool opens (default 10). Processes x max must stay below the server's max_connections. */
  max?: number;
  /** How long a query waits for a connection (opening one, or a free one from a full pool) before failing (default 5000). */
  connectionTimeoutMillis?: number;
  /** How long an unused connection stays open (default 30000). */
  idleTimeoutMillis?: number;
  /** `statement_timeout` of every pooled connection: the server cancels longer statements (default 10000; 0 = none). */
  statementTimeoutMillis?: number;
  /** `application_name`, shown in pg_stat_activity and the server's logs (default "parts"). */
  applicationName?: string;
  /**
   * Told about errors of idle pooled connections (server restart, network loss). node-postgres drops such a
   * connection and opens a new one when needed; without a listener the error would end the process.
   */
  onError?: (error: Error) => void;
}

export interface OpenPostgresOptions extends PostgresPoolOptions {
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

export interface PostgresDatabaseHandle {
  db: PostgresPartsDatabase;
  pool: pg.Pool;
  /** Answers true while a pooled connection can run `select 1`; used by readiness probes. Never throws. */
  ping(): Promise<boolean>;
  /** Ends the pool (waits for checked-out connections to be released). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a connection pool to `url`, applies pending migrations (see `migratePostgresDatabase`) and checks
 * that a pooled connection works. Fails (`DatabaseError`, message without the URL or password) when the server
 * cannot be reached or refuses the login.
 */
export async function openPostgresDatabase(url: string, options: OpenPostgresOptions = {}): Promise<PostgresDatabaseHandle> {
  if (options.migrate ?? true) await migratePostgresDatabase(url, options);
  const pool = await openPool(url, { applicationName: "parts", ...options });
  const db = drizzle({ client: pool, schema });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= pool.end());
  return {
    db,
    pool,
    async ping(): Promise<boolean> {
      if (closed !== undefined) return false;
      try {
        await pool.query("select 1");
        return true;
      } catch {
        return false;
      }
    },
    close,
  };
}

/**
 * A node-postgres pool with these defaults, an `error` listener, and one `select 1` done: fails (`DatabaseError`,
 * message without the URL or password, pool ended) when the server cannot be reached or refuses the login.
 * The parts API and the issuer open their pools here, so both read the same settings the same way.
 */
export async function openPool(url: string, options: PostgresPoolOptions = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    statement_timeout: options.statementTimeoutMillis ?? 10_000,
    application_name: options.applicationName ?? "parts",
  });
  const onError = options.onError ?? (() => {});
  pool.on("error", (error) => onError(error));
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end();
    throw toConnectError(error);
  }
  return pool;
}

/**
 * Applies pending migrations (drizzle-pg/) on one dedicated connection, holding a session advisory lock around
 * drizzle's migrator, which takes none itself: several processes starting at once on an empty database
 * migrate it exactly once, the others wait and then find nothing to do. For deployments that migrate as a
 * separate step before rolling out, call this alone and open with `migrate: false`.
 */
export async function migratePostgresDatabase(url: string, options: Pick<PostgresPoolOptions, "connectionTimeoutMillis" | "applicationName"> = {}): Promise<void> {
  await migrateUnderAdvisoryLock({
    url,
    migrationsFolder,
    migrationsTable,
    lock: migrationLock,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    applicationName: options.applicationName ?? "parts",
  });
}
