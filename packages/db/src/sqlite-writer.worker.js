// The SQLite writer thread (started by sqlite-writer.ts): owns the only connection that writes, so commits, their
// fsync and WAL checkpoints never stop the event loop that serves reads. Plain JavaScript, with no import but
// better-sqlite3, so that the same file runs under tsx and vitest (next to the TypeScript sources) and in the
// server's esbuild bundle (copied next to dist/bin/main.js by the server's build, like the migrations).
//
// Group commit: every write message already waiting on the port is drained into one BEGIN IMMEDIATE … COMMIT,
// each statement inside its own SAVEPOINT so that a failing one (a unique conflict) rolls back alone. Replies go
// out only after COMMIT returned: with synchronous=FULL that is after the WAL was fsync'd, so an acknowledged
// write survives a process kill and a power loss. Messages are handled in arrival order and ids are drawn inside
// the one write transaction, so ids commit in the order the writes were sent.
//
// Messages in: { id, sql, params } (a statement whose first row, if any, is the reply: `… returning …`), or
// { close: true }. Out: { ready: true } once open, { openError } if the file cannot be opened, { results: [{ id,
// row } | { id, error: { name, message, code } }] } per group, { closed: true } before the thread ends.
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/** Most statements in one transaction: bounds the time a group holds the write lock. */
const maxGroup = 500;

/** Errors cross the thread boundary as plain data; the SQLite code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_FULL) is kept. */
function plain(error) {
  if (error instanceof Error) return { name: error.name, message: error.message, code: typeof error.code === "string" ? error.code : undefined };
  return { name: "Error", message: String(error), code: undefined };
}

let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma("synchronous = FULL");
  db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);
  db.pragma("foreign_keys = ON");
} catch (error) {
  parentPort.postMessage({ openError: plain(error) });
  parentPort.close();
}

if (db !== undefined) {
  // WAL mode is a property of the file (set by openDatabase). The default autocheckpoint (PASSIVE, once the WAL
  // passes 1,000 pages) runs inside this connection's COMMIT, so checkpoints stay on this thread too.
  const control = Object.fromEntries(
    ["BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT op", "RELEASE op", "ROLLBACK TO op"].map((sql) => [sql, db.prepare(sql)]),
  );
  const run = (sql) => control[sql].run();
  // The repository sends a handful of distinct statements (insert, delete, updates by patched columns).
  const statements = new Map();
  const prepared = (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const failAll = (group, error) => group.map(({ id }) => ({ id, error: plain(error) }));

  /** One transaction for the whole group; a reply per statement, none of them sent before COMMIT returned. */
  const commitGroup = (group) => {
    try {
      run("BEGIN IMMEDIATE");
    } catch (error) {
      return failAll(group, error);
    }
    const results = [];
    for (const { id, sql, params } of group) {
      run("SAVEPOINT op");
      try {
        const statement = prepared(sql);
        const row = statement.reader ? statement.get(...params) : (statement.run(...params), undefined);
        run("RELEASE op");
        results.push({ id, row });
      } catch (error) {
        // Some errors (SQLITE_FULL, SQLITE_IOERR) make SQLite roll back the whole transaction: the statements
        // before this one are gone too, so none of the group may be acknowledged.
        if (!db.inTransaction) return failAll(group, error);
        run("ROLLBACK TO op");
        run("RELEASE op");
        results.push({ id, error: plain(error) });
      }
    }
    try {
      run("COMMIT");
    } catch (error) {
      if (db.inTransaction) run("ROLLBACK");
      return failAll(group, error);
    }
    return results;
  };

  const close = () => {
    db.close();
    parentPort.postMessage({ closed: true });
    parentPort.close();
  };

  parentPort.on("message", (first) => {
    if (first.close) return close();
    const group = [first];
    let closing = false;
    while (group.length < maxGroup) {
      const next = receiveMessageOnPort(parentPort);
      if (next === undefined) break;
      if (next.message.close) {
        closing = true;
        break;
      }
      group.push(next.message);
    }
    parentPort.postMessage({ results: commitGroup(group) });
    if (closing) close();
  });
  parentPort.postMessage({ ready: true });
}
