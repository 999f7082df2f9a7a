import { and, eq, getTableColumns, sql } from "drizzle-orm";
import type { Statement } from "better-sqlite3";
import type { PartsDatabase } from "./connection.ts";
import { toUniqueConstraintError } from "./errors.ts";
import { equalities, exactFiltersOf, memo, type ExactFilters } from "./list-filters.ts";
import type { CreatePart, DeletedPart, ListPartsQuery, Part, PartsPage, PartsRepository, UpdatePart, WriteActor, WriteCondition } from "./parts-contract.ts";
import { fieldsSet } from "./parts-contract.ts";
import { partNumberKey } from "./part-number-key.ts";
import { parts, type NewPartRow } from "./schema.ts";
import { ftsPhrase } from "./search-query.ts";
import type { SqliteValue, SqliteWriter, WriteStatement } from "./sqlite-writer.ts";
import { repositoryOf, type EngineMethods, type QueryObserver } from "./observed-repository.ts";
import { checkedUnchanged, missedWrite } from "./write-condition.ts";

// The key is storage's business (uniqueness), not part of a part as callers see it.
const { partNumberKey: _partNumberKey, ...partColumns } = getTableColumns(parts);

/** `p."part_number" as "partNumber", …`: rows come back from SQLite already shaped as `Part`. */
const selectColumns = Object.entries(partColumns)
  .map(([key, column]) => `p."${column.name}" as "${key}"`)
  .join(", ");
/** The same list unqualified, for `returning` (which names the target table's columns only). */
const returningColumns = selectColumns.replaceAll('p."', '"');

export interface PartsRepositoryOptions {
  /**
   * Most index matches one filtered search page (`q` with `modelNumber`, `createdBy` or `updatedBy`) passes over.
   * When `q` matches many parts the filters leave out, a page stops there, shorter than its limit, with a cursor
   * to continue from.
   */
  searchScanLimit?: number;
  /**
   * Where writes run: a writer thread (`startSqliteWriter`, as the server does: commits and their fsync off the
   * event loop, grouped). Without one, writes run on `db`'s own connection, on the calling thread.
   */
  writer?: SqliteWriter;
  /** Told of every call when it settles (the API's query metrics); reads are timed without any promise work. */
  observe?: QueryObserver;
}

/**
 * The parts repository on SQLite, with the contract of parts-contract.ts (every function is async so that
 * PostgreSQL can stand in without changing callers). Writes run one at a time (one connection: `db`'s own, or
 * the writer thread's), so ids commit in order and a keyset walk never passes a row that commits later (SQLite
 * has one writer at a time, across processes too, and draws the id inside the write).
 *
 * With `options.writer`, reads stay on `db`'s connection on the calling thread and writes go to the writer thread
 * (see sqlite-writer.ts for its group commit). Durability: a write resolves only after its COMMIT returned on a
 * `synchronous=FULL` connection (the WAL fsync'd), so an acknowledged write survives a process kill and a power
 * loss; in WAL mode a read started after that sees it.
 *
 * The hot paths (byId, list pages, create) are better-sqlite3 statements prepared once and returning rows
 * under the API's names: measured in bench/README.md, drizzle's per-call query building and row mapping cost
 * more than the query itself for a 100-item page. Updates go through drizzle.
 */
export function createSqlitePartsRepository(db: PartsDatabase, options: PartsRepositoryOptions = {}): PartsRepository {
  const searchScanLimit = options.searchScanLimit ?? 10_000;
  const sqlite = db.$client;
  const byIdStatement = sqlite.prepare<[number], Part>(`select ${selectColumns} from parts p where id = ?`);
  const pageStatements = {
    first: sqlite.prepare<[number], Part>(`select ${selectColumns} from parts p order by id limit ?`),
    after: sqlite.prepare<[number, number], Part>(`select ${selectColumns} from parts p where id > ? order by id limit ?`),
    /** Exact filters (model number, createdBy, updatedBy): `… and id > ? order by id limit ?`, each served by its index. */
    filtered: memo((key) =>
      sqlite.prepare<SqliteValue[], Part>(
        `select ${selectColumns} from parts p where ${equalities(key.split(","), () => "?")} and id > ? order by id limit ?`,
      ),
    ),
  };
  // Search walks the trigram index in rowid (= id) order from the keyset position and stops after one page:
  // the work grows with the rows it has to pass over, not with the catalogue. CROSS JOIN pins the index as
  // the outer loop (SQLite never reorders a CROSS JOIN); FTS5 serves both `rowid > ?` and `order by rowid`.
  // With exact filters (model, createdBy, updatedBy), matches that fail them are passed over, at most
  // `searchScanLimit` of them per page: without that bound a common q with a rare model walked the whole index
  // (tens of ms at 100,000 parts).
  const searchStatements = {
    all: sqlite.prepare<[string, number, number], Part>(
      `select ${selectColumns} from parts_fts f cross join parts p on p.id = f.rowid
       where parts_fts match ? and f.rowid > ? order by f.rowid limit ?`,
    ),
    filtered: memo((key) =>
      sqlite.prepare<SqliteValue[], Part>(
        `select ${selectColumns} from (
           select rowid as id from parts_fts where parts_fts match ? and rowid > ? order by rowid limit ?
         ) f cross join parts p on p.id = f.id
         where ${equalities(key.split(","), () => "?", "p.")} order by f.id limit ?`,
      ),
    ),
    /** The last match a capped filtered page passed over, or undefined when the matches ran out first. */
    scanEnd: sqlite
      .prepare<[string, number, number], number>(
        `select rowid from parts_fts where parts_fts match ? and rowid > ? order by rowid limit 1 offset ?`,
      )
      .pluck(),
  };
  const insertSql = `insert into parts (part_number, model_number, name, description, part_number_key, created_by, updated_by)
     values (?, ?, ?, ?, ?, ?, ?) returning ${returningColumns}`;
  const writer = options.writer;
  const write: SqliteWriter["run"] = writer === undefined ? inProcessWriter(db) : (statement) => writer.run(statement);

  /** A filtered search page; when it ends short because the scan bound was reached, where to go on from. */
  function filteredSearchPage(query: ListPartsQuery & { q: string }, filters: ExactFilters): PartsPage {
    const match = ftsPhrase(query.q);
    const after = query.afterId ?? 0;
    const rows = searchStatements.filtered(filters.key).all(match, after, searchScanLimit, ...filters.values, query.limit + 1);
    if (rows.length > query.limit) return fullPage(rows, query.limit);
    const scanEnd = searchStatements.scanEnd.get(match, after, searchScanLimit - 1);
    return { items: rows, nextAfterId: scanEnd ?? null };
  }

  function fullPage(rows: Part[], limit: number): PartsPage {
    const hasMore = rows.length > limit;
    const items = hasMore ? rows.slice(0, limit) : rows;
    return { items, nextAfterId: hasMore ? items[items.length - 1]!.id : null };
  }

  function page(query: ListPartsQuery, filters: ExactFilters, take: number): Part[] {
    const { afterId } = query;
    // Ids start at 1, so 0 is "from the start".
    if (query.q !== undefined) return searchStatements.all.all(ftsPhrase(query.q), afterId ?? 0, take);
    if (filters.key !== "") return pageStatements.filtered(filters.key).all(...filters.values, afterId ?? 0, take);
    return afterId === undefined ? pageStatements.first.all(take) : pageStatements.after.all(afterId, take);
  }

  function rethrowTyped(error: unknown): never {
    throw toUniqueConstraintError(error) ?? error;
  }

  // Reads answer at once (better-sqlite3 runs them on this thread); `repositoryOf` makes every method a promise.
  const methods: EngineMethods = {
    /**
     * One page in id order. `nextAfterId` is null only when no row is left; a search filtered by model may end
     * short of `limit` (even empty) with a non-null `nextAfterId` when it reached the scan bound.
     */
    list(query: ListPartsQuery): PartsPage {
      const { q } = query;
      const filters = exactFiltersOf(query);
      if (q !== undefined && filters.key !== "") return filteredSearchPage({ ...query, q }, filters);
      return fullPage(page(query, filters, query.limit + 1), query.limit);
    },

    byId(id: number): Part | undefined {
      return byIdStatement.get(id);
    },

    async create(input: CreatePart, { by }: WriteActor): Promise<Part> {
      const { partNumber, modelNumber, name, description } = input;
      const params = [partNumber, modelNumber, name, description ?? null, partNumberKey(partNumber), by, by];
      try {
        return (await write<Part>({ sql: insertSql, params }))!;
      } catch (error) {
        return rethrowTyped(error);
      }
    },

    /**
     * Returns undefined when no part has this id. With `expectedVersion` the version check is part of the one
     * UPDATE statement (`where id = ? and version = ?`), so it holds under group commit too: the writer thread runs
     * a group's statements one after another on one connection, and a later statement of the same group sees the
     * version an earlier one wrote.
     */
    async update(id: number, patch: UpdatePart, { by, expectedVersion }: WriteActor & WriteCondition): Promise<Part | undefined> {
      const values: Partial<NewPartRow> = fieldsSet(patch);
      if (Object.keys(values).length === 0) return checkedUnchanged(byIdStatement.get(id), expectedVersion);
      if (values.partNumber !== undefined) values.partNumberKey = partNumberKey(values.partNumber);
      const where = expectedVersion === undefined ? eq(parts.id, id) : and(eq(parts.id, id), eq(parts.version, expectedVersion));
      // drizzle writes the SET list (with updated_at's $onUpdate); the row comes back under the API's names.
      const statement = db
        .update(parts)
        .set({ ...values, updatedBy: by, version: sql`${parts.version} + 1` })
        .where(where)
        .toSQL();
      let row: Part | undefined;
      try {
        row = await write<Part>({ sql: `${statement.sql} returning ${returningColumns}`, params: statement.params as SqliteValue[] });
      } catch (error) {
        return rethrowTyped(error);
      }
      if (row !== undefined || expectedVersion === undefined) return row;
      return missedWrite(byIdStatement.get(id), expectedVersion);
    },

    /** Returns the deleted part's id and version, or undefined when no part has this id. */
    async delete(id: number, condition: WriteCondition = {}): Promise<DeletedPart | undefined> {
      const { expectedVersion } = condition;
      if (expectedVersion === undefined) {
        return write<DeletedPart>({ sql: "delete from parts where id = ? returning id, version", params: [id] });
      }
      const row = await write<DeletedPart>({ sql: "delete from parts where id = ? and version = ? returning id, version", params: [id, expectedVersion] });
      return row ?? missedWrite(byIdStatement.get(id), expectedVersion);
    },
  };
  return repositoryOf(methods, options.observe);
}

/**
 * Writes on `db`'s own connection, on the calling thread, each in an explicit transaction: better-sqlite3's `get()`
 * steps once, then resets the statement and ignores sqlite3_reset's result; for an autocommit `insert … returning`
 * the COMMIT happens inside that reset, so a commit that failed (SQLITE_FULL on a full disk, SQLITE_IOERR) was
 * dropped silently: the caller got the row although SQLite had rolled it back. An explicit COMMIT is a statement
 * of its own and throws.
 */
function inProcessWriter(db: PartsDatabase): SqliteWriter["run"] {
  const sqlite = db.$client;
  const statements = new Map<string, Statement<SqliteValue[]>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) statements.set(sql, (statement = sqlite.prepare<SqliteValue[]>(sql)));
    return statement;
  };
  return async <Row>({ sql, params }: WriteStatement) => sqlite.transaction(() => prepared(sql).get(...params) as Row | undefined)();
}

/** The name callers used before there was a second engine. */
export const createPartsRepository = createSqlitePartsRepository;
