/** A write would break a unique constraint; `field` names the column callers know (e.g. `partNumber`). */
export class UniqueConstraintError extends Error {
  readonly code = "ERR_UNIQUE_CONSTRAINT";
  constructor(readonly field: string) {
    super(`a row with this ${field} already exists`);
    this.name = "UniqueConstraintError";
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
