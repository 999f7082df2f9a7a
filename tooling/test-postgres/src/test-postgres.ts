import { execFile, execFileSync, spawn } from "node:child_process";
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * Test support: a throwaway PostgreSQL server for one test file.
 *
 * By default it runs the installed PostgreSQL binaries (`initdb`, `pg_ctl`: found on PATH or under
 * /usr/lib/postgresql/<version>/bin): a fresh cluster in a temp folder, UTF-8 with the C.UTF-8 locale (so
 * `lower`/`ILIKE` fold case for all of Unicode), trust authentication, listening on a free loopback port
 * only. When `PARTS_TEST_DATABASE_URL` is set (a superuser or CREATEDB role's URL on an external server),
 * that server is used instead and only the databases made by `createDatabase` are created and dropped.
 *
 * PostgreSQL refuses to run as root, and tests and CI run as root: then the cluster belongs to the
 * `postgres` OS user and every command runs through `runuser -u postgres --`. As any other user, the
 * commands run directly as that user.
 *
 * Missing binaries are an error, never a skip: CI installs the `postgresql` package.
 *
 * @example
 * const server = await startTestPostgres();
 * const url = await server.createDatabase();
 * // … connect to url …
 * await server.stop();
 */
export interface TestPostgres {
  /** Superuser URL of the server's `postgres` database (the external URL when one is given). */
  readonly url: string;
  /** True when `PARTS_TEST_DATABASE_URL` points at a server this process did not start. */
  readonly external: boolean;
  /** Creates an empty UTF-8 database (C.UTF-8 locale) and returns its URL. Dropped again by `stop()`. */
  createDatabase(name?: string): Promise<string>;
  /**
   * Stops the server (immediate shutdown: as after a crash), waits `downMs`, and starts it again on the same
   * port with the same data. Not available on an external server.
   */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Ends the server and removes its folder (external server: drops the databases this object created). */
  stop(): Promise<void>;
}

export interface TestPostgresOptions {
  /**
   * Run with `fsync=off` (default true): faster, and commits still survive a crash or kill -9 of the server
   * (WAL reaches the OS at commit) but not a crash of the machine. Durability tests must pass `fsyncOff: false`.
   */
  fsyncOff?: boolean;
  /** Folder under which the temp cluster folder is made (default: the OS temp folder). */
  baseDir?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /**
   * Start a throwaway server even when `PARTS_TEST_DATABASE_URL` names an external one: for tests that restart
   * or stop the server itself, which an external server cannot offer.
   */
  local?: boolean;
}

/** The environment variable that points the tests at an external server. */
export const externalUrlVariable = "PARTS_TEST_DATABASE_URL";

const databaseNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;
const locale = "C.UTF-8";

export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const externalUrl = process.env[externalUrlVariable];
  if (!options.local && externalUrl !== undefined && externalUrl !== "") return externalServer(externalUrl);
  return localServer(options);
}

/** Creates `name` on the server at `adminUrl` (C.UTF-8 collation and ctype, UTF-8). */
async function createDatabaseOn(adminUrl: string, name: string): Promise<string> {
  if (!databaseNamePattern.test(name)) throw new TypeError(`not a plain database name: ${JSON.stringify(name)}`);
  await withClient(adminUrl, (client) =>
    client.query(`create database "${name}" template template0 encoding 'UTF8' locale '${locale}'`),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

async function dropDatabasesOn(adminUrl: string, names: Iterable<string>): Promise<void> {
  await withClient(adminUrl, async (client) => {
    for (const name of names) await client.query(`drop database if exists "${name}" with (force)`);
  });
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function randomDatabaseName(): string {
  return `test_${randomBytes(6).toString("hex")}`;
}

function externalServer(adminUrl: string): TestPostgres {
  const created = new Set<string>();
  return {
    url: adminUrl,
    external: true,
    async createDatabase(name = randomDatabaseName()) {
      const url = await createDatabaseOn(adminUrl, name);
      created.add(name);
      return url;
    },
    async restart() {
      throw new Error(`restart() needs a server started by the test; ${externalUrlVariable} points at an external one`);
    },
    async stop() {
      await dropDatabasesOn(adminUrl, created);
      created.clear();
    },
  };
}

/** `initdb` and `pg_ctl` from PATH, else from the newest /usr/lib/postgresql/<version>/bin. */
export function findPostgresBinaries(): { initdb: string; pgCtl: string } {
  const candidates = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const debianRoot = "/usr/lib/postgresql";
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debianRoot, v, "bin")));
  }
  for (const dir of candidates) {
    const pgCtl = join(dir, "pg_ctl");
    const initdb = join(dir, "initdb");
    if (isExecutable(pgCtl) && isExecutable(initdb)) return { initdb, pgCtl };
  }
  throw new Error(
    "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin: " +
      `install them (Debian: apt-get install -y postgresql) or set ${externalUrlVariable} to an external server`,
  );
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A loopback port that was free a moment ago (the server start retries if it is taken meanwhile). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

interface Runner {
  /** Runs a PostgreSQL binary as the cluster's owner. */
  run(file: string, args: string[], cwd: string): Promise<void>;
  /** uid/gid that must own the cluster folder, or undefined to keep the current user. */
  owner: { uid: number; gid: number } | undefined;
}

function runnerForCurrentUser(): Runner {
  if (process.getuid?.() !== 0) {
    return {
      owner: undefined,
      run: (file, args, cwd) => exec(file, args, cwd),
    };
  }
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  } catch {
    throw new Error(
      "running as root, and PostgreSQL refuses to run as root: the `postgres` OS user is needed " +
        "(the Debian postgresql package creates it)",
    );
  }
  return {
    owner: { uid, gid },
    run: (file, args, cwd) => exec("runuser", ["-u", "postgres", "--", file, ...args], cwd),
  };
}

function exec(file: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`, { cause: error }));
      else resolve();
    });
  });
}

/** Throws unless every folder from `dir` up to the root can be entered by other users (the postgres user). */
function assertTraversable(dir: string): void {
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) {
      throw new Error(
        `${current} cannot be entered by the postgres user (mode ${(statSync(current).mode & 0o777).toString(8)}): ` +
          "pass another baseDir (or TMPDIR) whose every parent folder is traversable",
      );
    }
    if (dirname(current) === current) return;
  }
}

async function localServer(options: TestPostgresOptions): Promise<TestPostgres> {
  const { initdb, pgCtl } = findPostgresBinaries();
  const runner = runnerForCurrentUser();
  const baseDir = options.baseDir ?? tmpdir();
  // mkdtemp makes a 0700 folder: the postgres user could not enter it, so open it up (the data folder below
  // stays 0700, as PostgreSQL requires).
  const root = mkdtempSync(join(baseDir, "parts-pg-"));
  chmodSync(root, 0o755);
  if (runner.owner !== undefined) {
    assertTraversable(root);
    chownSync(root, runner.owner.uid, runner.owner.gid);
  }
  const dataDir = join(root, "data");
  const socketDir = join(root, "run");
  const logFile = join(root, "server.log");
  mkdirSync(socketDir, { mode: 0o700 });
  if (runner.owner !== undefined) chownSync(socketDir, runner.owner.uid, runner.owner.gid);

  let running = false;
  const removeFolder = () => rmSync(root, { recursive: true, force: true });
  /** Last resort when the process ends without `stop()`: an immediate shutdown (SIGQUIT to the postmaster). */
  const onExit = () => {
    if (running) killPostmaster(dataDir);
    removeFolder();
  };
  process.once("exit", onExit);
  // A process killed by a signal runs no exit handler: a detached watchdog ends the server once we are gone.
  const watchdog = startWatchdog(join(dataDir, "postmaster.pid"), root);

  try {
    await runner.run(
      initdb,
      ["-D", dataDir, "-U", "postgres", "-A", "trust", "--encoding=UTF8", `--locale=${locale}`, "--no-sync", "--no-instructions"],
      root,
    );
  } catch (error) {
    process.removeListener("exit", onExit);
    stopWatchdog(watchdog);
    removeFolder();
    throw error;
  }

  const settings: Record<string, string | number> = {
    listen_addresses: "127.0.0.1",
    max_connections: 200,
    ...(options.fsyncOff === false ? {} : { fsync: "off" }),
    ...options.settings,
  };
  let port = 0;
  const start = async () => {
    const serverOptions = [`-p ${port}`, `-k '${socketDir}'`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)];
    await runner.run(pgCtl, ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", serverOptions.join(" "), "start"], root);
    running = true;
  };
  const stopServer = async () => {
    if (!running) return;
    try {
      await runner.run(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"], root);
    } catch (error) {
      killPostmaster(dataDir);
      if (existsSync(join(dataDir, "postmaster.pid"))) throw error;
    }
    running = false;
  };

  // The port was free when chosen; another process may take it before the server binds it: try again.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3) {
        process.removeListener("exit", onExit);
        stopWatchdog(watchdog);
        const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
        removeFolder();
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`, { cause: error });
      }
    }
  }

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    external: false,
    createDatabase: (name = randomDatabaseName()) => createDatabaseOn(url, name),
    async restart({ downMs = 0 } = {}) {
      await stopServer();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async stop() {
      try {
        await stopServer();
      } finally {
        process.removeListener("exit", onExit);
        stopWatchdog(watchdog);
        removeFolder();
      }
    },
  };
}

/** SIGQUIT is PostgreSQL's immediate shutdown; used where no await is possible (process exit). */
function killPostmaster(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, "SIGQUIT");
  } catch {
    // no pid file or no such process: nothing left to stop
  }
}

/**
 * A shell that polls this process once a second; when it is gone (even after SIGKILL), sends the postmaster
 * SIGQUIT (immediate shutdown) and removes the folder.
 */
function startWatchdog(pidFile: string, root: string): number | undefined {
  const script = `
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    if [ -f "$2" ]; then kill -QUIT "$(head -n 1 "$2")" 2>/dev/null; sleep 1; fi
    rm -rf "$3"`;
  const child = spawn("sh", ["-c", script, "watchdog", String(process.pid), pidFile, root], { detached: true, stdio: "ignore" });
  child.unref();
  return child.pid;
}

function stopWatchdog(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
