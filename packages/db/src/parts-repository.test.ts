import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "./connection.ts";
import { UniqueConstraintError } from "./errors.ts";
import { createPartsRepository, type ListPartsQuery, type Part, type PartsRepository } from "./parts-repository.ts";
import type { parts } from "./schema.ts";

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
      expect.arrayContaining(["parts_part_number_unique", "parts_part_number_key_unique", "parts_model_number_id_idx"]),
    );
    expect(handle.partNumberCollisions).toEqual([]);
  });

  it("reopens an existing file without re-applying migrations and keeps the rows", async () => {
    await repo.create(part(1));
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

describe("parts repository", () => {
  it("create sets id and ISO timestamps in the database", async () => {
    const created = await repo.create(part(1, { description: "a bolt" }));
    expect(created).toMatchObject({ id: 1, partNumber: "PN-0001", description: "a bolt" });
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created.updatedAt).toBe(created.createdAt);
  });

  it("a duplicate partNumber is a typed conflict and writes nothing", async () => {
    await repo.create(part(1));
    const error = await repo.create({ ...part(2), partNumber: "PN-0001" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect((error as UniqueConstraintError).field).toBe("partNumber");
    expect((await repo.list({ limit: 100 })).items).toHaveLength(1);
  });

  it("update changes only the given fields and moves updatedAt", async () => {
    const created = await repo.create(part(1, { description: "old" }));
    await new Promise((r) => setTimeout(r, 5));
    const updated = await repo.update(created.id, { name: "Renamed", description: undefined });
    expect(updated).toMatchObject({ name: "Renamed", description: "old", partNumber: "PN-0001" });
    expect(updated!.updatedAt > created.updatedAt).toBe(true);
    expect(updated!.createdAt).toBe(created.createdAt);
  });

  it("update to another part's partNumber is a conflict and leaves the row unchanged", async () => {
    await repo.create(part(1));
    const second = await repo.create(part(2));
    await expect(repo.update(second.id, { partNumber: "PN-0001", name: "x" })).rejects.toBeInstanceOf(UniqueConstraintError);
    expect(await repo.byId(second.id)).toEqual(second);
  });

  it("update and delete of a missing id answer undefined", async () => {
    expect(await repo.update(99, { name: "x" })).toBeUndefined();
    expect(await repo.update(99, {})).toBeUndefined();
    expect(await repo.delete(99)).toBeUndefined();
  });

  it("delete removes the row and returns its id", async () => {
    const created = await repo.create(part(1));
    expect(await repo.delete(created.id)).toBe(created.id);
    expect(await repo.byId(created.id)).toBeUndefined();
  });

  it("keyset pagination visits every row exactly once, in id order", async () => {
    for (let n = 1; n <= 23; n++) await repo.create(part(n));
    await repo.delete(5);
    const seen: number[] = [];
    let afterId: number | undefined;
    for (;;) {
      const page = await repo.list({ limit: 5, afterId });
      seen.push(...page.items.map((p) => p.id));
      if (page.nextAfterId === null) break;
      afterId = page.nextAfterId;
    }
    expect(seen).toEqual([...Array(23).keys()].map((i) => i + 1).filter((id) => id !== 5));
  });

  it("the last full page reports no next page", async () => {
    for (let n = 1; n <= 4; n++) await repo.create(part(n));
    expect((await repo.list({ limit: 4 })).nextAfterId).toBeNull();
    expect((await repo.list({ limit: 3 })).nextAfterId).toBe(3);
  });

  it("filters by modelNumber and searches text case-insensitively across fields", async () => {
    await repo.create(part(1, { modelNumber: "A", name: "Hex Bolt" }));
    await repo.create(part(2, { modelNumber: "B", name: "Washer", description: "fits the hex BOLT" }));
    await repo.create(part(3, { modelNumber: "A", name: "Nut" }));
    expect((await repo.list({ limit: 10, modelNumber: "A" })).items.map((p) => p.id)).toEqual([1, 3]);
    expect((await repo.list({ limit: 10, q: "hex bolt" })).items.map((p) => p.id)).toEqual([1, 2]);
    expect((await repo.list({ limit: 10, q: "bolt", modelNumber: "B" })).items.map((p) => p.id)).toEqual([2]);
  });

  it("bounds how many matches of other models a filtered search page passes over, and still pages through every match once", async () => {
    const capped = createPartsRepository(handle.db, { searchScanLimit: 3 });
    // 12 bolts; every fourth is model A, the others model B: three of four matches are passed over.
    for (let n = 1; n <= 12; n++) await capped.create(part(n, { modelNumber: n % 4 === 0 ? "A" : "B", name: `Bolt ${n}` }));
    await capped.create(part(13, { modelNumber: "A", name: "Nut" }));
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
    for (let n = 1; n <= 5; n++) await capped.create(part(n, { modelNumber: n === 2 ? "A" : "B", name: `Bolt ${n}` }));
    expect(await capped.list({ limit: 10, q: "bolt", modelNumber: "A" })).toMatchObject({ items: [{ id: 2 }], nextAfterId: null });
  });

  it("stores SQL and script text verbatim", async () => {
    const name = "'); DROP TABLE parts; -- <script>alert(1)</script>";
    const created = await repo.create(part(1, { name }));
    expect((await repo.byId(created.id))!.name).toBe(name);
    expect((await repo.list({ limit: 10, q: "DROP TABLE" })).items).toHaveLength(1);
  });
});

describe("parts repository: canonical part numbers", () => {
  it("a part number that differs only in case, width or whitespace is a conflict on create", async () => {
    await repo.create({ ...part(1), partNumber: "RT-PN 1" });
    for (const partNumber of ["rt-pn 1", "ＲＴ-ＰＮ １", "  RT-PN \t 1 ", "Rt-Pn\u00a01"]) {
      const error = await repo.create({ ...part(2), partNumber }).catch((e: unknown) => e);
      expect(error, partNumber).toBeInstanceOf(UniqueConstraintError);
      expect((error as UniqueConstraintError).field).toBe("partNumber");
    }
    expect((await repo.list({ limit: 10 })).items).toHaveLength(1);
  });

  it("stores the part number as given, and its key beside it", async () => {
    const created = await repo.create({ ...part(1), partNumber: "ＲＴ-ＰＮ-１" });
    expect(created.partNumber).toBe("ＲＴ-ＰＮ-１");
    expect(handle.sqlite.prepare("select part_number_key from parts where id = ?").pluck().get(created.id)).toBe("rt-pn-1");
  });

  it("update to another part's canonical part number is a conflict and changes nothing", async () => {
    await repo.create({ ...part(1), partNumber: "RT-PN-1" });
    const second = await repo.create(part(2));
    const error = await repo.update(second.id, { partNumber: "rt-pn-1", name: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect((error as UniqueConstraintError).field).toBe("partNumber");
    expect(await repo.byId(second.id)).toEqual(second);
  });

  it("update recomputes the key: a part can change its own spelling, and frees its old key", async () => {
    const first = await repo.create({ ...part(1), partNumber: "RT-PN-1" });
    expect(await repo.update(first.id, { partNumber: "rt-pn-1" })).toMatchObject({ partNumber: "rt-pn-1" });
    await repo.update(first.id, { partNumber: "RT-PN-2" });
    expect(await repo.create({ ...part(2), partNumber: "RT-PN-1" })).toMatchObject({ partNumber: "RT-PN-1" });
  });

  it("returns parts with exactly the API's fields, never the key", async () => {
    const fields = ["id", "partNumber", "modelNumber", "name", "description", "createdAt", "updatedAt"];
    const created = await repo.create(part(1, { name: "Hex bolt" }));
    expect(Object.keys(created)).toEqual(fields);
    expect(Object.keys((await repo.byId(created.id))!)).toEqual(fields);
    expect(Object.keys((await repo.update(created.id, { partNumber: "PN-X" }))!)).toEqual(fields);
    expect(Object.keys((await repo.list({ limit: 1 })).items[0]!)).toEqual(fields);
    expect(Object.keys((await repo.list({ limit: 1, q: "hex" })).items[0]!)).toEqual(fields);
    expect(Object.keys((await repo.list({ limit: 1, q: "hex", modelNumber: "M-1" })).items[0]!)).toEqual(fields);
    expectTypeOf<keyof Part>().toEqualTypeOf<Exclude<keyof typeof parts.$inferSelect, "partNumberKey">>();
  });
});

describe("parts repository: search", () => {
  const ids = async (q: string, extra: Partial<ListPartsQuery> = {}) =>
    (await repo.list({ limit: 100, q, ...extra })).items.map((p) => p.id);
  /** FTS5's own check of the index against the parts table (throws SQLITE_CORRUPT_VTAB on a mismatch). */
  const checkIndex = () => handle.sqlite.prepare("insert into parts_fts (parts_fts, rank) values ('integrity-check', 1)").run();

  it("folds case beyond ASCII but keeps accents significant", async () => {
    await repo.create(part(1, { name: "ÉCROU M6" }));
    await repo.create(part(2, { name: "ecrou M6" }));
    await repo.create(part(3, { name: "Dichtung ÄÖÜ" }));
    await repo.create(part(4, { name: "dichtung äöü" }));
    expect(await ids("écrou")).toEqual([1]);
    expect(await ids("ÉCROU")).toEqual([1]);
    expect(await ids("ecrou")).toEqual([2]);
    expect(await ids("äöü")).toEqual([3, 4]);
    expect(await ids("ÄÖÜ")).toEqual([3, 4]);
    expect(await ids("aou")).toEqual([]);
  });

  it("finds substrings anywhere in a word, in any of the four columns", async () => {
    await repo.create({ partNumber: "HX-4711", modelNumber: "ZX-9", name: "Hexagonal nut", description: "zinc plated" });
    expect(await ids("agon")).toEqual([1]);
    expect(await ids("4711")).toEqual([1]);
    expect(await ids("zx-")).toEqual([1]);
    expect(await ids("c pla")).toEqual([1]);
  });

  it("matches an exact substring within one column, never across columns or out of order", async () => {
    await repo.create({ partNumber: "ABC", modelNumber: "DEF", name: "bolt nut", description: "washer" });
    expect(await ids("ABCDEF")).toEqual([]);
    expect(await ids("bolt washer")).toEqual([]);
    expect(await ids("nut bolt")).toEqual([]);
    expect(await ids("boltnut")).toEqual([]);
    expect(await ids("bolt nut")).toEqual([1]);
  });

  it("treats FTS5 syntax in the text as literal characters", async () => {
    const names = ['say "hi" now', "abc*", "abcd", "NEAR(bolt nut)", "bolt and nut", "bolt AND nut", "name:bolt", "-bolt OR nut^"];
    for (const [i, name] of names.entries()) await repo.create(part(i + 1, { name }));
    expect(await ids('"hi"')).toEqual([1]);
    expect(await ids('y "h')).toEqual([1]);
    expect(await ids('"""')).toEqual([]);
    expect(await ids("abc*")).toEqual([2]);
    expect(await ids("NEAR(bolt nut)")).toEqual([4]);
    expect(await ids("bolt AND nut")).toEqual([5, 6]);
    expect(await ids("name:bolt")).toEqual([7]);
    expect(await ids("-bolt OR nut^")).toEqual([8]);
  });

  it("treats %, _ and backslash literally", async () => {
    await repo.create(part(1, { name: "100% steel" }));
    await repo.create(part(2, { name: "1000 steel" }));
    await repo.create(part(3, { name: String.raw`C:\tools\x_y` }));
    await repo.create(part(4, { name: String.raw`C:/tools/xzy` }));
    expect(await ids("0% ")).toEqual([1]);
    expect(await ids("%%%")).toEqual([]);
    expect(await ids(String.raw`:\t`)).toEqual([3]);
    expect(await ids(String.raw`\x_`)).toEqual([3]);
    expect(await ids("x_y")).toEqual([3]);
    expect(await ids("___")).toEqual([]);
  });

  it("counts characters, not UTF-16 units: fewer than 3 is a RangeError", async () => {
    await repo.create(part(1, { name: "🔩🔩🔩 kit" }));
    expect(await ids("🔩🔩🔩")).toEqual([1]);
    for (const q of ["", "ab", "🔩🔩", "é\u0301"]) {
      await expect(repo.list({ limit: 10, q }), JSON.stringify(q)).rejects.toBeInstanceOf(RangeError);
    }
  });

  it("pages through matches in id order, with and without a model filter", async () => {
    for (let n = 1; n <= 30; n++) {
      await repo.create(part(n, { modelNumber: n % 2 ? "ODD" : "EVEN", name: n % 3 ? "Bolt" : "Nut" }));
    }
    const pages = async (query: Omit<ListPartsQuery, "limit" | "afterId">) => {
      const seen: number[] = [];
      let afterId: number | undefined;
      do {
        const page = await repo.list({ limit: 4, afterId, ...query });
        seen.push(...page.items.map((p) => p.id));
        afterId = page.nextAfterId ?? undefined;
      } while (afterId !== undefined);
      return seen;
    };
    const all = [...Array(30).keys()].map((i) => i + 1);
    expect(await pages({ q: "bolt" })).toEqual(all.filter((n) => n % 3 !== 0));
    expect(await pages({ q: "bolt", modelNumber: "ODD" })).toEqual(all.filter((n) => n % 3 !== 0 && n % 2 === 1));
    expect(await ids("bolt", { afterId: 25, modelNumber: "EVEN" })).toEqual([26, 28]);
  });

  it("sees creates, updates and deletes at once", async () => {
    const created = await repo.create(part(1, { name: "Hex bolt", description: "steel" }));
    expect(await ids("hex")).toEqual([1]);
    await repo.update(created.id, { name: "Wing nut", description: null });
    expect(await ids("hex")).toEqual([]);
    expect(await ids("steel")).toEqual([]);
    expect(await ids("wing")).toEqual([1]);
    await repo.update(created.id, { partNumber: "QQ-777" });
    expect(await ids("PN-0001")).toEqual([]);
    expect(await ids("qq-7")).toEqual([1]);
    await repo.delete(created.id);
    expect(await ids("wing")).toEqual([]);
    checkIndex();
  });

  it("a write that fails leaves the index unchanged", async () => {
    await repo.create(part(1, { name: "First bolt" }));
    const second = await repo.create(part(2, { name: "Second nut" }));
    await expect(repo.create({ ...part(3, { name: "Third washer" }), partNumber: "PN-0001" })).rejects.toBeInstanceOf(UniqueConstraintError);
    await expect(repo.update(second.id, { partNumber: "pn-0001", name: "Renamed" })).rejects.toBeInstanceOf(UniqueConstraintError);
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
