/**
 * A database created by the first release (migration 0000 only) opened by this code: the part number keys
 * are backfilled, canonical duplicates are reported and kept, and the search index covers the old rows.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "./connection.ts";
import { createPartsRepository } from "./parts-repository.ts";

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

let dir: string;
let file: string;
const handles: { close(): void }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parts-db-migrate-"));
  file = join(dir, "parts.db");
});
afterEach(() => {
  for (const handle of handles.splice(0)) handle.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A file with only the first migration applied, as the first release left it. */
function createWithFirstMigration(rows: string[]): void {
  const oldFolder = join(dir, "drizzle-0000");
  mkdirSync(join(oldFolder, "meta"), { recursive: true });
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: { tag: string }[] };
  const first = journal.entries[0]!;
  copyFileSync(join(migrationsFolder, `${first.tag}.sql`), join(oldFolder, `${first.tag}.sql`));
  writeFileSync(join(oldFolder, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: [first] }));
  const sqlite = new Database(file);
  migrate(drizzle({ client: sqlite }), { migrationsFolder: oldFolder });
  const insert = sqlite.prepare("insert into parts (part_number, model_number, name, description) values (?, 'M-1', ?, ?)");
  for (const [i, partNumber] of rows.entries()) insert.run(partNumber, `Écrou ${i + 1}`, i % 2 ? null : "zinc plated");
  sqlite.close();
}

const open = () => {
  const handle = openDatabase(file);
  handles.push(handle);
  return handle;
};
const dump = (handle: { sqlite: Database.Database }) => handle.sqlite.prepare("select * from parts order by id").all();

describe("migrating a database from the first schema", () => {
  const partNumbers = ["RT-PN-1", "rt-pn-1", "ＲＴ-ＰＮ-１", "X"];

  it("fills the keys in id order, reports canonical duplicates and loses nothing", () => {
    createWithFirstMigration(partNumbers);
    const handle = open();
    expect(handle.partNumberCollisions).toEqual([
      { id: 2, partNumber: "rt-pn-1", conflictsWithId: 1 },
      { id: 3, partNumber: "ＲＴ-ＰＮ-１", conflictsWithId: 1 },
    ]);
    const rows = handle.sqlite.prepare("select id, part_number, part_number_key from parts order by id").raw().all();
    expect(rows).toEqual([
      [1, "RT-PN-1", "rt-pn-1"],
      [2, "rt-pn-1", null],
      [3, "ＲＴ-ＰＮ-１", null],
      [4, "X", "x"],
    ]);
  });

  it("leaves the rows as they were, timestamps included, each at version 1 with no recorded authors", () => {
    createWithFirstMigration(partNumbers);
    const before = new Database(file, { readonly: true });
    const old = before.prepare("select * from parts order by id").all();
    before.close();
    const handle = open();
    expect(dump(handle).map((row) => ({ ...(row as object), part_number_key: undefined }))).toEqual(
      old.map((row) => ({ ...(row as object), part_number_key: undefined, version: 1, created_by: null, updated_by: null })),
    );
  });

  it("a second open reports the same collisions and changes nothing", () => {
    createWithFirstMigration(partNumbers);
    const first = open();
    const collisions = first.partNumberCollisions;
    const rows = dump(first);
    first.close();
    const second = open();
    expect(second.partNumberCollisions).toEqual(collisions);
    expect(dump(second)).toEqual(rows);
  });

  it("indexes the old rows for search", async () => {
    createWithFirstMigration(partNumbers);
    const repository = createPartsRepository(open().db);
    expect((await repository.list({ limit: 10, q: "ÉCROU" })).items.map((p) => p.id)).toEqual([1, 2, 3, 4]);
    expect((await repository.list({ limit: 10, q: "pn-1" })).items.map((p) => p.id)).toEqual([1, 2]);
    expect((await repository.list({ limit: 10, q: "zinc" })).items.map((p) => p.id)).toEqual([1, 3]);
  });

  it("a canonical duplicate of a stored part is refused, and a reported row can be resolved by renaming it", async () => {
    createWithFirstMigration(partNumbers);
    const repository = createPartsRepository(open().db);
    await expect(repository.create({ partNumber: "Rt-Pn-1", modelNumber: "M", name: "n" }, { by: "client-1" })).rejects.toMatchObject({ field: "partNumber" });
    // Other edits of a reported row keep it reported; a new part number gives it a key.
    await repository.update(2, { name: "renamed" }, { by: "client-1" });
    await repository.update(3, { partNumber: "RT-PN-3" }, { by: "client-1" });
    handles.pop()!.close();
    expect(open().partNumberCollisions).toEqual([{ id: 2, partNumber: "rt-pn-1", conflictsWithId: 1 }]);
  });
});
