export { openDatabase, type DatabaseHandle, type OpenDatabaseOptions, type PartsDatabase } from "./connection.ts";
export type { PartNumberCollision } from "./backfill-part-number-keys.ts";
export { DatabaseError, UniqueConstraintError, VersionConflictError, type DatabaseErrorCode } from "./errors.ts";
export { partNumberKey } from "./part-number-key.ts";
export type { CreatePart, DeletedPart, ListPartsQuery, Part, PartsPage, PartsRepository, UpdatePart, WriteActor, WriteCondition } from "./parts-contract.ts";
export { fieldsSet } from "./parts-contract.ts";
export type { QueryObserver, RepositoryOperation } from "./observed-repository.ts";
export { createPartsRepository, createSqlitePartsRepository, type PartsRepositoryOptions } from "./parts-repository.ts";
export { startSqliteWriter, type SqliteValue, type SqliteWriter, type SqliteWriterOptions, type WriteStatement } from "./sqlite-writer.ts";
export { parts } from "./schema.ts";
export {
  migratePostgresDatabase,
  openPool,
  openPostgresDatabase,
  type OpenPostgresOptions,
  type PostgresDatabaseHandle,
  type PostgresPartsDatabase,
  type PostgresPoolOptions,
} from "./postgres/connection.ts";
export { migrateUnderAdvisoryLock, type LockedMigrationOptions } from "./postgres/migrate.ts";
export { toConnectError, toDatabaseError, withRetry, type RetryOptions } from "./postgres/errors.ts";
export { createPostgresPartsRepository, type PostgresPartsRepositoryOptions } from "./postgres/parts-repository.ts";
export { parts as postgresParts } from "./postgres/schema.ts";
