/**
 * Runs one load scenario with wrk (Debian's package, LuaJIT scripting) pinned to the load core, and measures
 * who was busy meanwhile: wrk's own CPU time (from its /proc/self/stat, read by load.lua when it ends), the
 * server processes' and the database's CPU time, and how long wrk and the servers had work but waited for a CPU
 * (the machine's other users on their core).
 *
 * wrk rather than autocannon: on this machine wrk with the per-request Lua script (random ids, unique part
 * numbers, a cycled token pool) costs ~12 µs of CPU per request, about half what the floor server needs, so the
 * floor's core saturates first; the autocannon worker drove the same floor at about half wrk's rate
 * (figures in bench/README.md).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { clockTicks, cpuSeconds, hasTaskset, runQueueSeconds } from "./processes.ts";
import type { LoadSpec } from "./scenarios.ts";

export interface LoadSummary {
  name: string;
  requestsPerSec: number;
  total: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors + timeouts + answers with status ≥ 400 (wrk counts those; no 3xx is ever sent here). */
  errors: number;
  non2xx: number;
  durationSec: number;
  bytesPerSec: number;
  /** CPU time over wall time, in cores: the generator (wrk), the measured server process(es), the database. */
  cpu: { generator: number; server: number; database?: number };
  /** Time runnable but waiting for a CPU over wall time: wrk (all its threads), the server process(es). */
  waiting: { generator: number; server: number };
}

/** What to measure around a run besides wrk itself. */
export interface LoadTargets {
  generatorCore: number;
  serverPids: number[];
  /** PostgreSQL's postmaster: its CPU time and that of all its backends is counted. */
  databasePid?: number;
}

interface WrkSummary {
  total: number;
  durationSec: number;
  p50Ms: number;
  p99Ms: number;
  bytes: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  cpuSec: number;
}

const script = fileURLToPath(new URL("./load.lua", import.meta.url));
const wrkPath = process.env.WRK ?? "wrk";

function wrkArgs(spec: LoadSpec): string[] {
  const args = ["-t1", `-c${spec.connections}`, `-d${spec.duration}s`, "--timeout", "10s", "-s", script, spec.origin, "--"];
  return [...args, spec.kind, String(spec.maxId), spec.uniquePrefix, spec.token ?? "-", spec.tokenPoolFile ?? "-", String(spec.tokenOffset ?? 0)];
}

/** wrk's summary, and the run-queue wait of its threads (sampled while it runs: they are gone once it exits). */
function runWrk(spec: LoadSpec, core: number): Promise<WrkSummary & { waitSec: number }> {
  const [file, ...args] = hasTaskset ? ["taskset", "-c", String(core), wrkPath, ...wrkArgs(spec)] : [wrkPath, ...wrkArgs(spec)];
  const child = spawn(file!, args, { env: { ...process.env, BENCH_CLOCK_TICKS: String(clockTicks) }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  let waitSec = 0;
  const sampler = setInterval(() => (waitSec = Math.max(waitSec, runQueueSeconds(child.pid!))), 100);
  return new Promise((resolve, reject) => {
    child.on("error", (error) => reject(new Error(`cannot run wrk (Debian: apt-get install -y wrk): ${error.message}`)));
    child.on("exit", (code) => {
      clearInterval(sampler);
      const line = stdout.split("\n").find((l) => l.startsWith("bench-summary "));
      if (code !== 0 || line === undefined) return reject(new Error(`wrk exited ${code} for ${spec.name}: ${(stderr || stdout).slice(-2000)}`));
      resolve({ ...(JSON.parse(line.slice("bench-summary ".length)) as WrkSummary), waitSec });
    });
  });
}

export async function runLoad(spec: LoadSpec, targets: LoadTargets): Promise<LoadSummary> {
  const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const waitOf = (pids: number[]) => pids.reduce((sum, pid) => sum + runQueueSeconds(pid), 0);
  const databaseCpu = () => (targets.databasePid === undefined ? 0 : cpuSeconds(targets.databasePid, { children: true }));
  const started = performance.now();
  const [server0, wait0, database0] = [cpuOf(targets.serverPids), waitOf(targets.serverPids), databaseCpu()];
  const wrk = await runWrk(spec, targets.generatorCore);
  const [server1, wait1, database1] = [cpuOf(targets.serverPids), waitOf(targets.serverPids), databaseCpu()];
  const wall = (performance.now() - started) / 1000;
  const statusErrors = wrk.statusErrors;
  return {
    name: spec.name,
    requestsPerSec: wrk.total / wrk.durationSec,
    total: wrk.total,
    p50Ms: wrk.p50Ms,
    p99Ms: wrk.p99Ms,
    errors: wrk.connectErrors + wrk.readErrors + wrk.writeErrors + wrk.timeouts + statusErrors,
    non2xx: statusErrors,
    durationSec: wrk.durationSec,
    bytesPerSec: wrk.bytes / wrk.durationSec,
    cpu: {
      generator: wrk.cpuSec / wrk.durationSec,
      server: (server1 - server0) / wall,
      ...(targets.databasePid === undefined ? {} : { database: (database1 - database0) / wall }),
    },
    waiting: { generator: wrk.waitSec / wrk.durationSec, server: (wait1 - wait0) / wall },
  };
}
