import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { UniqueConstraintError, VersionConflictError } from "./errors.ts";
import type { CreatePart, ListPartsQuery, Part, PartsRepository } from "./parts-contract.ts";
import type { parts as pgParts } from "./postgres/schema.ts";
import type { parts as sqliteParts } from "./schema.ts";
import { postgresEngine, sqliteEngine, type EngineUnderTest } from "./testing/engines.ts";

// The repository contract, run unchanged against every engine. Engine-specific behaviour (SQLite's migrations,
// FTS index and filtered-search scan bound; PostgreSQL's pool, locks and errors) is tested beside each engine.

const engines: EngineUnderTest[] = [sqliteEngine(), sqliteEngine({ writerThread: true }), postgresEngine()];

// One PostgreSQL server (and database) for the whole file; each test starts from an empty table.
beforeAll(() => Promise.all(engines.map((engine) => engine.start())), 60_000);
afterAll(() => Promise.all(engines.map((engine) => engine.stop())));

const isoMs = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const fields = ["id", "partNumber", "modelNumber", "name", "description", "version", "createdAt", "updatedAt", "createdBy", "updatedBy"];

const part = (n: number, extra: Partial<CreatePart> = {}): CreatePart => ({
  partNumber: `PN-${String(n).padStart(4, "0")}`,
  modelNumber: "M-1",
  name: `Part ${n}`,
  description: null,
  ...extra,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every page from the start until `nextAfterId` is null; fails on a walk that does not end. */
async function walk(repo: PartsRepository, query: Omit<ListPartsQuery, "afterId">): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let afterId: number | undefined;
  for (let pages = 1; pages <= 1000; pages++) {
    const page = await repo.list({ ...query, afterId });
    expect(page.items.length).toBeLessThanOrEqual(query.limit);
    ids.push(...page.items.map((p) => p.id));
    if (page.nextAfterId === null) return { ids, pages };
    expect(page.nextAfterId).toBeGreaterThan(afterId ?? 0);
    afterId = page.nextAfterId;
  }
  throw new Error("the walk did not end");
}

describe.each(engines)("parts repository contract: $name", (engine) => {
  let repo: PartsRepository;
  const ids = async (q: string, extra: Partial<ListPartsQuery> = {}) =>
    (await repo.list({ limit: 100, q, ...extra })).items.map((p) => p.id);

  beforeEach(async () => {
    repo = await engine.fresh();
  });

  describe("create and read", () => {
    it("create returns the part with id 1, the given text and equal ISO timestamps with milliseconds", async () => {
      const created = await repo.create(part(1, { description: "a bolt" }), { by: "client-1" });
      expect(created).toMatchObject({ id: 1, partNumber: "PN-0001", modelNumber: "M-1", name: "Part 1", description: "a bolt" });
      expect(created.createdAt).toMatch(isoMs);
      expect(created.updatedAt).toBe(created.createdAt);
      expect(Math.abs(Date.parse(created.createdAt) - Date.now())).toBeLessThan(5000);
    });

    it("byId returns what create returned; a missing id is undefined", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      expect(await repo.byId(created.id)).toEqual(created);
      expect(await repo.byId(99)).toBeUndefined();
    });

    it("ids grow and are never reused after a delete", async () => {
      const first = await repo.create(part(1), { by: "client-1" });
      const second = await repo.create(part(2), { by: "client-1" });
      await repo.delete(second.id);
      const third = await repo.create(part(3), { by: "client-1" });
      expect([first.id, second.id, third.id]).toEqual([1, 2, 3]);
    });

    it("returns parts with exactly the API's fields in the API's order, never the key", async () => {
      const created = await repo.create(part(1, { name: "Hex bolt" }), { by: "client-1" });
      expect(Object.keys(created)).toEqual(fields);
      expect(Object.keys((await repo.byId(created.id))!)).toEqual(fields);
      expect(Object.keys((await repo.update(created.id, { partNumber: "PN-X" }, { by: "client-1" }))!)).toEqual(fields);
      expect(Object.keys((await repo.list({ limit: 1 })).items[0]!)).toEqual(fields);
      expect(Object.keys((await repo.list({ limit: 1, q: "hex" })).items[0]!)).toEqual(fields);
      expect(Object.keys((await repo.list({ limit: 1, q: "hex", modelNumber: "M-1" })).items[0]!)).toEqual(fields);
      expect(Object.keys((await repo.list({ limit: 1, modelNumber: "M-1" })).items[0]!)).toEqual(fields);
      expect(Object.keys((await repo.list({ limit: 1, createdBy: "client-1" })).items[0]!)).toEqual(fields);
      expect(Object.keys((await repo.list({ limit: 1, q: "hex", updatedBy: "client-1" })).items[0]!)).toEqual(fields);
    });

    it("stores SQL and script text verbatim", async () => {
      const name = "'); DROP TABLE parts; -- <script>alert(1)</script>";
      const created = await repo.create(part(1, { name }), { by: "client-1" });
      expect((await repo.byId(created.id))!.name).toBe(name);
      expect((await repo.list({ limit: 10, q: "DROP TABLE" })).items).toHaveLength(1);
    });
  });

  describe("text and null rules", () => {
    it("stores text as given: no trimming, no case or width change (those are the API's rules)", async () => {
      const created = await repo.create({ partNumber: "  ＲＴ-ＰＮ-１ ", modelNumber: " m-1 ", name: "\tName  ", description: " d " }, { by: "client-1" });
      expect(created).toMatchObject({ partNumber: "  ＲＴ-ＰＮ-１ ", modelNumber: " m-1 ", name: "\tName  ", description: " d " });
      expect(await repo.byId(created.id)).toEqual(created);
    });

    it("stores the canonical part number beside it", async () => {
      const created = await repo.create({ ...part(1), partNumber: "  ＲＴ-ＰＮ\u00a0 1 " }, { by: "client-1" });
      expect(await engine.storedKey(created.id)).toBe("rt-pn 1");
    });

    it("a missing description is stored as null, an empty one as empty text", async () => {
      const { description: _none, ...withoutDescription } = part(1);
      expect((await repo.create(withoutDescription, { by: "client-1" })).description).toBeNull();
      expect((await repo.create({ ...part(2), description: undefined }, { by: "client-1" })).description).toBeNull();
      expect((await repo.create({ ...part(3), description: "" }, { by: "client-1" })).description).toBe("");
    });

    it("update with description null clears it; undefined keeps it", async () => {
      const created = await repo.create(part(1, { description: "old" }), { by: "client-1" });
      expect((await repo.update(created.id, { description: undefined, name: "x" }, { by: "client-1" }))!.description).toBe("old");
      expect((await repo.update(created.id, { description: null }, { by: "client-1" }))!.description).toBeNull();
    });

    it("stores Unicode beyond the BMP and combining marks unchanged", async () => {
      const name = "🔩 e\u0301crou Straße ＡＢＣ";
      expect((await repo.create(part(1, { name }), { by: "client-1" })).name).toBe(name);
      expect((await repo.byId(1))!.name).toBe(name);
    });
  });

  describe("update and delete", () => {
    it("update changes only the given fields, moves updatedAt and keeps createdAt", async () => {
      const created = await repo.create(part(1, { description: "old" }), { by: "client-1" });
      await sleep(5);
      const updated = await repo.update(created.id, { name: "Renamed", description: undefined }, { by: "client-1" });
      expect(updated).toMatchObject({ id: created.id, name: "Renamed", description: "old", partNumber: "PN-0001", modelNumber: "M-1" });
      expect(updated!.updatedAt).toMatch(isoMs);
      expect(updated!.updatedAt > created.updatedAt).toBe(true);
      expect(updated!.createdAt).toBe(created.createdAt);
      expect(await repo.byId(created.id)).toEqual(updated);
    });

    it("an empty patch returns the part unchanged, updatedAt included", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      await sleep(5);
      expect(await repo.update(created.id, {}, { by: "client-1" })).toEqual(created);
      expect(await repo.update(created.id, { name: undefined }, { by: "client-1" })).toEqual(created);
    });

    it("update and delete of a missing id answer undefined", async () => {
      expect(await repo.update(99, { name: "x" }, { by: "client-1" })).toBeUndefined();
      expect(await repo.update(99, {}, { by: "client-1" })).toBeUndefined();
      expect(await repo.delete(99)).toBeUndefined();
    });

    it("delete removes the row and returns its id and version, once", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      await repo.update(created.id, { name: "b" }, { by: "client-1" });
      expect(await repo.delete(created.id)).toEqual({ id: created.id, version: 2 });
      expect(await repo.byId(created.id)).toBeUndefined();
      expect(await repo.delete(created.id)).toBeUndefined();
    });
  });

  describe("versions and write conditions", () => {
    /** The `VersionConflictError` a write rejects with (fails the test if it resolves or rejects otherwise). */
    const versionConflict = async (promise: Promise<unknown>): Promise<VersionConflictError> => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VersionConflictError);
      expect((error as VersionConflictError).code).toBe("ERR_VERSION_CONFLICT");
      return error as VersionConflictError;
    };

    it("a part starts at version 1 and every update that sets a field adds 1", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      expect(created.version).toBe(1);
      expect(await repo.update(created.id, { name: "a" }, { by: "client-1" })).toMatchObject({ version: 2 });
      expect(await repo.update(created.id, { name: "a" }, { by: "client-1" })).toMatchObject({ version: 3 });
      expect(await repo.update(created.id, {}, { by: "client-1" })).toMatchObject({ version: 3 });
      expect(await repo.byId(created.id)).toMatchObject({ version: 3, name: "a" });
    });

    it("update with the current version writes; with another version it throws the current one and changes nothing", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      const updated = await repo.update(created.id, { name: "first" }, { by: "client-1", expectedVersion: 1 });
      expect(updated).toMatchObject({ name: "first", version: 2 });
      const error = await versionConflict(repo.update(created.id, { name: "stale" }, { by: "client-1", expectedVersion: 1 }));
      expect(error).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
      expect(error.message).toBe("the part is at version 2, not 1");
      expect(await repo.byId(created.id)).toEqual(updated);
    });

    it("an empty patch checks the version too, and a missing id stays undefined with any version", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      expect(await repo.update(created.id, {}, { by: "client-1", expectedVersion: 1 })).toEqual(created);
      expect(await versionConflict(repo.update(created.id, {}, { by: "client-1", expectedVersion: 7 }))).toMatchObject({ currentVersion: 1 });
      expect(await repo.update(99, { name: "x" }, { by: "client-1", expectedVersion: 1 })).toBeUndefined();
      expect(await repo.update(99, {}, { by: "client-1", expectedVersion: 1 })).toBeUndefined();
      expect(await repo.delete(99, { expectedVersion: 1 })).toBeUndefined();
    });

    it("delete with another version throws and keeps the part; with the current version it deletes", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      await repo.update(created.id, { name: "b" }, { by: "client-1" });
      expect(await versionConflict(repo.delete(created.id, { expectedVersion: 1 }))).toMatchObject({ currentVersion: 2 });
      expect(await repo.byId(created.id)).toMatchObject({ version: 2 });
      expect(await repo.delete(created.id, { expectedVersion: 2 })).toEqual({ id: created.id, version: 2 });
      expect(await repo.byId(created.id)).toBeUndefined();
    });

    it("a conflicting unique write keeps the version", async () => {
      await repo.create(part(1), { by: "client-1" });
      const second = await repo.create(part(2), { by: "client-1" });
      await expect(repo.update(second.id, { partNumber: "PN-0001" }, { by: "client-1", expectedVersion: 1 })).rejects.toBeInstanceOf(UniqueConstraintError);
      expect(await repo.byId(second.id)).toMatchObject({ version: 1 });
    });

    it("racing updates from the same version: exactly one wins, every other one is told the winner's version", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      const writers = 12;
      const results = await Promise.allSettled(
        Array.from({ length: writers }, (_, i) => repo.update(created.id, { name: `writer ${i}` }, { by: "client-1", expectedVersion: 1 })),
      );
      const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value!] : []));
      expect(won).toHaveLength(1);
      expect(won[0]!.version).toBe(2);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "ERR_VERSION_CONFLICT", currentVersion: 2 });
      }
      expect(await repo.byId(created.id)).toEqual(won[0]);
    });

    it("racing deletes and updates from the same version: exactly one of them wins", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      const results = await Promise.allSettled([
        repo.delete(created.id, { expectedVersion: 1 }),
        ...Array.from({ length: 5 }, (_, i) => repo.update(created.id, { name: `writer ${i}` }, { by: "client-1", expectedVersion: 1 })),
        repo.delete(created.id, { expectedVersion: 1 }),
      ]);
      // A loser sees either the winner's version or, after a winning delete, no part (undefined).
      const winners = results.filter((r) => r.status === "fulfilled" && r.value !== undefined);
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(VersionConflictError);
    });

    it("without a condition, racing updates all write and the last one wins", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => repo.update(created.id, { name: `writer ${i}` }, { by: "client-1" })));
      expect(results.map((p) => p!.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      const last = results.find((p) => p!.version === 9)!;
      expect(await repo.byId(created.id)).toEqual(last);
    });
  });

  describe("conflicts", () => {
    const conflict = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UniqueConstraintError);
      expect((error as UniqueConstraintError).field).toBe("partNumber");
      expect((error as UniqueConstraintError).code).toBe("ERR_UNIQUE_CONSTRAINT");
    };

    it("a duplicate part number is a typed conflict and writes nothing", async () => {
      await repo.create(part(1), { by: "client-1" });
      await conflict(repo.create({ ...part(2), partNumber: "PN-0001" }, { by: "client-1" }));
      expect((await repo.list({ limit: 100 })).items).toHaveLength(1);
    });

    it("part numbers that differ only in case, width or whitespace are one part", async () => {
      await repo.create({ ...part(1), partNumber: "RT-PN-1" }, { by: "client-1" });
      for (const partNumber of ["rt-pn-1", "Rt-Pn-1", "ＲＴ-ＰＮ-１", "ｒｔ-ｐｎ-１", " RT-PN-1 ", "RT-PN-1\u00a0"]) {
        await conflict(repo.create({ ...part(2), partNumber }, { by: "client-1" }));
      }
      await repo.create({ ...part(3), partNumber: "RT-PN 1" }, { by: "client-1" });
      await conflict(repo.create({ ...part(4), partNumber: "rt-pn \t 1" }, { by: "client-1" }));
      expect((await repo.list({ limit: 10 })).items.map((p) => p.partNumber)).toEqual(["RT-PN-1", "RT-PN 1"]);
    });

    it("update to another part's canonical part number is a conflict and changes nothing", async () => {
      await repo.create({ ...part(1), partNumber: "RT-PN-1" }, { by: "client-1" });
      const second = await repo.create(part(2), { by: "client-1" });
      await conflict(repo.update(second.id, { partNumber: "ＲＴ-ＰＮ-１", name: "x" }, { by: "client-1" }));
      await conflict(repo.update(second.id, { partNumber: "RT-PN-1" }, { by: "client-1" }));
      expect(await repo.byId(second.id)).toEqual(second);
    });

    it("a part may change its own spelling, and frees its old part number", async () => {
      const first = await repo.create({ ...part(1), partNumber: "RT-PN-1" }, { by: "client-1" });
      expect(await repo.update(first.id, { partNumber: "rt-pn-1" }, { by: "client-1" })).toMatchObject({ partNumber: "rt-pn-1" });
      await repo.update(first.id, { partNumber: "RT-PN-2" }, { by: "client-1" });
      expect(await repo.create({ ...part(2), partNumber: "RT-PN-1" }, { by: "client-1" })).toMatchObject({ id: 2, partNumber: "RT-PN-1" });
    });

    it("concurrent creates of one part number: exactly one succeeds", async () => {
      const results = await Promise.allSettled(
        ["RT-PN-9", "rt-pn-9", "ＲＴ-ＰＮ-９", "RT-PN-9 ", "Rt-pN-9"].map((partNumber, i) => repo.create({ ...part(i), partNumber }, { by: "client-1" })),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(UniqueConstraintError);
    });
  });

  describe("keyset pages", () => {
    it("walking all pages visits every row exactly once, in id order", async () => {
      for (let n = 1; n <= 23; n++) await repo.create(part(n), { by: "client-1" });
      await repo.delete(5);
      await repo.delete(10);
      const expected = [...Array(23).keys()].map((i) => i + 1).filter((id) => id !== 5 && id !== 10);
      for (const limit of [1, 4, 5, 21, 22, 100]) {
        expect((await walk(repo, { limit })).ids, `limit ${limit}`).toEqual(expected);
      }
    });

    it("a page holds at most limit rows; the cursor is the last id, null on the last page", async () => {
      for (let n = 1; n <= 4; n++) await repo.create(part(n), { by: "client-1" });
      expect(await repo.list({ limit: 3 })).toMatchObject({ items: [{ id: 1 }, { id: 2 }, { id: 3 }], nextAfterId: 3 });
      expect((await repo.list({ limit: 4 })).nextAfterId).toBeNull();
      expect(await repo.list({ limit: 3, afterId: 3 })).toMatchObject({ items: [{ id: 4 }], nextAfterId: null });
      expect(await repo.list({ limit: 1, afterId: 4 })).toEqual({ items: [], nextAfterId: null });
    });

    it("an empty table is one empty last page", async () => {
      expect(await repo.list({ limit: 20 })).toEqual({ items: [], nextAfterId: null });
      expect(await repo.list({ limit: 20, q: "bolt" })).toEqual({ items: [], nextAfterId: null });
      expect(await repo.list({ limit: 20, modelNumber: "M-1" })).toEqual({ items: [], nextAfterId: null });
    });

    it("an afterId past the end or between rows continues from the next larger id", async () => {
      for (let n = 1; n <= 6; n++) await repo.create(part(n), { by: "client-1" });
      await repo.delete(3);
      expect((await repo.list({ limit: 2, afterId: 2 })).items.map((p) => p.id)).toEqual([4, 5]);
      expect((await repo.list({ limit: 2, afterId: 1000 })).items).toEqual([]);
    });

    it("serves a page of 100 rows", async () => {
      for (let n = 1; n <= 101; n++) await repo.create(part(n), { by: "client-1" });
      const page = await repo.list({ limit: 100 });
      expect(page.items).toHaveLength(100);
      expect(page.nextAfterId).toBe(100);
    });
  });

  describe("filters", () => {
    it("modelNumber is an exact, case-sensitive match, paged in id order", async () => {
      for (let n = 1; n <= 9; n++) await repo.create(part(n, { modelNumber: n % 3 === 0 ? "A" : "B" }), { by: "client-1" });
      await repo.create(part(10, { modelNumber: "a" }), { by: "client-1" });
      await repo.create(part(11, { modelNumber: "AA" }), { by: "client-1" });
      expect((await walk(repo, { limit: 2, modelNumber: "A" })).ids).toEqual([3, 6, 9]);
      expect((await walk(repo, { limit: 100, modelNumber: "a" })).ids).toEqual([10]);
      expect((await walk(repo, { limit: 100, modelNumber: "nope" })).ids).toEqual([]);
    });

    it("q searches the four columns case-insensitively; modelNumber narrows it", async () => {
      await repo.create(part(1, { modelNumber: "A", name: "Hex Bolt" }), { by: "client-1" });
      await repo.create(part(2, { modelNumber: "B", name: "Washer", description: "fits the hex BOLT" }), { by: "client-1" });
      await repo.create(part(3, { modelNumber: "A", name: "Nut" }), { by: "client-1" });
      await repo.create({ partNumber: "BOLT-7", modelNumber: "C", name: "x", description: null }, { by: "client-1" });
      await repo.create({ partNumber: "P-5", modelNumber: "bolt-model", name: "y", description: null }, { by: "client-1" });
      expect(await ids("hex bolt")).toEqual([1, 2]);
      expect(await ids("bolt")).toEqual([1, 2, 4, 5]);
      expect(await ids("bolt", { modelNumber: "B" })).toEqual([2]);
      expect(await ids("bolt", { modelNumber: "A" })).toEqual([1]);
      expect(await ids("nut", { modelNumber: "B" })).toEqual([]);
    });

    it("finds substrings anywhere in a word, in any of the four columns", async () => {
      await repo.create({ partNumber: "HX-4711", modelNumber: "ZX-9", name: "Hexagonal nut", description: "zinc plated" }, { by: "client-1" });
      expect(await ids("agon")).toEqual([1]);
      expect(await ids("4711")).toEqual([1]);
      expect(await ids("zx-")).toEqual([1]);
      expect(await ids("c pla")).toEqual([1]);
    });

    it("matches an exact substring within one column, never across columns or out of order", async () => {
      await repo.create({ partNumber: "ABC", modelNumber: "DEF", name: "bolt nut", description: "washer" }, { by: "client-1" });
      expect(await ids("ABCDEF")).toEqual([]);
      expect(await ids("bolt washer")).toEqual([]);
      expect(await ids("nut bolt")).toEqual([]);
      expect(await ids("boltnut")).toEqual([]);
      expect(await ids("bolt nut")).toEqual([1]);
    });

    it("folds case beyond ASCII but keeps accents significant", async () => {
      await repo.create(part(1, { name: "ÉCROU M6" }), { by: "client-1" });
      await repo.create(part(2, { name: "ecrou M6" }), { by: "client-1" });
      await repo.create(part(3, { name: "Dichtung ÄÖÜ" }), { by: "client-1" });
      await repo.create(part(4, { name: "dichtung äöü" }), { by: "client-1" });
      await repo.create(part(5, { name: "ΒΊΔΑ σπείρωμα" }), { by: "client-1" });
      expect(await ids("écrou")).toEqual([1]);
      expect(await ids("ÉCROU")).toEqual([1]);
      expect(await ids("Écrou")).toEqual([1]);
      expect(await ids("ecrou")).toEqual([2]);
      expect(await ids("äöü")).toEqual([3, 4]);
      expect(await ids("ÄÖÜ")).toEqual([3, 4]);
      expect(await ids("aou")).toEqual([]);
      expect(await ids("βίδα")).toEqual([5]);
    });

    it("treats %, _ and backslash literally", async () => {
      await repo.create(part(1, { name: "100% steel" }), { by: "client-1" });
      await repo.create(part(2, { name: "1000 steel" }), { by: "client-1" });
      await repo.create(part(3, { name: String.raw`C:\tools\x_y` }), { by: "client-1" });
      await repo.create(part(4, { name: String.raw`C:/tools/xzy` }), { by: "client-1" });
      expect(await ids("0% ")).toEqual([1]);
      expect(await ids("%%%")).toEqual([]);
      expect(await ids(String.raw`:\t`)).toEqual([3]);
      expect(await ids(String.raw`\x_`)).toEqual([3]);
      expect(await ids("x_y")).toEqual([3]);
      expect(await ids("___")).toEqual([]);
      expect(await ids(String.raw`\\\\`)).toEqual([]);
    });

    it("treats quotes and query syntax in the text as literal characters", async () => {
      const names = ['say "hi" now', "abc*", "abcd", "NEAR(bolt nut)", "bolt and nut", "bolt AND nut", "name:bolt", "-bolt OR nut^", "O'Brien's nut"];
      for (const [i, name] of names.entries()) await repo.create(part(i + 1, { name }), { by: "client-1" });
      expect(await ids('"hi"')).toEqual([1]);
      expect(await ids('y "h')).toEqual([1]);
      expect(await ids('"""')).toEqual([]);
      expect(await ids("abc*")).toEqual([2]);
      expect(await ids("NEAR(bolt nut)")).toEqual([4]);
      expect(await ids("bolt AND nut")).toEqual([5, 6]);
      expect(await ids("name:bolt")).toEqual([7]);
      expect(await ids("-bolt OR nut^")).toEqual([8]);
      expect(await ids("O'Brien's")).toEqual([9]);
      expect(await ids("'''")).toEqual([]);
    });

    it("counts characters, not UTF-16 units: fewer than 3 is a RangeError", async () => {
      await repo.create(part(1, { name: "🔩🔩🔩 kit" }), { by: "client-1" });
      expect(await ids("🔩🔩🔩")).toEqual([1]);
      for (const q of ["", "ab", "🔩🔩", "é\u0301"]) {
        await expect(repo.list({ limit: 10, q }), JSON.stringify(q)).rejects.toBeInstanceOf(RangeError);
      }
      expect(await ids("x".repeat(100))).toEqual([]);
    });

    it("pages through matches: every match exactly once, with and without a model filter", async () => {
      for (let n = 1; n <= 30; n++) {
        await repo.create(part(n, { modelNumber: n % 2 ? "ODD" : "EVEN", name: n % 3 ? "Bolt" : "Nut" }), { by: "client-1" });
      }
      const all = [...Array(30).keys()].map((i) => i + 1);
      expect((await walk(repo, { limit: 4, q: "bolt" })).ids).toEqual(all.filter((n) => n % 3 !== 0));
      expect((await walk(repo, { limit: 4, q: "bolt", modelNumber: "ODD" })).ids).toEqual(all.filter((n) => n % 3 !== 0 && n % 2 === 1));
      expect((await walk(repo, { limit: 1, q: "nut", modelNumber: "EVEN" })).ids).toEqual([6, 12, 18, 24, 30]);
      expect(await ids("bolt", { afterId: 25, modelNumber: "EVEN" })).toEqual([26, 28]);
    });

    it("sees creates, updates and deletes at once", async () => {
      const created = await repo.create(part(1, { name: "Hex bolt", description: "steel" }), { by: "client-1" });
      expect(await ids("hex")).toEqual([1]);
      await repo.update(created.id, { name: "Wing nut", description: null }, { by: "client-1" });
      expect(await ids("hex")).toEqual([]);
      expect(await ids("steel")).toEqual([]);
      expect(await ids("wing")).toEqual([1]);
      await repo.update(created.id, { partNumber: "QQ-777", modelNumber: "MOD-Z" }, { by: "client-1" });
      expect(await ids("PN-0001")).toEqual([]);
      expect(await ids("qq-7")).toEqual([1]);
      expect(await ids("mod-z")).toEqual([1]);
      expect((await repo.list({ limit: 10, modelNumber: "MOD-Z" })).items.map((p) => p.id)).toEqual([1]);
      await repo.delete(created.id);
      expect(await ids("wing")).toEqual([]);
    });

    it("a write that fails changes neither the rows nor what a search finds", async () => {
      await repo.create(part(1, { name: "First bolt" }), { by: "client-1" });
      const second = await repo.create(part(2, { name: "Second nut" }), { by: "client-1" });
      await expect(repo.create({ ...part(3, { name: "Third washer" }), partNumber: "PN-0001" }, { by: "client-1" })).rejects.toBeInstanceOf(UniqueConstraintError);
      await expect(repo.update(second.id, { partNumber: "pn-0001", name: "Renamed" }, { by: "client-1" })).rejects.toBeInstanceOf(UniqueConstraintError);
      expect(await ids("washer")).toEqual([]);
      expect(await ids("renamed")).toEqual([]);
      expect(await ids("second")).toEqual([2]);
      expect(await repo.byId(second.id)).toEqual(second);
    });
  });

  describe("audit trail", () => {
    it("create records the client as creator and updater", async () => {
      const created = await repo.create(part(1), { by: "client-a" });
      expect(created).toMatchObject({ createdBy: "client-a", updatedBy: "client-a" });
      expect(await repo.byId(created.id)).toEqual(created);
    });

    it("an update records its client as updater and keeps the creator; an empty patch records nothing", async () => {
      const created = await repo.create(part(1), { by: "client-a" });
      expect(await repo.update(created.id, { name: "x" }, { by: "client-b" })).toMatchObject({ createdBy: "client-a", updatedBy: "client-b" });
      expect(await repo.update(created.id, {}, { by: "client-c" })).toMatchObject({ updatedBy: "client-b", version: 2 });
      expect(await repo.byId(created.id)).toMatchObject({ createdBy: "client-a", updatedBy: "client-b" });
    });

    it("a refused update (stale version, duplicate part number) leaves the updater as it was", async () => {
      await repo.create(part(1), { by: "client-a" });
      const second = await repo.create(part(2), { by: "client-a" });
      await expect(repo.update(second.id, { name: "x" }, { by: "client-b", expectedVersion: 9 })).rejects.toBeInstanceOf(VersionConflictError);
      await expect(repo.update(second.id, { partNumber: "PN-0001" }, { by: "client-b" })).rejects.toBeInstanceOf(UniqueConstraintError);
      expect(await repo.byId(second.id)).toEqual(second);
    });

    it("createdBy and updatedBy are exact, case-sensitive filters, paged in id order", async () => {
      for (let n = 1; n <= 9; n++) await repo.create(part(n), { by: n % 3 === 0 ? "client-a" : "client-b" });
      await repo.create(part(10), { by: "Client-A" });
      await repo.update(2, { name: "x" }, { by: "client-a" });
      await repo.update(3, { name: "x" }, { by: "client-c" });
      expect((await walk(repo, { limit: 2, createdBy: "client-a" })).ids).toEqual([3, 6, 9]);
      expect((await walk(repo, { limit: 2, updatedBy: "client-a" })).ids).toEqual([2, 6, 9]);
      expect((await walk(repo, { limit: 100, createdBy: "Client-A" })).ids).toEqual([10]);
      expect((await walk(repo, { limit: 100, createdBy: "client" })).ids).toEqual([]);
      expect((await walk(repo, { limit: 1, createdBy: "client-a", updatedBy: "client-c" })).ids).toEqual([3]);
    });

    it("the audit filters combine with modelNumber and with q, every match exactly once", async () => {
      for (let n = 1; n <= 30; n++) {
        const extra = { modelNumber: n % 2 ? "ODD" : "EVEN", name: n % 3 ? "Bolt" : "Nut" };
        await repo.create(part(n, extra), { by: n % 5 === 0 ? "client-a" : "client-b" });
      }
      const all = [...Array(30).keys()].map((i) => i + 1);
      const byA = all.filter((n) => n % 5 === 0);
      expect((await walk(repo, { limit: 2, createdBy: "client-a", modelNumber: "EVEN" })).ids).toEqual(byA.filter((n) => n % 2 === 0));
      expect((await walk(repo, { limit: 2, q: "bolt", createdBy: "client-a" })).ids).toEqual(byA.filter((n) => n % 3 !== 0));
      expect((await walk(repo, { limit: 1, q: "nut", updatedBy: "client-b", modelNumber: "ODD" })).ids).toEqual([3, 9, 21, 27]);
      expect(await ids("bolt", { afterId: 10, createdBy: "client-a" })).toEqual([20, 25]);
    });

    it("parts written before the audit trail have null authors and match no audit filter", async () => {
      await repo.create(part(1), { by: "client-a" });
      await engine.clearAuthors(1);
      expect(await repo.byId(1)).toMatchObject({ createdBy: null, updatedBy: null });
      expect((await repo.list({ limit: 10, createdBy: "client-a" })).items).toEqual([]);
      expect((await repo.list({ limit: 10, q: "part", updatedBy: "client-a" })).items).toEqual([]);
      expect(await repo.update(1, { name: "x" }, { by: "client-b" })).toMatchObject({ createdBy: null, updatedBy: "client-b" });
    });
  });

  describe("timestamps", () => {
    it("are ISO 8601 UTC with milliseconds everywhere a part is returned", async () => {
      const created = await repo.create(part(1, { name: "Hex bolt" }), { by: "client-1" });
      const updated = (await repo.update(created.id, { name: "Hex bolt 2" }, { by: "client-1" }))!;
      for (const p of [created, updated, (await repo.byId(1))!, (await repo.list({ limit: 1 })).items[0]!, (await repo.list({ limit: 1, q: "hex" })).items[0]!]) {
        expect(p.createdAt).toMatch(isoMs);
        expect(p.updatedAt).toMatch(isoMs);
        expect(new Date(p.createdAt).toISOString()).toBe(p.createdAt);
      }
    });

    it("keep their millisecond digits, .000 included", async () => {
      await repo.create(part(1), { by: "client-1" });
      await repo.create(part(2), { by: "client-1" });
      await engine.setTimestamps(1, "2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05.001Z");
      await engine.setTimestamps(2, "1999-12-31T23:59:59.999Z", "2038-01-19T03:14:08.120Z");
      expect(await repo.byId(1)).toMatchObject({ createdAt: "2024-01-02T03:04:05.000Z", updatedAt: "2024-01-02T03:04:05.001Z" });
      expect(await repo.byId(2)).toMatchObject({ createdAt: "1999-12-31T23:59:59.999Z", updatedAt: "2038-01-19T03:14:08.120Z" });
    });

    it("every update moves updatedAt forward and never touches createdAt", async () => {
      const created = await repo.create(part(1), { by: "client-1" });
      let previous = created;
      for (const patch of [{ name: "a" }, { description: "b" }, { partNumber: "PN-9" }, { modelNumber: "M-9" }]) {
        await sleep(3);
        const next = (await repo.update(created.id, patch, { by: "client-1" }))!;
        expect(next.updatedAt > previous.updatedAt, JSON.stringify(patch)).toBe(true);
        expect(next.createdAt).toBe(created.createdAt);
        previous = next;
      }
    });
  });
});

describe("parts repository contract: both engines", () => {

  it("the same data gives byte-identical JSON from every engine", async () => {
    const rows: CreatePart[] = [
      { partNumber: "RT-PN-1", modelNumber: "M-1", name: "Hex bolt", description: null },
      { partNumber: "ＲＴ-ＰＮ-２", modelNumber: "M-2", name: "ÉCROU \"M6\" 'x' \\ 🔩", description: "line 1\nline 2\ttab" },
      { partNumber: "rt-pn-3", modelNumber: "M-1", name: "Washer", description: "" },
    ];
    const outputs = [];
    for (const engine of engines) {
      const repo = await engine.fresh();
      for (const row of rows) await repo.create(row, { by: "client-1" });
      await repo.update(3, { description: "zinc" }, { by: "client-2" });
      await repo.delete(1);
      await repo.create({ partNumber: "RT-PN-4", modelNumber: "M-1", name: "Nut" }, { by: "client-1" });
      await engine.setTimestamps(2, "2024-01-02T03:04:05.000Z", "2024-05-06T07:08:09.123Z");
      await engine.setTimestamps(3, "2024-01-02T03:04:05.100Z", "2024-01-02T03:04:05.100Z");
      await engine.setTimestamps(4, "2025-12-31T23:59:59.999Z", "2025-12-31T23:59:59.999Z");
      await engine.clearAuthors(4);
      outputs.push(
        JSON.stringify({
          page: await repo.list({ limit: 2 }),
          next: await repo.list({ limit: 2, afterId: 3 }),
          search: await repo.list({ limit: 10, q: "écrou" }),
          model: await repo.list({ limit: 10, modelNumber: "M-1", q: "n" + "ut" }),
          byId: await repo.byId(2),
          missing: (await repo.byId(1)) ?? null,
          createdBy: await repo.list({ limit: 10, createdBy: "client-1" }),
          updatedBy: await repo.list({ limit: 10, updatedBy: "client-2", modelNumber: "M-1", q: "was" }),
        }),
      );
    }
    expect(outputs[0]).toContain('"createdAt":"2024-01-02T03:04:05.000Z"');
    expect(outputs[0]).toContain('"description":null');
    expect(outputs[0]).toContain('"version":2');
    expect(outputs[0]).toContain('"createdBy":null,"updatedBy":null');
    expect(outputs[0]).toContain('"createdBy":"client-1","updatedBy":"client-2"');
    for (const output of outputs.slice(1)) expect(output).toBe(outputs[0]);
  });

  it("Part is the stored row of every engine without the key", () => {
    expectTypeOf<Part>().toEqualTypeOf<Omit<typeof sqliteParts.$inferSelect, "partNumberKey">>();
    // PostgreSQL reads timestamps as Dates; the repository returns their ISO strings.
    type Stringified<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] };
    expectTypeOf<Part>().toEqualTypeOf<Stringified<Omit<typeof pgParts.$inferSelect, "partNumberKey">>>();
  });
});
