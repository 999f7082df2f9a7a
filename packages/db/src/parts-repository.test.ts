import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "./connection.ts";
import { UniqueConstraintError } from "./errors.ts";
import type { PartsRepository } from "./parts-contract.ts";
import { createPartsRepository } from "./parts-repository.ts";

let dir: string;
let handle: DatabaseHandle;
let repo: PartsRepository;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parts-db-"));
  handle = openDatabase(join(dir, "nested", "folder", "parts.db"));
  repo = createPartsRepository(handle.db);
});

afterEach(() => {
  handle.close();
  rmSync(dir, { recursive: true, force: true });
});

const part = (n: number, extra: Partial<{ modelNumber: string; name: string; description: string | null }> = {}) => ({
  partNumber: `PN-${String(n).padStart(4, "0")}`,
  modelNumber: extra.modelNumber ?? "M-1",
  name: extra.name ?? `Part ${n}`,
  description: extra.description ?? null,
});

describe("openDatabase", () => {
  it("creates a missing folder, applies migrations and sets WAL, busy timeout and foreign keys", () => {
    expect(statSync(join(dir, "nested", "folder", "parts.db")).isFile()).toBe(true);
    expect(handle.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(handle.sqlite.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(handle.sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
    const indexes = handle.sqlite.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'parts'").pluck().all();
    expect(indexes).toEqual(
      expect.arrayContaining([
        "parts_part_number_unique",
        "parts_part_number_key_unique",
        "parts_model_number_id_idx",
        "parts_created_by_id_idx",
        "parts_updated_by_id_idx",
      ]),
    );
    expect(handle.partNumberCollisions).toEqual([]);
  });

  it("a page filtered by createdBy or updatedBy is a search of its (column, id) index, not a scan", () => {
    for (const column of ["created_by", "updated_by"]) {
      const plan = handle.sqlite
        .prepare(`explain query plan select id from parts where ${column} = ? and id > ? order by id limit ?`)
        .all("client-a", 0, 20) as { detail: string }[];
      expect(plan.map((step) => step.detail)).toEqual([`SEARCH parts USING COVERING INDEX parts_${column}_id_idx (${column}=? AND id>?)`]);
    }
  });

  it("reopens an existing file without re-applying migrations and keeps the rows", async () => {
    await repo.create(part(1), { by: "client-1" });
    handle.close();
    handle = openDatabase(join(dir, "nested", "folder", "parts.db"));
    expect(await createPartsRepository(handle.db).byId(1)).toMatchObject({ partNumber: "PN-0001" });
  });

  it("ping answers false once the connection is closed", () => {
    expect(handle.ping()).toBe(true);
    handle.close();
    expect(handle.ping()).toBe(false);
  });
});

// Behaviour common to every engine is in parts-repository.contract.test.ts; these are SQLite's own: the
// filtered-search scan bound and the FTS5 index kept in step with the table.

describe("SQLite parts repository: filtered search scan bound", () => {
  it("bounds how many matches of other models a filtered search page passes over, and still pages through every match once", async () => {
    const capped = createPartsRepository(handle.db, { searchScanLimit: 3 });
    // 12 bolts; every fourth is model A, the others model B: three of four matches are passed over.
    for (let n = 1; n <= 12; n++) await capped.create(part(n, { modelNumber: n % 4 === 0 ? "A" : "B", name: `Bolt ${n}` }), { by: "client-1" });
    await capped.create(part(13, { modelNumber: "A", name: "Nut" }), { by: "client-1" });
    const pages: number[][] = [];
    let afterId: number | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = await capped.list({ limit: 2, q: "bolt", modelNumber: "A", afterId });
      pages.push(page.items.map((p) => p.id));
      if (page.nextAfterId === null) break;
      afterId = page.nextAfterId;
    }
    expect(pages.flat()).toEqual([4, 8, 12]);
    // short pages (fewer than the limit, some empty) carry on instead of ending the walk
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.some((ids) => ids.length < 2)).toBe(true);
  });

  it("ends a filtered search with a null cursor when the matches run out before the scan bound", async () => {
    const capped = createPartsRepository(handle.db, { searchScanLimit: 100 });
    for (let n = 1; n <= 5; n++) await capped.create(part(n, { modelNumber: n === 2 ? "A" : "B", name: `Bolt ${n}` }), { by: "client-1" });
    expect(await capped.list({ limit: 10, q: "bolt", modelNumber: "A" })).toMatchObject({ items: [{ id: 2 }], nextAfterId: null });
  });
});

describe("SQLite parts repository: FTS5 index", () => {
  const ids = async (q: string) => (await repo.list({ limit: 100, q })).items.map((p) => p.id);
  /** FTS5's own check of the index against the parts table (throws SQLITE_CORRUPT_VTAB on a mismatch). */
  const checkIndex = () => handle.sqlite.prepare("insert into parts_fts (parts_fts, rank) values ('integrity-check', 1)").run();

  it("sees creates, updates and deletes at once", async () => {
    const created = await repo.create(part(1, { name: "Hex bolt", description: "steel" }), { by: "client-1" });
    expect(await ids("hex")).toEqual([1]);
    await repo.update(created.id, { name: "Wing nut", description: null }, { by: "client-1" });
    expect(await ids("hex")).toEqual([]);
    expect(await ids("steel")).toEqual([]);
    expect(await ids("wing")).toEqual([1]);
    await repo.update(created.id, { partNumber: "QQ-777" }, { by: "client-1" });
    expect(await ids("PN-0001")).toEqual([]);
    expect(await ids("qq-7")).toEqual([1]);
    await repo.delete(created.id);
    expect(await ids("wing")).toEqual([]);
    checkIndex();
  });

  it("a write that fails leaves the index unchanged", async () => {
    await repo.create(part(1, { name: "First bolt" }), { by: "client-1" });
    const second = await repo.create(part(2, { name: "Second nut" }), { by: "client-1" });
    await expect(repo.create({ ...part(3, { name: "Third washer" }), partNumber: "PN-0001" }, { by: "client-1" })).rejects.toBeInstanceOf(UniqueConstraintError);
    await expect(repo.update(second.id, { partNumber: "pn-0001", name: "Renamed" }, { by: "client-1" })).rejects.toBeInstanceOf(UniqueConstraintError);
    expect(() =>
      handle.sqlite.transaction(() => {
        handle.sqlite.prepare("delete from parts where id = 1").run();
        throw new Error("abort");
      })(),
    ).toThrow("abort");
    expect(await ids("washer")).toEqual([]);
    expect(await ids("renamed")).toEqual([]);
    expect(await ids("second")).toEqual([2]);
    expect(await ids("first")).toEqual([1]);
    checkIndex();
  });
});
