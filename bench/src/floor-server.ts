/**
 * The SQLite floor: the least a Node server can do to answer the benchmark's requests. better-sqlite3 prepared
 * statements on the same schema and connection settings as the server (opened with `openDatabase`), behind
 * the bare HTTP side of floor-http.ts.
 *
 * Env: DATABASE_FILE, PORT, HOST (default 127.0.0.1). Prints "listening <port>" once ready.
 */
import { openDatabase, partNumberKey } from "@parts/db";
import { floorClientId, serveFloor, type Row } from "./floor-http.ts";

const handle = openDatabase(process.env.DATABASE_FILE ?? "./floor.db");
const { sqlite } = handle;
const columns =
  "id, part_number as partNumber, model_number as modelNumber, name, description, version, created_at as createdAt, updated_at as updatedAt, " +
  "created_by as createdBy, updated_by as updatedBy";
const byId = sqlite.prepare(`select ${columns} from parts where id = ?`);
// As the repository: the first page without a condition, later ones after an id.
const firstPage = sqlite.prepare(`select ${columns} from parts order by id limit ?`);
const nextPage = sqlite.prepare(`select ${columns} from parts where id > ? order by id limit ?`);
const insert = sqlite.prepare(
  `insert into parts (part_number, part_number_key, model_number, name, description, created_by, updated_by) values (?, ?, ?, ?, ?, ?, ?)
   returning ${columns}`,
);

serveFloor({
  byId: (id) => byId.get(id) as Row | undefined,
  page: (afterId, limit) => (afterId === 0 ? firstPage.all(limit) : nextPage.all(afterId, limit)) as Row[],
  // The server's storage work too: the canonical key under its unique index (and the search index's trigger).
  create: (part) => {
    try {
      return insert.get(part.partNumber, partNumberKey(part.partNumber), part.modelNumber, part.name, part.description, floorClientId, floorClientId) as Row;
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") return undefined;
      throw error;
    }
  },
  close: () => handle.close(),
});
