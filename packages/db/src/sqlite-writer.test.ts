import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "./connection.ts";
import { DatabaseError } from "./errors.ts";
import { startSqliteWriter, writerThread, type SqliteWriter, type WriteStatement } from "./sqlite-writer.ts";

let dir: string;
let file: string;
let handle: DatabaseHandle;
let writer: SqliteWriter;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "parts-writer-"));
  file = join(dir, "parts.db");
  handle = openDatabase(file);
  writer = await startSqliteWriter(file);
});

afterEach(async () => {
  await writer.close();
  handle.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (partNumber: string): WriteStatement => ({
  sql: "insert into parts (part_number, part_number_key, model_number, name) values (?, ?, 'M', 'n') returning id",
  params: [partNumber, partNumber.toLowerCase()],
});
const storedPartNumbers = () => handle.sqlite.prepare("select part_number from parts order by id").pluck().all();

/** Another connection holding the write lock, as another process would: the writer's BEGIN IMMEDIATE waits for it. */
function holdWriteLock() {
  const other = new Database(file);
  other.exec("BEGIN IMMEDIATE");
  return () => {
    other.exec("COMMIT");
    other.close();
  };
}

const settleOrder = <T>(promises: Promise<T>[]) => {
  const order: number[] = [];
  promises.forEach((p, i) => p.then(() => order.push(i), () => order.push(i)));
  return order;
};

describe("the SQLite writer thread", () => {
  it("answers a write only once its COMMIT returned: each answered row is visible to a new connection when it is answered", async () => {
    const release = holdWriteLock();
    const writes = ["A-1", "A-2", "A-3"].map((n) => writer.run<{ id: number }>(insert(n)));
    const order = settleOrder(writes);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(order).toEqual([]);
    const visibleWhenAnswered = writes.map((write, i) =>
      write.then(() => new Database(file, { readonly: true }).prepare("select count(*) from parts where part_number = ?").pluck().get(`A-${i + 1}`)),
    );
    release();
    expect(await Promise.all(visibleWhenAnswered)).toEqual([1, 1, 1]);
  });

  it("commits the writes that wait while it is busy in one transaction, in the order they were sent", async () => {
    const release = holdWriteLock();
    const writes = Array.from({ length: 20 }, (_, i) => writer.run<{ id: number }>(insert(`G-${i}`)));
    // Answers of one group arrive in one message: count the event-loop turns in which answers arrived.
    const turns = new Set<number>();
    let turn = 0;
    const ticking = setInterval(() => turn++, 0);
    for (const write of writes) void write.then(() => turns.add(turn));
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    const ids = (await Promise.all(writes)).map((row) => row!.id);
    clearInterval(ticking);
    // The first write may have been taken alone before the others arrived; all the rest wait behind it together.
    expect(turns.size).toBeLessThanOrEqual(2);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(storedPartNumbers()).toEqual(Array.from({ length: 20 }, (_, i) => `G-${i}`));
  });

  it("rolls back a failing write alone: the others of its group commit, and the error keeps its SQLite code", async () => {
    await writer.run(insert("DUP"));
    const release = holdWriteLock();
    const sent = ["B-1", "DUP", "B-2"].map((n) => writer.run(insert(n)));
    sent.push(writer.run({ sql: "insert into nowhere values (?)", params: [1] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const results = await Promise.allSettled(sent);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
    const [, duplicate, , missingTable] = results as PromiseRejectedResult[];
    expect(duplicate!.reason).toBeInstanceOf(Database.SqliteError);
    expect(duplicate!.reason).toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE", message: expect.stringContaining("parts.part_number") });
    expect(missingTable!.reason).toMatchObject({ code: "SQLITE_ERROR", message: expect.stringContaining("no such table") });
    expect(storedPartNumbers()).toEqual(["DUP", "B-1", "B-2"]);
  });

  it("commits with synchronous=FULL (the WAL is fsync'd before a write is answered) in WAL mode", async () => {
    expect(await writer.run({ sql: "pragma synchronous", params: [] })).toEqual({ synchronous: 2 });
    expect(await writer.run({ sql: "pragma journal_mode", params: [] })).toEqual({ journal_mode: "wal" });
  });

  it("close lets the writes already sent commit and answer, then refuses new ones as unavailable", async () => {
    const writes = Array.from({ length: 10 }, (_, i) => writer.run(insert(`C-${i}`)));
    await writer.close();
    expect((await Promise.allSettled(writes)).map((r) => r.status)).toEqual(Array(10).fill("fulfilled"));
    expect(storedPartNumbers()).toHaveLength(10);
    await expect(writer.run(insert("C-late"))).rejects.toMatchObject({ code: "ERR_DATABASE_UNAVAILABLE" });
    expect(writer.ping()).toBe(false);
  });

  it("a thread that stops rejects the writes in flight as unavailable, is replaced, and the new thread can write", async () => {
    const release = holdWriteLock();
    const writes = ["K-1", "K-2"].map((n) => writer.run(insert(n)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = writerThread(writer)!.terminate();
    release();
    await stopped;
    for (const result of await Promise.allSettled(writes)) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseError);
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "ERR_DATABASE_UNAVAILABLE" });
    }
    for (let waited = 0; !writer.ping() && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(writer.ping()).toBe(true);
    expect(await writer.run(insert("K-after"))).toMatchObject({ id: expect.any(Number) });
    expect(storedPartNumbers()).toContain("K-after");
    expect(handle.sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
  });

  it("fails to start on a file that does not exist, with the SQLite code", async () => {
    await expect(startSqliteWriter(join(dir, "missing.db"))).rejects.toMatchObject({ code: "SQLITE_CANTOPEN" });
  });
});
