/**
 * The PostgreSQL floor: the least a Node server can do to answer the benchmark's requests from PostgreSQL. A
 * `pg` Pool with the API server's pool settings, running exactly the statements the repository
 * (packages/db/src/postgres/parts-repository.ts) sends: the same SQL text, named prepared statements, rows as
 * arrays, timestamps read as text and turned into ISO strings; behind the bare HTTP side of floor-http.ts.
 *
 * Env: DATABASE_URL (migrated and seeded by the harness), DATABASE_POOL_MAX, DATABASE_CONNECT_TIMEOUT_MS,
 * DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_IDLE_TIMEOUT_MS (the API server's defaults when unset), PORT, HOST.
 */
import { partNumberKey } from "@parts/db";
import pg from "pg";
import { floorClientId, serveFloor, type Row } from "./floor-http.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: env("DATABASE_POOL_MAX", 10),
  connectionTimeoutMillis: env("DATABASE_CONNECT_TIMEOUT_MS", 2000),
  idleTimeoutMillis: env("DATABASE_IDLE_TIMEOUT_MS", 30_000),
  statement_timeout: env("DATABASE_STATEMENT_TIMEOUT_MS", 5000),
  application_name: "parts floor",
});
pool.on("error", () => {});

const columns = `"id", "part_number", "model_number", "name", "description", "version", "created_at", "updated_at", "created_by", "updated_by"`;
// Reads: timestamps formatted by the server as the repository has them (ISO 8601 UTC with milliseconds).
const iso = (column: string) => `to_char("${column}" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "${column}"`;
const readColumns = `"id", "part_number", "model_number", "name", "description", "version", ${iso("created_at")}, ${iso("updated_at")}, "created_by", "updated_by"`;
// The repository's partsInsertLock (packages/db/src/postgres/locks.ts): "part" and 2.
const insertLock = "1885434484, 2";
const statements = {
  byId: `select ${readColumns} from "parts" where "id" = $1`,
  page: `select ${readColumns} from "parts" where "id" > $1 order by "id" limit $2`,
  insert:
    `insert into "parts" ("id", "part_number", "part_number_key", "model_number", "name", "description", "version", "created_at", "updated_at", "created_by", "updated_by") ` +
    `select nextval(pg_get_serial_sequence('parts', 'id'))::int4, $1, $2, $3, $4, $5, 1, now(), now(), $6, $6 from pg_advisory_xact_lock(${insertLock}) ` +
    `returning ${columns}`,
};

const uniqueViolation = "23505";

// As the repository: reads get ISO strings from the server; the insert's RETURNING (through drizzle there) reads
// timestamps as text and makes ISO strings of them by Date.
const timestamptz = 1184;
const types = { getTypeParser: (oid: number, format?: string) => (oid === timestamptz ? (text: string) => text : pg.types.getTypeParser(oid, format as "text")) };

type Values = [number, string, string, string, string | null, number, string, string, string | null, string | null];
const toRow = ([id, partNumber, modelNumber, name, description, version, createdAt, updatedAt, createdBy, updatedBy]: Values): Row => ({
  id,
  partNumber,
  modelNumber,
  name,
  description,
  version,
  createdAt,
  updatedAt,
  createdBy,
  updatedBy,
});
const isoTimestamps = (row: Row): Row => ({ ...row, createdAt: new Date(row.createdAt as string).toISOString(), updatedAt: new Date(row.updatedAt as string).toISOString() });

async function run(name: keyof typeof statements, values: unknown[]): Promise<Row[]> {
  const result = await pool.query<Values>({ name: `floor_${name}`, text: statements[name], values, rowMode: "array", types });
  return result.rows.map(toRow);
}

serveFloor({
  byId: async (id) => (await run("byId", [id]))[0],
  page: (afterId, limit) => run("page", [afterId, limit]),
  create: async (part) => {
    try {
      const [row] = await run("insert", [part.partNumber, partNumberKey(part.partNumber), part.modelNumber, part.name, part.description, floorClientId]);
      return row && isoTimestamps(row);
    } catch (error) {
      if ((error as { code?: string }).code === uniqueViolation) return undefined;
      throw error;
    }
  },
  close: () => pool.end(),
});
