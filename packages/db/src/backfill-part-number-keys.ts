import type Database from "better-sqlite3";
import { partNumberKey } from "./part-number-key.ts";
import type { PartRow } from "./schema.ts";

/** A stored row whose part number is, canonically, another row's: left without a key for a person to resolve. */
export interface PartNumberCollision extends Pick<PartRow, "id" | "partNumber"> {
  /** The row that holds the key. */
  conflictsWithId: PartRow["id"];
}

/**
 * Fills `part_number_key` for rows that have none (rows stored before the column existed), in id order, in one
 * transaction. The key needs Unicode NFKC, which SQLite's SQL cannot compute, hence JavaScript after the
 * migrations.
 *
 * A row whose key another row already holds keeps NULL and is reported: merging or renaming a part would
 * change data that callers may rely on, so that decision is left to a person. Idempotent: rows with a key are
 * not read again, and an unresolved collision is found and reported again on every run.
 */
export function backfillPartNumberKeys(sqlite: Database.Database): PartNumberCollision[] {
  // `is null` is served by the key's unique index (NULLs are indexed), so a start with nothing to do is cheap.
  const pending = sqlite.prepare<[], Pick<PartRow, "id" | "partNumber">>(
    "select id, part_number as partNumber from parts where part_number_key is null order by id",
  );
  const holderOf = sqlite.prepare<[string], PartRow["id"]>("select id from parts where part_number_key = ?").pluck();
  const setKey = sqlite.prepare<[string, PartRow["id"]]>("update parts set part_number_key = ? where id = ?");
  return sqlite.transaction(() => {
    const collisions: PartNumberCollision[] = [];
    for (const row of pending.all()) {
      const key = partNumberKey(row.partNumber);
      const holder = holderOf.get(key);
      if (holder === undefined) setKey.run(key, row.id);
      else collisions.push({ ...row, conflictsWithId: holder });
    }
    return collisions;
  })();
}
