/**
 * The database under the benchmark, seeded twice with identical rows (timestamps included) so that the floor
 * and the server answer byte-identical JSON: two SQLite files, or two databases on one throwaway PostgreSQL
 * server. Says which floor runs on it and what environment each server gets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, openPostgresDatabase, partNumberKey } from "@parts/db";
import { startTestPostgres } from "@parts/test-postgres";
import { pinProcessTree } from "./processes.ts";

export type EngineName = "sqlite" | "postgres";

export interface Engine {
  name: EngineName;
  /** The floor's bundled entry point. */
  floorMain: string;
  floorEnv: Record<string, string>;
  /** The API server's database variables (the same database settings for every API process). */
  apiEnv: Record<string, string>;
  /** PostgreSQL's postmaster (its backends are its children), pinned to `databaseCore`. */
  databasePid?: number;
  /** How the database runs, for the report. */
  description: string;
  stop(): Promise<void>;
}

/** Connections per process, the API server's default (DATABASE_POOL_MAX), given to the floor as well. */
export const poolMax = 10;

const bundle = (file: string) => fileURLToPath(new URL(`../dist/bin/${file}`, import.meta.url));

/** Seeded part n: the same values on both engines. */
function seedPart(n: number) {
  const at = new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
  const partNumber = `PN-${String(n).padStart(6, "0")}`;
  // Written by a client, as every part stored since the audit trail: responses carry the ids, not nulls.
  const [createdBy, updatedBy] = ["bench-seed", n % 2 === 0 ? "bench-editor" : "bench-seed"];
  return [partNumber, partNumberKey(partNumber), `M-${n % 50}`, `Part ${n}`, n % 3 === 0 ? null : `Seeded part number ${n}`, at, at, createdBy, updatedBy] as const;
}
const seedColumns = "part_number, part_number_key, model_number, name, description, created_at, updated_at, created_by, updated_by";

/** A migrated SQLite file at `file` holding seeded parts 1..rows (also what `profile` and `ab` serve). */
export function seedSqlite(file: string, rows: number): void {
  const handle = openDatabase(file);
  const insert = handle.sqlite.prepare(`insert into parts (${seedColumns}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  handle.sqlite.transaction(() => {
    for (let n = 1; n <= rows; n++) insert.run(...seedPart(n));
  })();
  handle.close();
}

/** Migrates (as the server would) and inserts the rows in one statement, ids 1..rows in order. */
async function seedPostgres(url: string, rows: number): Promise<void> {
  const database = await openPostgresDatabase(url, { max: 1 });
  try {
    const parts = Array.from({ length: rows }, (_, i) => seedPart(i + 1));
    await database.pool.query(
      `insert into parts (${seedColumns})
       select a, b, c, d, e, f::timestamptz, g::timestamptz, h, i
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         with ordinality as t(a, b, c, d, e, f, g, h, i, n)
       order by n`,
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map((column) => parts.map((part) => part[column])),
    );
  } finally {
    await database.close();
  }
}

function sqliteEngine(work: string, rows: number): Engine {
  const floorFile = join(work, "floor.db");
  const apiFile = join(work, "parts.db");
  seedSqlite(floorFile, rows);
  seedSqlite(apiFile, rows);
  return {
    name: "sqlite",
    floorMain: bundle("floor-server.js"),
    floorEnv: { DATABASE_FILE: floorFile },
    apiEnv: { DATABASE_FILE: apiFile },
    description: "SQLite files (WAL, synchronous=FULL)",
    stop: async () => {},
  };
}

/**
 * A throwaway PostgreSQL 15 with durable commits (fsync on, synchronous_commit on: the defaults, as in
 * production), pinned with all its processes to `databaseCore` so it never takes the server core.
 */
async function postgresEngine(rows: number, databaseCore: number): Promise<Engine> {
  const server = await startTestPostgres({ local: true, fsyncOff: false });
  try {
    const [floorUrl, apiUrl] = [await server.createDatabase("bench_floor"), await server.createDatabase("bench_api")];
    await Promise.all([seedPostgres(floorUrl, rows), seedPostgres(apiUrl, rows)]);
    const settings = await showSettings(server.url);
    const postmaster = Number(readFileSync(join(settings.data_directory!, "postmaster.pid"), "utf8").split("\n")[0]);
    pinProcessTree(postmaster, databaseCore);
    const pool = { DATABASE_POOL_MAX: String(poolMax) };
    return {
      name: "postgres",
      floorMain: bundle("floor-postgres.js"),
      floorEnv: { DATABASE_URL: floorUrl, ...pool },
      apiEnv: { DATABASE_URL: apiUrl, ...pool },
      databasePid: postmaster,
      description:
        `PostgreSQL ${settings.server_version} (throwaway cluster, fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}, ` +
        `shared_buffers=${settings.shared_buffers}), all its processes on core ${databaseCore}; ${poolMax} pooled connections per server process`,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function showSettings(url: string): Promise<Record<string, string>> {
  const database = await openPostgresDatabase(url, { max: 1, migrate: false });
  try {
    const names = ["server_version", "fsync", "synchronous_commit", "shared_buffers", "data_directory"];
    const { rows } = await database.pool.query<{ name: string; setting: string }>(
      "select name, current_setting(name) as setting from unnest($1::text[]) as name",
      [names],
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
  } finally {
    await database.close();
  }
}

export function startEngine(name: EngineName, options: { work: string; rows: number; databaseCore: number }): Promise<Engine> {
  return name === "postgres" ? postgresEngine(options.rows, options.databaseCore) : Promise.resolve(sqliteEngine(options.work, options.rows));
}
