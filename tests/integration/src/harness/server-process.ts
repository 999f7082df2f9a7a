import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
/** tsx's loader, registered in the server process itself (the tsx CLI would add a second process). */
const tsxLoader = pathToFileURL(require.resolve("tsx")).href;
export const serverMain = fileURLToPath(new URL("../../../../apps/server/src/main.ts", import.meta.url));
/** The production bundle (`@parts/server` build; turbo builds it before these tests), run with plain node. */
export const serverBundle = fileURLToPath(new URL("../../../../apps/server/dist/bin/main.js", import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  dir: string;
  databaseFile: string;
  logs: LogLine[];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM and wait; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
  kill9(): Promise<number | string>;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  alive(): boolean;
}

export interface StartServerOptions {
  issuer: string;
  audience?: string;
  databaseFile?: string;
  env?: Record<string, string>;
  /** Run the server as this uid/gid (root only): file permissions then apply to it. */
  uid?: number;
  gid?: number;
  /** Run the production bundle instead of the TypeScript source (default "source", through tsx). */
  entry?: "source" | "bundle";
}

/** node's arguments for the chosen entry point. */
function serverArgs(options: StartServerOptions): string[] {
  return options.entry === "bundle" ? [serverBundle] : ["--import", tsxLoader, serverMain];
}

function serverEnv(options: StartServerOptions, databaseFile: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ISSUER: options.issuer,
    AUDIENCE: options.audience ?? "api://parts",
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_FILE: databaseFile,
    LOG_LEVEL: "info",
    SHUTDOWN_GRACE_MS: "5000",
    ...options.env,
  };
}

/** JSON log lines of a chunked stdout; anything that is not JSON goes to `other`. */
function lineSplitter(onLine: (line: LogLine) => void, other: (text: string) => void) {
  let buffer = "";
  return (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        onLine(JSON.parse(line) as LogLine);
      } catch {
        other(line);
      }
    }
  };
}

/** Starts `apps/server/src/main.ts` as a real process on an ephemeral port of 127.0.0.1. */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "parts-it-"));
  const databaseFile = options.databaseFile ?? join(dir, "parts.db");
  const child = spawn(process.execPath, serverArgs(options), {
    env: serverEnv(options, databaseFile),
    stdio: ["ignore", "pipe", "pipe"],
    uid: options.uid,
    gid: options.gid,
  });
  const logs: LogLine[] = [];
  let stderr = "";
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s; stderr: ${stderr}`)), 30_000);
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on(
      "data",
      lineSplitter(
        (parsed) => {
          logs.push(parsed);
          if (parsed.msg === "parts server listening") {
            clearTimeout(timer);
            resolve(parsed.url as string);
          }
        },
        (line) => (stderr += line),
      ),
    );
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    pid: child.pid!,
    child,
    dir,
    databaseFile,
    logs,
    exited,
    alive,
    async stop(graceMs = 15_000) {
      if (alive()) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill9() {
      if (alive()) child.kill("SIGKILL");
      return exited;
    },
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
  };
}

/** Stops the server (if still running) and removes its temp dir. */
export async function disposeServer(server: ServerProcess | undefined): Promise<void> {
  if (!server) return;
  await server.kill9();
  rmSync(server.dir, { recursive: true, force: true });
}

export interface ExitedServer {
  code: number | string;
  logs: LogLine[];
  /** stderr plus any stdout line that was not JSON. */
  stderr: string;
}

/** Starts the server and waits for it to exit on its own (start-up failures); kills it after `timeoutMs`. */
export async function runServerToExit(options: StartServerOptions & { databaseFile: string }, timeoutMs = 20_000): Promise<ExitedServer> {
  const child = spawn(process.execPath, serverArgs(options), {
    env: serverEnv(options, options.databaseFile),
    stdio: ["ignore", "pipe", "pipe"],
    uid: options.uid,
    gid: options.gid,
  });
  const logs: LogLine[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on(
    "data",
    lineSplitter(
      (line) => logs.push(line),
      (line) => (stderr += `${line}\n`),
    ),
  );
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | string>((resolve) => child.once("close", (c, signal) => resolve(c ?? signal ?? -1)));
  clearTimeout(timer);
  return { code, logs, stderr };
}
