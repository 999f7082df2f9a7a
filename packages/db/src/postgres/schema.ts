import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";

/** Milliseconds, as SQLite's ISO strings carry: `toISOString()` of the value is the API's timestamp. */
const timestampMs = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: "date" });

/**
 * The parts table on PostgreSQL: the same columns as the SQLite table (src/schema.ts), under the same
 * names. Differences: `id` is an `int4` identity (node-postgres reads it as a JS number; 2^31 - 1 rows is
 * the ceiling), timestamps are `timestamptz(3)`, and `part_number_key` is NOT NULL (no rows predate it here).
 * The unique key on the canonical part number also keeps `part_number` itself unique.
 */
export const parts = pgTable(
  "parts",
  {
    // BY DEFAULT, not ALWAYS: the repository's insert draws the id itself, after taking the insert lock (see
    // postgres/parts-repository.ts), which drizzle's INSERT … SELECT can only do by naming the column.
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    partNumber: text("part_number").notNull(),
    /** `partNumberKey(partNumber)`, computed in JS (see part-number-key.ts). */
    partNumberKey: text("part_number_key").notNull(),
    modelNumber: text("model_number").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** Starts at 1; every update adds 1 (see src/schema.ts). */
    version: integer("version").notNull().default(1),
    createdAt: timestampMs("created_at").notNull().defaultNow(),
    updatedAt: timestampMs("updated_at").notNull().defaultNow(),
    /** The acting client ids (see src/schema.ts); NULL for rows written before the audit trail existed. */
    createdBy: text("created_by"),
    updatedBy: text("updated_by"),
  },
  (table) => [
    unique("parts_part_number_key_unique").on(table.partNumberKey),
    // Serves `model_number = $1 AND id > $2 ORDER BY id` (filtered keyset pages).
    index("parts_model_number_id_idx").on(table.modelNumber, table.id),
    // Serve the audit filters of `list` the same way.
    index("parts_created_by_id_idx").on(table.createdBy, table.id),
    index("parts_updated_by_id_idx").on(table.updatedBy, table.id),
    // pg_trgm GIN indexes serve `ILIKE '%…%'` on each searched column (3 characters or more).
    index("parts_part_number_trgm_idx").using("gin", sql`${table.partNumber} gin_trgm_ops`),
    index("parts_model_number_trgm_idx").using("gin", sql`${table.modelNumber} gin_trgm_ops`),
    index("parts_name_trgm_idx").using("gin", sql`${table.name} gin_trgm_ops`),
    index("parts_description_trgm_idx").using("gin", sql`${table.description} gin_trgm_ops`),
  ],
);

export type PgPartRow = typeof parts.$inferSelect;
