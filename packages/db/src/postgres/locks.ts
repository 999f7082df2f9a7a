/**
 * Advisory lock keys, in PostgreSQL's two-key space (`pg_advisory_lock(int4, int4)`), which is apart from
 * the one-key (`bigint`) space other code may use. Advisory locks are per database.
 */
const namespace = 0x70617274; // "part"

/** Held on one dedicated connection while migrations run: concurrent starts migrate exactly once. */
export const migrationLock = [namespace, 1] as const;

/**
 * Held by every insert into `parts` from just before its id is drawn until it commits, so inserts commit in id
 * order (see postgres/parts-repository.ts on keyset pages).
 */
export const partsInsertLock = [namespace, 2] as const;
