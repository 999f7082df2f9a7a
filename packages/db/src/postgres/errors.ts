import { DrizzleQueryError } from "drizzle-orm";
import pg from "pg";
import { DatabaseError, UniqueConstraintError } from "../errors.ts";

/** Unique constraints by name, and the field callers know them by. */
const uniqueConstraintFields: Record<string, string> = {
  // The canonical part number (see part-number-key.ts); it also keeps `part_number` itself unique.
  parts_part_number_key_unique: "partNumber",
};

/** SQLSTATEs after which the same transaction, run again, may succeed. */
const retryableSqlStates = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected

/**
 * SQLSTATEs that mean the server cannot serve now rather than that the statement is wrong: connection
 * exceptions (08), insufficient resources (53: too many connections, disk full), operator intervention (57:
 * statement_timeout's query_canceled, admin or crash shutdown, cannot connect now).
 */
function isUnavailableSqlState(sqlState: string): boolean {
  return sqlState.startsWith("08") || sqlState.startsWith("53") || sqlState.startsWith("57");
}

/** The server's error (with SQLSTATE) in the cause chain, e.g. inside drizzle's `DrizzleQueryError`. */
function serverErrorIn(error: unknown): pg.DatabaseError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof pg.DatabaseError) return e;
  }
  return undefined;
}

/** The innermost error of the chain: the driver's own error under drizzle's wrapper. */
function innermost(error: unknown): unknown {
  let e = error;
  for (let depth = 0; e instanceof Error && e.cause !== undefined && depth < 8; depth++) e = e.cause;
  return e;
}

export function isRetryable(error: unknown): boolean {
  const sqlState = serverErrorIn(error)?.code;
  return sqlState !== undefined && retryableSqlStates.has(sqlState);
}

/**
 * Maps a failure from node-postgres (possibly wrapped by drizzle) to the repository's errors: a unique
 * violation (SQLSTATE 23505) by constraint name to `UniqueConstraintError`, any other database failure to
 * `DatabaseError`, whose message carries no query parameters. Other errors (a RangeError from input checks)
 * pass through unchanged.
 */
export function toRepositoryError(error: unknown): unknown {
  const serverError = serverErrorIn(error);
  if (serverError?.code === "23505" && (error instanceof DrizzleQueryError || error instanceof pg.DatabaseError)) {
    const constraint = serverError.constraint ?? "";
    return new UniqueConstraintError(uniqueConstraintFields[constraint] ?? constraint);
  }
  return toDatabaseError(error);
}

/**
 * Maps a failure from node-postgres (possibly wrapped by drizzle) to `DatabaseError`, whose message carries no
 * query parameters (drizzle's `DrizzleQueryError` quotes them): unavailable (connection, resources, operator
 * SQLSTATEs, or no SQLSTATE at all) or a failed query. Other errors pass through unchanged.
 */
export function toDatabaseError(error: unknown): unknown {
  if (!(error instanceof DrizzleQueryError) && !(error instanceof pg.DatabaseError)) return error;
  return toDriverFailure(error);
}

/**
 * A failure of a statement sent to the pool directly (not through drizzle), where every error is the driver's:
 * mapped as `toRepositoryError` maps drizzle's, including node-postgres' own errors without SQLSTATE (pool
 * timeout, refused or lost connection), which are `ERR_DATABASE_UNAVAILABLE`.
 */
export function toPoolQueryError(error: unknown): DatabaseError | UniqueConstraintError {
  const mapped = toRepositoryError(error);
  return mapped instanceof DatabaseError || mapped instanceof UniqueConstraintError ? mapped : toDriverFailure(error);
}

function toDriverFailure(error: unknown): DatabaseError {
  const serverError = serverErrorIn(error);
  if (serverError !== undefined) {
    const sqlState = serverError.code;
    const code = sqlState !== undefined && isUnavailableSqlState(sqlState) ? "ERR_DATABASE_UNAVAILABLE" : "ERR_DATABASE_QUERY";
    return new DatabaseError({ code, sqlState, cause: serverError });
  }
  // No SQLSTATE: the connection failed (refused, reset, pool timeout, terminated). node-postgres' own messages
  // for these carry no query parameters; the Node.js error code, when there is one, names the reason.
  const cause = innermost(error);
  const reason = (cause as { code?: unknown } | undefined)?.code;
  return new DatabaseError({
    code: "ERR_DATABASE_UNAVAILABLE",
    reason: typeof reason === "string" && /^[A-Z0-9_]+$/.test(reason) ? reason : undefined,
    cause,
  });
}

/**
 * A failure to open a connection or to migrate, as `DatabaseError`: the server's message is the reason (login
 * failed, no such database, permission denied to create an extension: these statements carry no parameters
 * and such messages quote at most a user, database or object name, never a password), else the Node.js error
 * code or node-postgres' message (refused, timeout, lost connection).
 */
export function toConnectError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const serverError = serverErrorIn(error);
  if (serverError !== undefined) {
    const sqlState = serverError.code;
    const code = sqlState !== undefined && !isUnavailableSqlState(sqlState) && !sqlState.startsWith("28") && sqlState !== "3D000"
      ? "ERR_DATABASE_QUERY"
      : "ERR_DATABASE_UNAVAILABLE";
    return new DatabaseError({ code, sqlState, reason: serverError.message, cause: serverError });
  }
  const cause = innermost(error);
  const nodeCode = (cause as { code?: unknown } | undefined)?.code;
  const reason = typeof nodeCode === "string" ? nodeCode : cause instanceof Error ? cause.message : String(cause);
  return new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", reason, cause });
}

export interface RetryOptions {
  /** Most runs in all, the first included. */
  attempts: number;
  /** Delay before the first retry; doubled before each next one, with full jitter. */
  baseDelayMs: number;
}

export const defaultRetryOptions: RetryOptions = { attempts: 4, baseDelayMs: 5 };

/**
 * Runs `work` (one whole transaction) again after a serialization failure or a deadlock (SQLSTATE 40001,
 * 40P01), at most `attempts` times in all, with bounded exponential backoff; the final failure is mapped by
 * `mapError` (the repository's errors by default; `toDatabaseError` where no constraint has a field name).
 */
export async function withRetry<T>(
  work: () => Promise<T>,
  options: RetryOptions = defaultRetryOptions,
  mapError: (error: unknown) => unknown = toRepositoryError,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= options.attempts || !isRetryable(error)) throw mapError(error);
      const ceiling = options.baseDelayMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
