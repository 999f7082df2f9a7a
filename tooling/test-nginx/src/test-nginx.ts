import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { balancerHealthPath, renderNginxConfig } from "./nginx-config.ts";

export { balancerHealthPath, renderNginxConfig, type NginxConfigOptions } from "./nginx-config.ts";

/**
 * Test support: Debian's nginx as a load balancer on a free loopback port, in front of `upstreams`.
 *
 * Config, pid file, error log and temp folders live in one temp folder (nginx's prefix); the master runs in the
 * foreground as a child of this process (`daemon off`). As root (tests and CI) the workers run as `nobody`, so
 * the folder is opened for them to enter. The routing rules are in ./nginx-config.ts: round robin, keepalive
 * to the upstreams, a failed connection moves to the other upstream, a POST that reached one never does.
 *
 * A missing nginx is an error, never a skip: CI installs the `nginx-light` package.
 *
 * @example
 * const balancer = await startNginx({ upstreams: ["127.0.0.1:4001", "127.0.0.1:4002"] });
 * await fetch(`${balancer.url}/healthz`);
 * await balancer.stop();
 */
export interface TestNginx {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The config file nginx runs (for a test to show it, or for the docs). */
  readonly configFile: string;
  /** What nginx wrote to its error log so far (upstream failures show up here). */
  errorLog(): string;
  /** Graceful stop (SIGQUIT: finish requests in flight; SIGTERM after 5 s), then removes the folder. */
  stop(): Promise<void>;
}

export interface TestNginxOptions {
  /** Upstream servers as `"127.0.0.1:port"`. */
  upstreams: string[];
  /** nginx binary (default: `nginx` on PATH, else /usr/sbin/nginx). */
  nginx?: string;
  /** Worker processes (default 1: this is a test machine; a benchmark may pass `"auto"`). */
  workerProcesses?: number | "auto";
  /** Idle upstream connections kept per worker (default 32). */
  keepalive?: number;
  /** Seconds to wait on an upstream's response (default 30). */
  readTimeoutSeconds?: number;
  /** Write an access log into the folder (default false). */
  accessLog?: boolean;
  /** Folder under which the temp folder is made (default: the OS temp folder). */
  baseDir?: string;
  /** Loopback port to listen on (default: a free one; a given port that is taken is an error). */
  port?: number;
}

export async function startNginx(options: TestNginxOptions): Promise<TestNginx> {
  const nginx = options.nginx ?? findNginx();
  const dir = mkdtempSync(join(options.baseDir ?? tmpdir(), "parts-nginx-"));
  // mkdtemp makes a 0700 folder; the workers (nobody, when we are root) write their temp files below it.
  chmodSync(dir, 0o755);
  const configFile = join(dir, "nginx.conf");
  const errorLogFile = join(dir, "error.log");
  const errorLog = () => (existsSync(errorLogFile) ? readFileSync(errorLogFile, "utf8") : "");
  const removeFolder = () => rmSync(dir, { recursive: true, force: true });

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    writeFileSync(
      configFile,
      renderNginxConfig({
        upstreams: options.upstreams,
        port,
        dir,
        workerProcesses: options.workerProcesses ?? 1,
        keepalive: options.keepalive ?? 32,
        readTimeoutSeconds: options.readTimeoutSeconds ?? 30,
        accessLog: options.accessLog ? join(dir, "access.log") : undefined,
        workerUser: process.getuid?.() === 0 ? nobody() : undefined,
      }),
    );
    // -e: the error log from the first line on (Debian builds it to stderr); -p: the prefix for relative paths.
    const child = spawn(nginx, ["-p", dir, "-c", configFile, "-e", errorLogFile, "-g", "daemon off;"], { stdio: "ignore" });
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
    const ready = await waitUntilAnswering(port, join(dir, "nginx.pid"), exited);
    if (ready) return running(child, exited, { port, dir, configFile, errorLog, removeFolder });
    // A port chosen free may have been taken meanwhile by another process: try another one.
    if (attempt >= 3 || options.port !== undefined || !errorLog().includes("Address already in use")) {
      child.kill("SIGTERM");
      await exited;
      const log = errorLog();
      removeFolder();
      throw new Error(`nginx did not start (${nginx}):\n${log}`);
    }
  }
}

function running(
  child: ChildProcess,
  exited: Promise<void>,
  parts: { port: number; dir: string; configFile: string; errorLog: () => string; removeFolder: () => void },
): TestNginx {
  let stopped = false;
  // SIGTERM, not SIGKILL: the master ends its workers only when it gets to handle the signal.
  const onExit = () => {
    child.kill("SIGTERM");
    parts.removeFolder();
  };
  process.once("exit", onExit);
  const watchdog = startWatchdog(child.pid, parts.dir);
  return {
    url: `http://127.0.0.1:${parts.port}`,
    port: parts.port,
    configFile: parts.configFile,
    errorLog: parts.errorLog,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGQUIT");
        const timer = setTimeout(() => child.kill("SIGTERM"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      watchdog?.kill("SIGKILL");
      parts.removeFolder();
    },
  };
}

/** `nginx` on PATH, else Debian's /usr/sbin/nginx (sbin is not on every PATH). */
export function findNginx(): string {
  const candidates = [...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/sbin"].map((dir) => join(dir, "nginx"));
  const found = candidates.find(isExecutable);
  if (found === undefined) {
    throw new Error("nginx not found on PATH or in /usr/sbin: install it (Debian: apt-get install -y nginx-light)");
  }
  return found;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The unprivileged user and its group for the workers when the master runs as root. */
function nobody(): { user: string; group: string } {
  try {
    return { user: "nobody", group: execFileSync("id", ["-gn", "nobody"], { encoding: "utf8" }).trim() };
  } catch {
    throw new Error("running as root: the `nobody` OS user is needed to run nginx's workers unprivileged");
  }
}

/** A loopback port that was free a moment ago (for upstreams started next to the balancer). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Polls until nginx has written its pid file (it does so once its port is bound: before that, an answer on the
 * port may come from another process) and its own health path answers 204 (true), or nginx exits (false); 10 s
 * at most.
 */
async function waitUntilAnswering(port: number, pidFile: string, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 10_000;
  while (!gone && Date.now() < deadline) {
    if (existsSync(pidFile) && (await statusOf(port)) === 204) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function statusOf(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: balancerHealthPath, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(undefined));
    req.end();
  });
}

/**
 * A shell that ends nginx and removes its folder once this process is gone, even after a SIGKILL of it; `stop()`
 * kills the shell (ChildProcess.kill ignores one that is already gone).
 */
function startWatchdog(nginxPid: number | undefined, dir: string): ChildProcess | undefined {
  if (nginxPid === undefined) return undefined;
  const script = `
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    kill -TERM "$2" 2>/dev/null; sleep 1; rm -rf "$3"`;
  const child = spawn("sh", ["-c", script, "nginx-watchdog", String(process.pid), String(nginxPid), dir], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  return child;
}
