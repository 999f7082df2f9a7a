/**
 * The parts repository contract: what every storage engine (SQLite, PostgreSQL) offers callers, in the API's
 * own shapes. One test suite (parts-repository.contract.test.ts) runs unchanged against every implementation.
 */

/** A part as the API returns it. Timestamps are ISO 8601 UTC strings with milliseconds, set by the database. */
export interface Part {
  id: number;
  partNumber: string;
  modelNumber: string;
  name: string;
  description: string | null;
  /** 1 when created; every update adds 1. */
  version: number;
  createdAt: string;
  updatedAt: string;
  /**
   * The client id that created the part, and the one that last updated it (the same at creation). Null for parts
   * written before the audit trail existed.
   */
  createdBy: string | null;
  updatedBy: string | null;
}

/**
 * Text is stored as given (trimming and blank-to-null rules belong to the API's schemas). A missing
 * description is stored as null.
 */
export interface CreatePart {
  partNumber: string;
  modelNumber: string;
  name: string;
  description?: string | null | undefined;
}

/** Fields left undefined keep their value; `description: null` clears the description. */
export type UpdatePart = Partial<CreatePart>;

/** Who writes: the acting client's id (the verified token's `client_id`), stored as `createdBy` / `updatedBy`. */
export interface WriteActor {
  by: string;
}

/** A precondition of `update` and `delete`. */
export interface WriteCondition {
  /**
   * Write only if the part is at this version, else throw `VersionConflictError` and change nothing. The check
   * and the write are one atomic statement: of several writers holding the same version, exactly one wins.
   * Undefined: no condition (the last write wins).
   */
  expectedVersion?: number | undefined;
}

export interface ListPartsQuery {
  limit: number;
  /** Keyset position: only rows with a larger id are returned. */
  afterId?: number | undefined;
  /**
   * Case-insensitive (Unicode) substring of part number, model number, name or description; accents are
   * significant. At least 3 characters (code points), else a RangeError: search indexes are made of
   * character trigrams.
   */
  q?: string | undefined;
  /** Exact model number. */
  modelNumber?: string | undefined;
  /** Exact client id that created the part (parts written before the audit trail have none and never match). */
  createdBy?: string | undefined;
  /** Exact client id that last updated the part (at creation, its creator). */
  updatedBy?: string | undefined;
}

/** What `delete` removed: the id, and the version the part had (for the audit log). */
export interface DeletedPart {
  id: number;
  version: number;
}

export interface PartsPage {
  items: Part[];
  /**
   * The id to pass as `afterId` for the next page, or null when no row is left. A page may hold fewer than
   * `limit` items (even none) and still carry a cursor: walking until null visits every match exactly once.
   */
  nextAfterId: number | null;
}

/**
 * Data access for parts. Unique violations surface as `UniqueConstraintError` (`field: "partNumber"` for a
 * part number whose canonical form, `partNumberKey`, another part holds); a failed `expectedVersion` as
 * `VersionConflictError`.
 */
export interface PartsRepository {
  /** One page in id order. */
  list(query: ListPartsQuery): Promise<PartsPage>;
  byId(id: number): Promise<Part | undefined>;
  /** Sets `createdBy` and `updatedBy` to `actor.by`. */
  create(input: CreatePart, actor: WriteActor): Promise<Part>;
  /**
   * Returns undefined when no part has this id. A patch that sets a field adds 1 to `version` (even when the value
   * is unchanged) and sets `updatedBy` to `options.by`; an empty patch writes nothing and returns the part
   * unchanged (its version and `updatedBy` too), after checking the condition.
   */
  update(id: number, patch: UpdatePart, options: WriteActor & WriteCondition): Promise<Part | undefined>;
  /** Returns the deleted part's id and version, or undefined when no part has this id. */
  delete(id: number, condition?: WriteCondition): Promise<DeletedPart | undefined>;
}

/**
 * The fields a patch sets (`undefined` leaves a field as it is). None: an empty patch, which `update` does not
 * write, on every engine; callers that act on writes (the audit trail) ask the same question here.
 */
export function fieldsSet(patch: UpdatePart): Partial<UpdatePart> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
}
