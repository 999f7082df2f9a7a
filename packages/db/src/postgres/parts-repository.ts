import { and, eq, getTableColumns, or, sql, type SQL } from "drizzle-orm";
import { equalities, exactFiltersOf, memo, type ExactFilters } from "../list-filters.ts";
import type { CreatePart, DeletedPart, ListPartsQuery, Part, PartsPage, PartsRepository, UpdatePart, WriteActor, WriteCondition } from "../parts-contract.ts";
import { fieldsSet } from "../parts-contract.ts";
import { partNumberKey } from "../part-number-key.ts";
import type { PgColumn } from "drizzle-orm/pg-core";
import { likeSubstringPattern } from "../search-query.ts";
import type { PostgresPartsDatabase } from "./connection.ts";
import { defaultRetryOptions, toPoolQueryError, toRepositoryError, withRetry, type RetryOptions } from "./errors.ts";
import { partsInsertLock } from "./locks.ts";
import { parts, type PgPartRow } from "./schema.ts";
import { repositoryOf, type EngineMethods, type QueryObserver } from "../observed-repository.ts";
import { checkedUnchanged, missedWrite } from "../write-condition.ts";

export interface PostgresPartsRepositoryOptions {
  /** Retries of a write after a serialization failure or deadlock (SQLSTATE 40001, 40P01). */
  retry?: RetryOptions;
  /**
   * How many rows in id order a search scans before it turns to the trigram indexes for the rest of a page
   * (default 1000; see `searchPage`).
   */
  searchScanRows?: number;
  /** Told of every call when it settles (the API's query metrics). */
  observe?: QueryObserver;
}

/** The columns callers see, in the API's order (`JSON.stringify` of a part is byte-identical to SQLite's). */
const partColumns = {
  id: parts.id,
  partNumber: parts.partNumber,
  modelNumber: parts.modelNumber,
  name: parts.name,
  description: parts.description,
  version: parts.version,
  createdAt: parts.createdAt,
  updatedAt: parts.updatedAt,
  createdBy: parts.createdBy,
  updatedBy: parts.updatedBy,
};
type SelectedPart = Pick<PgPartRow, keyof typeof partColumns>;

function toPart(row: SelectedPart): Part {
  return {
    id: row.id,
    partNumber: row.partNumber,
    modelNumber: row.modelNumber,
    name: row.name,
    description: row.description,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
  };
}

/** A row of the search window statement: the window's size and end, and one match (all null when none). */
interface WindowRow extends Record<string, unknown> {
  scanned: number;
  end_id: number | null;
  id: number | null;
  part_number: string;
  model_number: string;
  name: string;
  description: string | null;
  version: number;
  /** ISO strings, formatted by the server (`isoTimestamp`). */
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

function fromWindowRow(row: WindowRow): Part {
  return {
    id: row.id!,
    partNumber: row.part_number,
    modelNumber: row.model_number,
    name: row.name,
    description: row.description,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  };
}

const placeholder = sql.placeholder;

/** ISO 8601 UTC with milliseconds, as `Date.prototype.toISOString` writes it (timestamps are from now(), years 1–9999). */
const isoTimestamp = (expression: string) => `to_char(${expression} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * `"id", "part_number", …`: the columns of `partColumns`, in its order, timestamps formatted by the server. Making
 * them ISO strings here cost more than the rest of the row: `new Date(text)` of PostgreSQL's own format takes
 * V8's slow legacy parser (a quarter of the server's CPU time for a 100-row page, profiled).
 */
const selectList = Object.values(partColumns)
  .map((column) => (column.columnType === "PgTimestamp" ? `${isoTimestamp(`"${column.name}"`)} as "${column.name}"` : `"${column.name}"`))
  .join(", ");

/** A row of `selectList` as node-postgres returns it in array mode. */
type PartValues = [number, string, string, string, string | null, number, string, string, string | null, string | null];

function fromValues([id, partNumber, modelNumber, name, description, version, createdAt, updatedAt, createdBy, updatedBy]: PartValues): Part {
  return { id, partNumber, modelNumber, name, description, version, createdAt, updatedAt, createdBy, updatedBy };
}

/** The exact filters as drizzle conditions on the parts table. */
function filterConditions(filters: ExactFilters): SQL[] {
  return filters.columns.map((column, i) => sql`${sql.identifier(column)} = ${filters.values[i]}`);
}

/**
 * The parts repository on PostgreSQL (node-postgres pool through drizzle), with the contract of
 * parts-contract.ts.
 *
 * Keyset pages and concurrent writers: an identity value is drawn when a row is inserted, not when it
 * commits, so two inserts can commit out of id order, and a reader paging with `id > cursor` could pass a
 * lower id that commits later and never see it (tested). Every insert therefore takes a transaction-scoped
 * advisory lock (`partsInsertLock`) before it draws its id and holds it until it commits: inserts through
 * this repository, from any process on the database, commit one at a time in id order, and PostgreSQL makes a
 * commit visible before it releases the lock. So a row committed after a page was read has an id above every
 * id that page could see.
 *
 * Guarantee, for a walk from no cursor until `nextAfterId` is null: ids come in increasing order, each at most
 * once; every row that exists when the walk ends and matched the query when the walk read past its id is
 * returned, rows created during the walk included. A row deleted during the walk may or may not be returned;
 * a row updated during the walk is returned at most once, as its page read it. It holds for rows inserted through
 * this repository while the identity sequence draws one value at a time (CACHE 1, as migrated); not for rows
 * inserted by other SQL, nor on engines whose advisory locks are no-ops (CockroachDB). The cost: inserts do
 * not overlap (one commit at a time); updates and deletes do not take the lock.
 *
 * Every write is one statement, which PostgreSQL runs as one transaction (no BEGIN/COMMIT round trips), and
 * is retried on serialization failure or deadlock. Reads and inserts use named prepared statements; search
 * does not (see `searchPage`).
 */
export function createPostgresPartsRepository(db: PostgresPartsDatabase, options: PostgresPartsRepositoryOptions = {}): PartsRepository {
  const retry = options.retry ?? defaultRetryOptions;
  const searchScanRows = options.searchScanRows ?? 1000;

  // The hot reads go to the pool directly: drizzle's per-row, per-column result mapping cost more than the
  // query itself for a 100-row page (bench: list(100) at about half the floor's CPU time per request).
  const pool = db.$client;
  const read = async (statement: { name: string; text: string }, values: unknown[]): Promise<Part[]> => {
    const result = await pool
      .query<PartValues>({ ...statement, values, rowMode: "array" })
      .catch((error: unknown) => Promise.reject(toPoolQueryError(error)));
    return result.rows.map(fromValues);
  };
  // Ids start at 1, so afterId 0 is "from the start": one statement serves first and later pages.
  const statements = {
    byId: { name: "parts_by_id", text: `select ${selectList} from "parts" where "id" = $1` },
    page: { name: "parts_page", text: `select ${selectList} from "parts" where "id" > $1 order by "id" limit $2` },
    /** Exact filters (model number, createdBy, updatedBy), each served by its (column, id) index. */
    filteredPage: memo((key) => {
      const columns = key.split(",");
      return {
        name: `parts_page_by_${columns.join("_")}`,
        text: `select ${selectList} from "parts" where ${equalities(columns, (i) => `$${i + 1}`)}
          and "id" > $${columns.length + 1} order by "id" limit $${columns.length + 2}`,
      };
    }),
  };

  // INSERT … SELECT nextval(…), … FROM pg_advisory_xact_lock(…): the lock is taken when the one source row is
  // produced, before the select list (and so nextval) is evaluated for it, and held until the statement's
  // transaction commits.
  const insertValues: Record<string, SQL> = {
    id: sql`nextval(pg_get_serial_sequence('parts', 'id'))::int4`,
    partNumber: sql`${placeholder("partNumber")}`,
    partNumberKey: sql`${placeholder("partNumberKey")}`,
    modelNumber: sql`${placeholder("modelNumber")}`,
    name: sql`${placeholder("name")}`,
    description: sql`${placeholder("description")}`,
    version: sql`1`,
    createdAt: sql`now()`,
    updatedAt: sql`now()`,
    createdBy: sql`${placeholder("by")}`,
    updatedBy: sql`${placeholder("by")}`,
  };
  // drizzle inserts the SELECT's columns in the table's column order, leaving out the columns it never inserts
  // (generated ones): follow that order by key. `shouldDisableInsert` is drizzle's own test, not in its types.
  const insertSelectList = Object.entries(getTableColumns(parts))
    .filter(([, column]) => !(column as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert())
    .map(([key]) => {
      const value = insertValues[key];
      if (value === undefined) throw new Error(`no insert value for parts.${key}`);
      return value;
    });
  const insertStatement = db
    .insert(parts)
    .select(
      sql`select ${sql.join(insertSelectList, sql`, `)} from pg_advisory_xact_lock(${sql.raw(String(partsInsertLock[0]))}, ${sql.raw(String(partsInsertLock[1]))})`,
    )
    .returning(partColumns)
    .prepare("parts_insert");
  const deleteStatement = db
    .delete(parts)
    .where(eq(parts.id, placeholder("id")))
    .returning({ id: parts.id, version: parts.version })
    .prepare("parts_delete");
  const conditionalDeleteStatement = db
    .delete(parts)
    .where(and(eq(parts.id, placeholder("id")), eq(parts.version, placeholder("expectedVersion"))))
    .returning({ id: parts.id, version: parts.version })
    .prepare("parts_delete_if_version");

  /**
   * Substring search: the pattern is matched with ILIKE in each of the four columns (case folded by the
   * database's LC_CTYPE: C.UTF-8 folds all of Unicode; accents stay significant).
   *
   * Two steps, because PostgreSQL's planner cannot tell a common pattern from a rare one here: it estimates a
   * few matches for any pattern and prices the trigram GIN indexes above a scan in id order or of the whole
   * table. Left to itself, a rare pattern read every row, although the GIN indexes find it at once, while a
   * common pattern through the GIN indexes would read every match although the id order finds a page in its
   * first rows. So: first the next `searchScanRows` rows in id order (of those the exact filters keep) are
   * scanned, which serves common patterns; when that window is full but the page is not, the rest comes from
   * the trigram indexes (`searchByIndex`), whose work grows with the matches after the window. Both are
   * unnamed statements, planned with the pattern. Figures belong with the search micro-benchmark
   * (bench/README.md) once it covers PostgreSQL.
   */
  async function searchPage(query: ListPartsQuery & { q: string }, filters: ExactFilters, take: number): Promise<Part[]> {
    const pattern = likeSubstringPattern(query.q);
    const afterId = query.afterId ?? 0;
    const inWindow = (column: string) => sql`${sql.identifier("w")}.${sql.identifier(column)} ilike ${pattern} escape '\\'`;
    const exact = filterConditions(filters);
    const exactFilter = exact.length === 0 ? sql`` : sql` and ${and(...exact)}`;
    // One statement, so the window's end and its matches come from one snapshot. The LEFT JOIN keeps one row
    // (with the window's end) when nothing in the window matches.
    const { rows } = await db.execute<WindowRow>(sql`
      with w as (
        select * from ${parts} where ${parts.id} > ${afterId}${exactFilter} order by ${parts.id} limit ${searchScanRows}
      )
      select e.scanned, e.end_id, m.id, m.part_number, m.model_number, m.name, m.description, m.version,
        ${sql.raw(isoTimestamp("m.created_at"))} as created_at, ${sql.raw(isoTimestamp("m.updated_at"))} as updated_at,
        m.created_by, m.updated_by
      from (select count(*)::int as scanned, max(id) as end_id from w) e
      left join lateral (
        select * from w
        where ${inWindow("part_number")} or ${inWindow("model_number")} or ${inWindow("name")} or ${inWindow("description")}
        order by w.id limit ${take}
      ) m on true
      order by m.id`);
    const found = rows.filter((row) => row.id !== null).map(fromWindowRow);
    const window = rows[0];
    if (found.length >= take || window === undefined || window.scanned < searchScanRows) return found;
    return [...found, ...(await searchByIndex(exact, pattern, window.end_id!, take - found.length))];
  }

  /**
   * Matches after `afterId` through the trigram GIN indexes (a BitmapOr of the four), in id order. The planner
   * is told to leave the id-order scan and the sequential scan aside for this one transaction (see
   * `searchPage`).
   */
  async function searchByIndex(exact: SQL[], pattern: string, afterId: number, take: number): Promise<Part[]> {
    const matches = (column: PgColumn) => sql`${column} ilike ${pattern} escape '\\'`;
    const conditions = [
      or(matches(parts.partNumber), matches(parts.modelNumber), matches(parts.name), matches(parts.description)),
      // `+ 0`: not a range the primary key's index could serve, so the bitmap comes from the trigram indexes.
      sql`${parts.id} + 0 > ${afterId}`,
      ...exact,
    ];
    return db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true)`);
      const found = await tx
        .select(partColumns)
        .from(parts)
        .where(and(...conditions))
        .orderBy(parts.id)
        .limit(take);
      return found.map(toPart);
    });
  }

  async function rows(query: ListPartsQuery, take: number): Promise<Part[]> {
    const { q } = query;
    const afterId = query.afterId ?? 0;
    const filters = exactFiltersOf(query);
    if (q !== undefined) return searchPage({ ...query, q }, filters, take);
    if (filters.key === "") return read(statements.page, [afterId, take]);
    return read(statements.filteredPage(filters.key), [...filters.values, afterId, take]);
  }

  async function byId(id: number): Promise<Part | undefined> {
    try {
      return (await read(statements.byId, [id]))[0];
    } catch (error) {
      throw toRepositoryError(error);
    }
  }

  const methods: EngineMethods = {
    byId,

    async list(query: ListPartsQuery): Promise<PartsPage> {
      let found: Part[];
      try {
        found = await rows(query, query.limit + 1);
      } catch (error) {
        throw toRepositoryError(error);
      }
      const hasMore = found.length > query.limit;
      const items = hasMore ? found.slice(0, query.limit) : found;
      return { items, nextAfterId: hasMore ? items[items.length - 1]!.id : null };
    },

    async create(input: CreatePart, { by }: WriteActor): Promise<Part> {
      const [row] = await withRetry(
        () =>
          insertStatement.execute({
            partNumber: input.partNumber,
            partNumberKey: partNumberKey(input.partNumber),
            modelNumber: input.modelNumber,
            name: input.name,
            description: input.description ?? null,
            by,
          }),
        retry,
      );
      return toPart(row!);
    },

    /**
     * With `expectedVersion` the check is in the UPDATE's WHERE: under READ COMMITTED a second writer of the same row
     * waits for the first one's row lock, then re-checks the WHERE on the row the first one committed, so of
     * several writers holding one version exactly one changes the row.
     */
    async update(id: number, patch: UpdatePart, { by, expectedVersion }: WriteActor & WriteCondition): Promise<Part | undefined> {
      const values: Partial<typeof parts.$inferInsert> = fieldsSet(patch);
      if (Object.keys(values).length === 0) return checkedUnchanged(await byId(id), expectedVersion);
      if (values.partNumber !== undefined) values.partNumberKey = partNumberKey(values.partNumber);
      const where = expectedVersion === undefined ? eq(parts.id, id) : and(eq(parts.id, id), eq(parts.version, expectedVersion));
      const [row] = await withRetry(
        () =>
          db
            .update(parts)
            .set({ ...values, updatedBy: by, version: sql`${parts.version} + 1`, updatedAt: sql`now()` })
            .where(where)
            .returning(partColumns),
        retry,
      );
      if (row !== undefined) return toPart(row);
      return expectedVersion === undefined ? undefined : missedWrite(await byId(id), expectedVersion);
    },

    async delete(id: number, condition: WriteCondition = {}): Promise<DeletedPart | undefined> {
      const { expectedVersion } = condition;
      if (expectedVersion === undefined) return (await withRetry(() => deleteStatement.execute({ id }), retry))[0];
      const [row] = await withRetry(() => conditionalDeleteStatement.execute({ id, expectedVersion }), retry);
      return row ?? missedWrite(await byId(id), expectedVersion);
    },
  };
  return repositoryOf(methods, options.observe);
}
