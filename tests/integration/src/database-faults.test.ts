/**
 * The server's SQLite file under stress: kill -9 mid-stream and a competing writer holding the lock.
 * (Full-disk and read-only-file cases: disk-faults.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let issuer: FakeIssuer;
let token: string;
let server: ServerProcess | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  issuer = await startFakeIssuer();
  token = await issuer.sign({}, { expiresIn: 3600 });
});
afterEach(async () => {
  await disposeServer(server);
  server = undefined;
});
afterAll(async () => {
  await issuer.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "parts-it-db-"));
  dirs.push(dir);
  return dir;
}

const create = (base: string, n: string) => call(base, "mutation", "parts.create", { partNumber: n, modelNumber: "M", name: `Part ${n}` }, token);

describe("crash safety", () => {
  // 24 writers keep several creates waiting on the writer thread at any time, so they commit in groups: a group
  // is answered only after its COMMIT (fsync'd) returned, never before.
  it("kill -9 during concurrent creates (group commits) loses no acknowledged write and leaves the file consistent", async () => {
    const databaseFile = join(tempDir(), "parts.db");
    server = await startServer({ issuer: issuer.issuer, databaseFile });
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop && i < 5000; i++) {
        const n = `KILL-${w}-${i}`;
        const result = await create(server!.url, n).catch(() => undefined);
        if (result?.status === 200) acknowledged.push(n);
        else if (result === undefined) return; // connection cut by the kill
      }
    };
    const writers = Array.from({ length: 24 }, (_, w) => writer(w));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.kill9();
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(10);

    const sqlite = new Database(databaseFile);
    expect(sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    const stored = new Set((sqlite.prepare("select part_number from parts").pluck().all() as string[]));
    sqlite.close();
    expect(acknowledged.filter((n) => !stored.has(n))).toEqual([]);

    // The server starts again on the same file and serves what was acknowledged.
    server = await startServer({ issuer: issuer.issuer, databaseFile });
    const last = acknowledged.at(-1)!;
    const listed = await call(server.url, "query", "parts.list", { q: last }, token);
    expect(listed.body.result.data.items.map((p: { partNumber: string }) => p.partNumber)).toContain(last);
  });
});

describe("a locked database", () => {
  it("delays a short write while another writer holds the write lock, then succeeds", async () => {
    const databaseFile = join(tempDir(), "parts.db");
    server = await startServer({ issuer: issuer.issuer, databaseFile });
    const other = new Database(databaseFile);
    other.pragma("busy_timeout = 5000");
    other.exec("BEGIN IMMEDIATE");
    other.prepare("insert into parts (part_number, model_number, name) values (?, ?, ?)").run("LOCK-other", "M", "other");

    let settled = false;
    const pending = create(server.url, "LOCK-api").finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const settledWhileLocked = settled;
    other.exec("COMMIT");
    other.close();

    const result = await pending;
    expect(settledWhileLocked).toBe(false);
    expect(result.status).toBe(200);
    const listed = await call(server.url, "query", "parts.list", { q: "LOCK-" }, token);
    expect(listed.body.result.data.items.map((p: { partNumber: string }) => p.partNumber).sort()).toEqual(["LOCK-api", "LOCK-other"]);
  });
});
