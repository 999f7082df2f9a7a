import { and, asc, eq, gt, or, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { PartsDatabase } from "./connection.ts";
import { toUniqueConstraintError } from "./errors.ts";
import { parts, type NewPartRow, type PartRow } from "./schema.ts";

export type Part = PartRow;
export type CreatePart = Pick<NewPartRow, "partNumber" | "modelNumber" | "name" | "description">;
export type UpdatePart = Partial<CreatePart>;

export interface ListPartsQuery {
  limit: number;
  /** Keyset position: only rows with a larger id are returned. */
  afterId?: number | undefined;
  /** Case-insensitive substring over part number, model number, name and description. */
  q?: string | undefined;
  modelNumber?: string | undefined;
}

export interface PartsPage {
  items: Part[];
  /** The id to pass as `afterId` for the next page, or null on the last page. */
  nextAfterId: number | null;
}

/** `%` and `_` in user text must match themselves, not act as wildcards. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function textSearch(q: string): SQL {
  const pattern = containsPattern(q);
  const matches = (column: SQLiteColumn) =>
    sql`${column} like ${pattern} escape '\\'`;
  return or(matches(parts.partNumber), matches(parts.modelNumber), matches(parts.name), matches(parts.description))!;
}

/**
 * Data access for parts. Every function is async so that a networked database (Postgres) can replace
 * SQLite without changing callers. Unique violations surface as `UniqueConstraintError`.
 */
export function createPartsRepository(db: PartsDatabase) {
  const byIdStatement = db
    .select()
    .from(parts)
    .where(eq(parts.id, sql.placeholder("id")))
    .prepare();

  function rethrowTyped(error: unknown): never {
    throw toUniqueConstraintError(error) ?? error;
  }

  return {
    async list(query: ListPartsQuery): Promise<PartsPage> {
      const where = and(
        query.afterId === undefined ? undefined : gt(parts.id, query.afterId),
        query.modelNumber === undefined ? undefined : eq(parts.modelNumber, query.modelNumber),
        query.q === undefined ? undefined : textSearch(query.q),
      );
      const rows = db
        .select()
        .from(parts)
        .where(where)
        .orderBy(asc(parts.id))
        .limit(query.limit + 1)
        .all();
      const hasMore = rows.length > query.limit;
      const items = hasMore ? rows.slice(0, query.limit) : rows;
      return { items, nextAfterId: hasMore ? items[items.length - 1]!.id : null };
    },

    async byId(id: number): Promise<Part | undefined> {
      return byIdStatement.get({ id });
    },

    async create(input: CreatePart): Promise<Part> {
      try {
        return db.insert(parts).values(input).returning().get();
      } catch (error) {
        return rethrowTyped(error);
      }
    },

    /** Returns undefined when no part has this id. */
    async update(id: number, patch: UpdatePart): Promise<Part | undefined> {
      const values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      if (Object.keys(values).length === 0) return byIdStatement.get({ id });
      try {
        return db.update(parts).set(values).where(eq(parts.id, id)).returning().get();
      } catch (error) {
        return rethrowTyped(error);
      }
    },

    /** Returns the deleted id, or undefined when no part has this id. */
    async delete(id: number): Promise<number | undefined> {
      return db.delete(parts).where(eq(parts.id, id)).returning({ id: parts.id }).get()?.id;
    },
  };
}

export type PartsRepository = ReturnType<typeof createPartsRepository>;
