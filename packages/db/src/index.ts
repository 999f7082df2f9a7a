export { openDatabase, type DatabaseHandle, type OpenDatabaseOptions, type PartsDatabase } from "./connection.ts";
export type { PartNumberCollision } from "./backfill-part-number-keys.ts";
export { UniqueConstraintError } from "./errors.ts";
export { partNumberKey } from "./part-number-key.ts";
export {
  createPartsRepository,
  type CreatePart,
  type ListPartsQuery,
  type Part,
  type PartsPage,
  type PartsRepository,
  type UpdatePart,
} from "./parts-repository.ts";
export { parts } from "./schema.ts";
