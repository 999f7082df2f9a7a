/**
 * The server's SQLite file on a full disk and on a read-only file system: a failed write is a clean 500
 * with an error log line, the process stays up, reads keep working, and no acknowledged write is lost.
 * Needs root (tmpfs mounts, chattr), as CI has.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, healthz, type CallResult } from "./harness/http.ts";
import { disposeServer, runServerToExit, startServer, type LogLine, type ServerProcess } from "./harness/server-process.ts";

let issuer: FakeIssuer;
let token: string;
let server: ServerProcess | undefined;
const mounts: string[] = [];
const dirs: string[] = [];
const immutable: string[] = [];

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
  for (const file of immutable) execFileSync("chattr", ["-i", file]);
  for (const dir of mounts) {
    execFileSync("umount", [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh tmpfs of `size` (e.g. "2m") on an empty directory. */
function tmpfs(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), "parts-it-fs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounts.push(dir);
  return dir;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "parts-it-ro-"));
  dirs.push(dir);
  return dir;
}

const create = (base: string, n: string, description?: string) =>
  call(base, "mutation", "parts.create", { partNumber: n, modelNumber: "DISK", name: `Part ${n}`, description }, token);

/** Every part number the API lists, following cursors. */
async function allPartNumbers(base: string): Promise<Set<string>> {
  const numbers = new Set<string>();
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const listed = await call(base, "query", "parts.list", { limit: 100, cursor }, token);
    expect(listed.status).toBe(200);
    const data = listed.body.result.data as { items: { partNumber: string }[]; nextCursor: string | null };
    for (const item of data.items) numbers.add(item.partNumber);
    if (data.nextCursor === null) break;
    cursor = data.nextCursor;
  }
  return numbers;
}

function expectCleanInternalError(result: CallResult) {
  expect(result.status).toBe(500);
  expect(result.body.error.message).toBe("Internal server error");
  expect(result.body.error.data.code).toBe("INTERNAL_SERVER_ERROR");
  expect(JSON.stringify(result.body)).not.toMatch(/sqlite|disk|full|readonly|i\/o|\/tmp/i);
}

function errorLogs(logs: LogLine[]): LogLine[] {
  return logs.filter((line) => line.level >= 50);
}

/** Log lines reach us through a pipe, possibly after the response: wait (bounded) for `count` error lines. */
async function errorLogsOf(process: ServerProcess, count: number): Promise<LogLine[]> {
  for (let waited = 0; errorLogs(process.logs).length < count && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return errorLogs(process.logs);
}

describe("a full disk", () => {
  it("fails creates with a clean 500 and an error log line, stays up, and keeps every acknowledged create", async () => {
    const databaseFile = join(tmpfs("2m"), "parts.db");
    server = await startServer({ issuer: issuer.issuer, databaseFile });
    const acknowledged: string[] = [];
    const failures: CallResult[] = [];
    const description = "d".repeat(10_000);
    for (let i = 0; i < 500 && failures.length < 5; i++) {
      const n = `FULL-${i}`;
      const result = await create(server.url, n, description);
      if (result.status === 200) acknowledged.push(n);
      else failures.push(result);
    }
    expect(acknowledged.length).toBeGreaterThan(20);
    expect(failures).toHaveLength(5);
    for (const failure of failures) expectCleanInternalError(failure);
    const errors = await errorLogsOf(server, failures.length);
    expect(errors).toHaveLength(failures.length);
    expect(errors[0]).toMatchObject({ msg: "procedure failed", path: "parts.create" });
    expect((errors[0]!.err as { code: string }).code).toMatch(/^SQLITE_(FULL|IOERR)/);

    // Still up: liveness, reads, and a small write that fits is not required to fail or succeed.
    expect(server.alive()).toBe(true);
    expect(await healthz(server.url)).toBe(200);
    const last = acknowledged.at(-1)!;
    const listed = await call(server.url, "query", "parts.list", { q: last }, token);
    expect(listed.body.result.data.items.map((p: { partNumber: string }) => p.partNumber)).toEqual([last]);

    // Every create answered 200 is there after a restart, and the file is consistent.
    expect(await server.stop()).toBe(0);
    server = await startServer({ issuer: issuer.issuer, databaseFile });
    const stored = await allPartNumbers(server.url);
    expect(acknowledged.filter((n) => !stored.has(n))).toEqual([]);
    expect(stored.size).toBe(acknowledged.length);
    await server.stop();
    const sqlite = new Database(databaseFile, { readonly: true });
    expect(sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    sqlite.close();
  });
});

describe("a database file that becomes read-only while the server runs", () => {
  // `mount -o remount,ro` is refused while SQLite holds the file open for writing ("mount point is busy"),
  // so the files are made immutable instead (ext4 `chattr +i`): the kernel then refuses writes even through
  // descriptors opened earlier. The -shm stays writable: readers need it for the WAL index.
  it("answers writes with a clean 500 and an error log line, keeps serving reads, and writes again once writable", async () => {
    const databaseFile = join(tempDir(), "parts.db");
    server = await startServer({ issuer: issuer.issuer, databaseFile });
    expect((await create(server.url, "RO-before")).status).toBe(200);

    const files = [databaseFile, `${databaseFile}-wal`];
    execFileSync("chattr", ["+i", ...files]);
    immutable.push(...files);
    const refused = [await create(server.url, "RO-during-1"), await create(server.url, "RO-during-2")];
    for (const result of refused) expectCleanInternalError(result);
    const errors = await errorLogsOf(server, refused.length);
    expect(errors).toHaveLength(refused.length);
    expect((errors[0]!.err as { code: string }).code).toMatch(/^SQLITE_(IOERR|READONLY)/);
    expect(server.alive()).toBe(true);
    expect(await healthz(server.url)).toBe(200);
    expect([...(await allPartNumbers(server.url))]).toEqual(["RO-before"]);

    execFileSync("chattr", ["-i", ...files]);
    immutable.length = 0;
    expect((await create(server.url, "RO-after")).status).toBe(200);
    expect([...(await allPartNumbers(server.url))].sort()).toEqual(["RO-after", "RO-before"]);
    await server.stop();
    const sqlite = new Database(databaseFile, { readonly: true });
    expect(sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    sqlite.close();
  });
});

describe("a database that cannot be opened at start-up", () => {
  function expectOneCleanFatalLine(exit: Awaited<ReturnType<typeof runServerToExit>>, file: string, code: RegExp) {
    expect(exit.code).toBe(1);
    const errors = errorLogs(exit.logs);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: "cannot open database", file });
    expect(errors[0]!.code).toMatch(code);
    expect(JSON.stringify(errors[0])).not.toContain("    at ");
    expect(exit.stderr).not.toMatch(/SqliteError|\s+at /);
  }

  it("on a read-only file system, exits 1 with one log line naming the file and the SQLite code", async () => {
    const dir = tmpfs("1m");
    execFileSync("mount", ["-o", "remount,ro", dir]);
    const databaseFile = join(dir, "parts.db");
    const exit = await runServerToExit({ issuer: issuer.issuer, databaseFile });
    expectOneCleanFatalLine(exit, databaseFile, /^SQLITE_CANTOPEN/);
  });

  it("when the path is not a database, exits 1 with one log line naming the file and the SQLite code", async () => {
    const databaseFile = join(tempDir(), "not-a-db");
    mkdirSync(databaseFile);
    const exit = await runServerToExit({ issuer: issuer.issuer, databaseFile });
    expectOneCleanFatalLine(exit, databaseFile, /^SQLITE_/);
  });
});
