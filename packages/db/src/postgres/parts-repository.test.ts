import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DatabaseError, UniqueConstraintError } from "../errors.ts";
import type { PartsRepository } from "../parts-contract.ts";
import { openPostgresDatabase, type PostgresDatabaseHandle } from "./connection.ts";
import { createPostgresPartsRepository } from "./parts-repository.ts";

// PostgreSQL's own behaviour beside the contract (parts-repository.contract.test.ts): error mapping, retries,
// and keyset pages under concurrent writers.

let server: TestPostgres;
let handle: PostgresDatabaseHandle;
let repo: PartsRepository;

beforeAll(async () => {
  server = await startTestPostgres();
  handle = await openPostgresDatabase(await server.createDatabase(), { max: 12 });
  repo = createPostgresPartsRepository(handle.db);
}, 60_000);

afterAll(async () => {
  await handle?.close();
  await server?.stop();
});

beforeEach(async () => {
  await handle.pool.query("truncate parts restart identity");
});

const sql = (text: string, values: unknown[] = []) => handle.pool.query(text, values);
const part = (n: number) => ({ partNumber: `PN-${n}`, modelNumber: "M", name: `Part ${n}`, description: null });

describe("errors", () => {
  afterEach(async () => {
    await sql("alter table parts drop constraint if exists name_is_not_secret");
    await sql("drop trigger if exists fail_writes on parts");
  });

  it("a unique violation is found in drizzle's error and mapped by constraint name", async () => {
    await repo.create(part(1), { by: "client-1" });
    const error = await repo.create({ ...part(2), partNumber: "pn-1" }, { by: "client-1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect(error).toMatchObject({ field: "partNumber", message: "a row with this partNumber already exists" });
  });

  it("another database error is a DatabaseError whose message holds no query parameter", async () => {
    await sql("alter table parts add constraint name_is_not_secret check (name <> 'hunter2-secret')");
    const error = await repo.create({ ...part(1), name: "hunter2-secret" }, { by: "client-1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "ERR_DATABASE_QUERY", sqlState: "23514", message: "database query failed (SQLSTATE 23514)" });
    expect(String(error)).not.toContain("hunter2");
    expect((error as Error).stack).not.toContain("hunter2");
    // The driver's error stays reachable for diagnosis; drizzle's wrapper (which embeds the parameters) does not.
    expect((error as Error).cause).toBeInstanceOf(pg.DatabaseError);
    expect(((error as Error).cause as Error).message).not.toContain("hunter2");
  });

  it("a RangeError from input checks passes through unchanged", async () => {
    await expect(repo.list({ limit: 10, q: "ab" })).rejects.toBeInstanceOf(RangeError);
  });

  /** Makes the next `failures` writes fail with `sqlState` (counted in a sequence), then lets them through. */
  async function failWrites(sqlState: string, failures: number) {
    await sql("drop sequence if exists write_attempts");
    await sql("create sequence write_attempts");
    await sql(`create or replace function fail_writes() returns trigger language plpgsql as $$
      begin
        if nextval('write_attempts') <= ${failures} then raise exception 'injected' using errcode = '${sqlState}'; end if;
        if tg_op = 'DELETE' then return old; end if;
        return new;
      end $$`);
    await sql("drop trigger if exists fail_writes on parts");
    await sql("create trigger fail_writes before insert or update or delete on parts for each row execute function fail_writes()");
  }
  const attempts = async () => Number((await sql("select last_value from write_attempts")).rows[0].last_value);

  it.each(["40001", "40P01"])("a write failing with %s is retried and succeeds", async (sqlState) => {
    await failWrites(sqlState, 2);
    const retried = await repo.create(part(2), { by: "client-1" });
    expect(retried.partNumber).toBe("PN-2");
    expect(await attempts()).toBe(3);
    await failWrites(sqlState, 1);
    expect(await repo.update(retried.id, { name: "renamed" }, { by: "client-1" })).toMatchObject({ name: "renamed" });
    await failWrites(sqlState, 1);
    expect(await repo.delete(retried.id)).toMatchObject({ id: retried.id });
  });

  it("retries stop after a bounded number of attempts with the last error", async () => {
    await failWrites("40001", 1000);
    const error = await repo.create(part(1), { by: "client-1" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_DATABASE_QUERY", sqlState: "40001" });
    expect(await attempts()).toBe(4);
  });

  it("other failures are not retried", async () => {
    await failWrites("23514", 1000);
    await expect(repo.create(part(1), { by: "client-1" })).rejects.toMatchObject({ sqlState: "23514" });
    expect(await attempts()).toBe(1);
  });
});

describe("keyset pages under concurrent writers", () => {
  afterEach(async () => {
    await sql("drop trigger if exists slow_insert on parts");
  });

  /** Inserts of a part named SLOW sleep `ms` inside their transaction, after the row (and its id) exist. */
  async function slowInserts(ms: number) {
    await sql(`create or replace function slow_insert() returns trigger language plpgsql as $$
      begin perform pg_sleep(${ms / 1000}); return new; end $$`);
    await sql("create trigger slow_insert after insert on parts for each row when (new.name = 'SLOW') execute function slow_insert()");
  }
  const sleepingBackends = async () =>
    Number((await sql("select count(*) from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()")).rows[0].count);

  /** Reads one row at a time from `afterId`, as a client paging with limit 1 would. */
  async function readOn(afterId: number, seen: number[]): Promise<number> {
    for (;;) {
      const page = await repo.list({ limit: 1, afterId });
      if (page.items.length === 0) return afterId;
      seen.push(page.items[0]!.id);
      afterId = page.items[0]!.id;
    }
  }

  it("without the insert lock, a row committed late with a lower id is passed over (why create takes it)", async () => {
    await slowInserts(400);
    const insert = `insert into parts (part_number, part_number_key, model_number, name) values ($1, lower($1), 'M', $2)`;
    const slow = sql(insert, ["A", "SLOW"]); // draws id 1, then sleeps before committing
    await expect.poll(sleepingBackends).toBe(1);
    await sql(insert, ["B", "fast"]); // draws id 2 and commits at once
    const seen: number[] = [];
    const cursor = await readOn(0, seen);
    await slow;
    await readOn(cursor, seen);
    expect(seen).toEqual([2]); // id 1 exists, yet a reader that walked past 2 never sees it
    expect((await repo.list({ limit: 10 })).items.map((p) => p.id)).toEqual([1, 2]);
  });

  it("a create that commits late blocks later creates, so a reader never passes over its id", async () => {
    await slowInserts(400);
    const slow = repo.create({ ...part(1), name: "SLOW" }, { by: "client-1" }); // takes the lock, draws id 1, sleeps
    await expect.poll(sleepingBackends).toBe(1);
    let fastDone = false;
    const fast = repo.create(part(2), { by: "client-1" }).then((p) => ((fastDone = true), p)); // waits for the lock
    const seen: number[] = [];
    const cursor = await readOn(0, seen);
    expect(seen).toEqual([]);
    expect(fastDone).toBe(false);
    const [slowPart, fastPart] = await Promise.all([slow, fast]);
    expect([slowPart.id, fastPart.id]).toEqual([1, 2]);
    await readOn(cursor, seen);
    expect(seen).toEqual([1, 2]);
  });

  it("a reader paging while many creates run at once sees every row exactly once, in id order", async () => {
    const total = 300;
    let writing = true;
    const writers = (async () => {
      const batch: Promise<unknown>[] = [];
      for (let n = 1; n <= total; n++) batch.push(repo.create(part(n), { by: "client-1" }));
      await Promise.all(batch);
      writing = false;
    })();
    const seen: number[] = [];
    let afterId = 0;
    while (writing) {
      const page = await repo.list({ limit: 7, afterId });
      seen.push(...page.items.map((p) => p.id));
      afterId = page.items.at(-1)?.id ?? afterId;
    }
    await writers;
    await readOn(afterId, seen);
    expect(seen).toEqual([...Array(total).keys()].map((i) => i + 1));
  });
});

describe("search in two steps (a window in id order, then the trigram indexes)", () => {
  it.each([1, 2, 3, 7, 1000])("pages through every match exactly once with a window of %i rows", async (searchScanRows) => {
    const small = createPostgresPartsRepository(handle.db, { searchScanRows });
    for (let n = 1; n <= 40; n++) {
      await small.create({ partNumber: `PN-${n}`, modelNumber: n % 4 === 0 ? "A" : "B", name: n % 5 === 0 || n > 35 ? `Écrou ${n}` : `Bolt ${n}`, description: null }, { by: n % 3 === 0 ? "client-3" : "client-1" });
    }
    const walk = async (query: { q: string; modelNumber?: string; createdBy?: string }, limit: number) => {
      const seen: number[] = [];
      let afterId: number | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = await small.list({ limit, afterId, ...query });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((p) => p.id));
        if (page.nextAfterId === null) return seen;
        afterId = page.nextAfterId;
      }
      throw new Error("the walk did not end");
    };
    const ids = [...Array(40).keys()].map((i) => i + 1);
    const ecrou = ids.filter((n) => n % 5 === 0 || n > 35);
    for (const limit of [1, 2, 5, 100]) {
      expect(await walk({ q: "ÉCROU" }, limit), `limit ${limit}`).toEqual(ecrou);
      expect(await walk({ q: "écrou", modelNumber: "A" }, limit), `limit ${limit}`).toEqual(ecrou.filter((n) => n % 4 === 0));
      expect(await walk({ q: "écrou", createdBy: "client-3" }, limit), `limit ${limit}`).toEqual(ecrou.filter((n) => n % 3 === 0));
      expect(await walk({ q: "bolt" }, limit), `limit ${limit}`).toEqual(ids.filter((n) => !ecrou.includes(n)));
      expect(await walk({ q: "zzz" }, limit)).toEqual([]);
    }
    expect(await small.list({ limit: 3, q: "écrou" })).toMatchObject({ items: [{ id: 5 }, { id: 10 }, { id: 15 }], nextAfterId: 15 });
    expect(Object.keys((await small.list({ limit: 1, q: "écrou", afterId: 30 })).items[0]!)).toEqual([
      "id", "partNumber", "modelNumber", "name", "description", "version", "createdAt", "updatedAt", "createdBy", "updatedBy",
    ]);
  });
});
