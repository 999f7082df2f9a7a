/** Child processes pinned to a core, readiness polling, and RSS and CPU time from /proc. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

export const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** `node --import tsx <args>` on `core` (via taskset when present); node is exec'd, so the pid is node's. */
/** Runs node pinned to a core; TypeScript entry points go through tsx, built JavaScript runs as is. */
export function nodeOnCore(core: number, args: string[], options: { env?: NodeJS.ProcessEnv; logFile?: string } = {}) {
  const command = [process.execPath, ...(args.some((arg) => arg.endsWith(".ts")) ? ["--import", "tsx"] : []), ...args];
  const [file, ...rest] = hasTaskset ? ["taskset", "-c", String(core), ...command] : command;
  const out = options.logFile ? openSync(options.logFile, "a") : "pipe";
  return spawn(file!, rest, { env: { ...process.env, ...options.env }, stdio: ["ignore", out, options.logFile ? out : "pipe"] });
}

/** Runs a pinned node script to completion and returns its stdout; rejects with its stderr on failure. */
export function runOnCore(core: number, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const child = nodeOnCore(core, args, { env });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c));
  child.stderr!.on("data", (c: Buffer) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** `NAME=value` words as an environment (a value may itself hold `=`). */
export function environmentOf(words: string[]): Record<string, string> {
  return Object.fromEntries(words.map((word) => [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process for ${url} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => (clearTimeout(timer), resolve()));
    child.kill("SIGTERM");
  });
}

const statusLines = { VmRSS: /VmRSS:\s+(\d+) kB/, VmHWM: /VmHWM:\s+(\d+) kB/ };

/** Resident set size in MB from /proc/<pid>/status: now (VmRSS), or the peak so far (VmHWM); undefined if unreadable. */
export function rssMb(pid: number, which: "VmRSS" | "VmHWM" = "VmRSS"): number | undefined {
  try {
    const match = statusLines[which].exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples VmRSS every `everyMs` until stopped; returns the peak and the last sample. */
export function sampleRss(pid: number, everyMs = 200) {
  let peak = 0;
  let last = 0;
  const take = () => {
    const value = rssMb(pid);
    if (value !== undefined) {
      last = value;
      peak = Math.max(peak, value);
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop(): { peakMb: number; lastMb: number } {
      clearInterval(timer);
      take();
      return { peakMb: peak, lastMb: last };
    },
  };
}

/** The kernel's clock ticks per second, the unit of CPU times in /proc (USER_HZ; 100 on Linux everywhere). */
export const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** Fields of /proc/<pid>/stat after "(comm) ": index 0 is field 3 (state), so field n is at n - 3. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** User and system CPU seconds used so far by `pid`, all its threads, apart. */
export function userSystemSeconds(pid: number): [user: number, system: number] {
  const fields = statFields(pid);
  return fields === undefined ? [0, 0] : [Number(fields[11]) / clockTicks, Number(fields[12]) / clockTicks];
}

/**
 * CPU seconds (user + system) used so far by `pid`, all its threads; with `children`, also by its children:
 * those it has reaped (cutime + cstime) and those still running (a PostgreSQL postmaster's backends).
 */
export function cpuSeconds(pid: number, options: { children?: boolean } = {}): number {
  const fields = statFields(pid);
  if (fields === undefined) return 0;
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  let ticks = utime! + stime!;
  if (options.children) {
    ticks += cutime! + cstime!;
    for (const child of childPids(pid)) ticks += cpuSeconds(child) * clockTicks;
  }
  return ticks / clockTicks;
}

/** Pids whose parent is `pid` (field 4 of /proc/<pid>/stat). */
export function childPids(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => statFields(candidate)?.[1] === String(pid));
}

/**
 * Seconds a process's threads spent runnable but waiting for a CPU (the second field of
 * /proc/<pid>/task/<tid>/schedstat): time the scheduler gave to other processes while this one had work.
 */
export function runQueueSeconds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ");
      return sum + Number(fields[1]) / 1e9;
    }, 0);
  } catch {
    return 0;
  }
}

/** Pins `pid` and all its threads and running children to `core` (children forked later inherit it). */
export function pinProcessTree(pid: number, core: number): void {
  if (!hasTaskset) return;
  for (const target of [pid, ...childPids(pid)]) spawnSync("taskset", ["-a", "-p", "-c", String(core), String(target)], { stdio: "ignore" });
}
