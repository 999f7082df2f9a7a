import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** ISO 8601 UTC with milliseconds, produced by SQLite so callers can never set it. */
const nowIso = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const parts = sqliteTable(
  "parts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    partNumber: text("part_number").notNull().unique(),
    /**
     * `partNumberKey(partNumber)`: part numbers that differ only in case, Unicode compatibility form or
     * whitespace are the same part. Nullable only because rows stored before this column existed are
     * backfilled on open, and a row whose key an earlier row already holds keeps NULL (reported, not merged).
     */
    partNumberKey: text("part_number_key"),
    modelNumber: text("model_number").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** Starts at 1; every update adds 1 (optimistic concurrency: `expectedVersion`, REST's ETag/If-Match). */
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull().default(nowIso),
    updatedAt: text("updated_at")
      .notNull()
      .default(nowIso)
      .$onUpdate(() => nowIso),
    /**
     * The client id (the verified token's `client_id`) that created the part, and the one whose update was last.
     * NULL: written before the audit trail existed (migration 0004), never by a write through the repository.
     */
    createdBy: text("created_by"),
    updatedBy: text("updated_by"),
  },
  (table) => [
    uniqueIndex("parts_part_number_key_unique").on(table.partNumberKey),
    // Serves `modelNumber = ? AND id > ? ORDER BY id` (filtered keyset pages).
    index("parts_model_number_id_idx").on(table.modelNumber, table.id),
    // Serve `created_by = ? AND id > ? ORDER BY id` and the same for updated_by (audit filters of `list`).
    index("parts_created_by_id_idx").on(table.createdBy, table.id),
    index("parts_updated_by_id_idx").on(table.updatedBy, table.id),
  ],
);

export type PartRow = typeof parts.$inferSelect;
export type NewPartRow = typeof parts.$inferInsert;
