/** A write would break a unique constraint; `field` names the column callers know (e.g. `partNumber`). */
export class UniqueConstraintError extends Error {
  readonly code = "ERR_UNIQUE_CONSTRAINT";
  constructor(readonly field: string) {
    super(`a row with this ${field} already exists`);
    this.name = "UniqueConstraintError";
  }
}

/**
 * A conditional write (`expectedVersion`) found the part at another version and changed nothing. The version check
 * and the write are one statement; `currentVersion` is read just after it, to tell the caller what to re-read.
 */
export class VersionConflictError extends Error {
  readonly code = "ERR_VERSION_CONFLICT";
  readonly expectedVersion: number;
  readonly currentVersion: number;
  constructor(options: { expectedVersion: number; currentVersion: number }) {
    super(`the part is at version ${options.currentVersion}, not ${options.expectedVersion}`);
    this.name = "VersionConflictError";
    this.expectedVersion = options.expectedVersion;
    this.currentVersion = options.currentVersion;
  }
}

const uniqueColumns: Record<string, string> = {
  "parts.part_number": "partNumber",
  // The canonical form of the part number (see part-number-key.ts): to callers, the same field.
  "parts.part_number_key": "partNumber",
};

/**
 * Maps better-sqlite3's unique violation (possibly wrapped by drizzle) to a typed error; anything else
 * is rethrown unchanged.
 */
export function toUniqueConstraintError(error: unknown): UniqueConstraintError | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE") {
      const column = /UNIQUE constraint failed: ([\w.]+)/.exec(e.message)?.[1] ?? "";
      return new UniqueConstraintError(uniqueColumns[column] ?? column);
    }
  }
  return undefined;
}

/** Stable codes of `DatabaseError`. */
export type DatabaseErrorCode =
  /** The database cannot be reached or cannot serve now (connection refused or lost, pool timeout, shutdown, overload). */
  | "ERR_DATABASE_UNAVAILABLE"
  /** The database refused or failed a statement for another reason. */
  | "ERR_DATABASE_QUERY";

/**
 * A database failure other than a unique violation, with a message that never contains query parameters
 * (drizzle's query errors embed them: a part's text, or a key in the issuer's tables). `cause` is the
 * driver's error (its server message and SQLSTATE), not drizzle's wrapper.
 */
export class DatabaseError extends Error {
  readonly code: DatabaseErrorCode;
  /** PostgreSQL's SQLSTATE, when the server answered with one. */
  readonly sqlState: string | undefined;
  /**
   * `reason`: text safe to show (a Node.js error code such as ECONNREFUSED, or the server's message when a
   * connection is refused: login failed, no such database); never a statement's message.
   */
  constructor(options: { code: DatabaseErrorCode; sqlState?: string | undefined; reason?: string | undefined; cause?: unknown }) {
    const what = options.code === "ERR_DATABASE_UNAVAILABLE" ? "database unavailable" : "database query failed";
    const why = [options.sqlState === undefined ? undefined : `SQLSTATE ${options.sqlState}`, options.reason].filter(Boolean);
    super(why.length === 0 ? what : `${what} (${why.join(": ")})`, { cause: options.cause });
    this.name = "DatabaseError";
    this.code = options.code;
    this.sqlState = options.sqlState;
  }
}
