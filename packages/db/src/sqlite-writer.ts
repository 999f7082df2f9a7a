import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { DatabaseError } from "./errors.ts";

/**
 * The worker's file: plain JavaScript beside this module, so it loads unchanged under tsx, vitest and the server's
 * bundle (whose build copies it next to dist/bin/main.js, where this URL then points).
 */
const workerFile = new URL("./sqlite-writer.worker.js", import.meta.url);

export type SqliteValue = string | number | bigint | Buffer | null;

/** One write statement; with `returning`, its first row is the result. */
export interface WriteStatement {
  sql: string;
  params: readonly SqliteValue[];
}

export interface SqliteWriterOptions {
  /** How long the writer waits for another connection's (another process's) write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * The one connection that writes to a SQLite file, on a thread of its own (sqlite-writer.worker.js): commits, their
 * fsync and WAL checkpoints run there, never on the event loop. Statements sent while a commit is under way are
 * committed together in the next transaction (group commit), each in its own savepoint.
 *
 * Durability: `run` resolves only after the COMMIT holding the statement returned on a `synchronous=FULL`
 * connection, i.e. after the WAL was fsync'd: an acknowledged write survives a process kill and a power loss.
 * A statement that is rejected may still have committed when the thread stopped after its COMMIT and before its
 * reply (a crash): unacknowledged, not necessarily absent.
 */
export interface SqliteWriter {
  /**
   * Runs the statement in the next group commit. Rejects with the statement's own SQLite error (a `SqliteError`
   * with its code, e.g. SQLITE_CONSTRAINT_UNIQUE, SQLITE_FULL), or with `DatabaseError` ERR_DATABASE_UNAVAILABLE
   * when the writer thread stopped before answering or the writer is closed.
   */
  run<Row>(statement: WriteStatement): Promise<Row | undefined>;
  /**
   * True while a writer thread is up with the file open. A thread that stopped after it was up is restarted at
   * once; one that could not open the file is tried again by the next `ping` or `run`.
   */
  ping(): boolean;
  /** Lets the statements already sent commit and answer, then closes the connection and ends the thread. */
  close(): Promise<void>;
}

interface Pending {
  resolve(row: unknown): void;
  reject(error: Error): void;
}

type PlainError = { name: string; message: string; code: string | undefined };
type Reply =
  | { ready: true }
  | { openError: PlainError }
  | { results: Array<{ id: number; row?: unknown; error?: PlainError }> }
  | { closed: true };

/** The worker's error rebuilt on this thread: a SQLite error is a `SqliteError` again, with its code. */
function rebuild(error: PlainError): Error {
  if (error.code?.startsWith("SQLITE_")) return new Database.SqliteError(error.message, error.code);
  return Object.assign(new Error(error.message), { name: error.name });
}

/** The current thread of each writer: for this package's tests, which stop it as a crash would. Not exported by index.ts. */
const threads = new WeakMap<SqliteWriter, () => Worker | undefined>();
export const writerThread = (writer: SqliteWriter): Worker | undefined => threads.get(writer)?.();

const unavailable = (reason: string, cause?: unknown) => new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", reason, cause });

/**
 * Starts the writer thread on `file` (which must exist: open it with `openDatabase` first, which migrates it) and
 * resolves once the thread has the file open; rejects with the SQLite error when it cannot open it.
 */
export async function startSqliteWriter(file: string, options: SqliteWriterOptions = {}): Promise<SqliteWriter> {
  const workerData = { file, busyTimeoutMs: Math.trunc(options.busyTimeoutMs ?? 5000) };
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let current: { worker: Worker; ready: Promise<void>; up: boolean } | undefined;
  let closing = false;

  function rejectPending(error: Error): void {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  }

  function spawn(): NonNullable<typeof current> {
    const worker = new Worker(workerFile, { workerData });
    // An idle writer does not keep the process alive; one with statements in flight does.
    worker.unref();
    let crash: unknown;
    let settleReady!: { resolve(): void; reject(error: Error): void };
    const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    ready.catch(() => {}); // observed by startSqliteWriter only
    const self = { worker, ready, up: false };
    worker.on("message", (reply: Reply) => {
      if ("ready" in reply) {
        self.up = true;
        settleReady.resolve();
      } else if ("openError" in reply) {
        crash = rebuild(reply.openError);
        settleReady.reject(crash as Error);
      } else if ("results" in reply) {
        for (const { id, row, error } of reply.results) {
          const waiting = pending.get(id);
          pending.delete(id);
          if (error === undefined) waiting?.resolve(row);
          else waiting?.reject(rebuild(error));
        }
        if (pending.size === 0) worker.unref();
      }
    });
    worker.on("error", (error) => (crash = error));
    worker.on("exit", () => {
      if (current !== self) return;
      current = undefined;
      settleReady.reject(unavailable("the SQLite writer thread stopped", crash));
      rejectPending(unavailable("the SQLite writer thread stopped", crash));
      // A thread that had the file open and then stopped is replaced at once, so that readiness recovers; one
      // that never opened the file is retried on demand (ping or run), not in a loop.
      if (self.up && !closing) current = spawn();
    });
    return self;
  }

  current = spawn();
  await current.ready;

  const writer: SqliteWriter = {
    run<Row>(statement: WriteStatement): Promise<Row | undefined> {
      if (closing) return Promise.reject(unavailable("the SQLite writer is closed"));
      current ??= spawn();
      const { worker } = current;
      const id = nextId++;
      return new Promise<Row | undefined>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (row: unknown) => void, reject });
        if (pending.size === 1) worker.ref();
        worker.postMessage({ id, sql: statement.sql, params: statement.params });
      });
    },
    ping(): boolean {
      if (!closing) current ??= spawn();
      return current?.up ?? false;
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      const running = current;
      if (running === undefined) return;
      const exited = new Promise<void>((resolve) => running.worker.once("exit", () => resolve()));
      running.worker.ref();
      running.worker.postMessage({ close: true });
      await exited;
      rejectPending(unavailable("the SQLite writer is closed"));
    },
  };
  threads.set(writer, () => current?.worker);
  return writer;
}
