/**
 * `pnpm bench [--quick]`: the parts server (real issuer, real tokens from @parts/client, production settings)
 * against a floor server in one run, each scenario on the floor then on the server, back to back. Servers run on core 0, load generators and micro-benchmarks on core 1.
 * Writes bench/results/<full|quick>.{json,md} and prints the Markdown table. Exits non-zero when a scenario
 * had errors (non-2xx counts) or the two servers disagree on a response body.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTokenProvider } from "@parts/client";
import { openDatabase, partNumberKey } from "@parts/db";
import { signingAlg, startIssuer } from "@parts/authorization-server";
import pino from "pino";
import type { LoadSummary } from "./load-worker.ts";
import type { ClientResult, VerifyResult } from "./micro.ts";
import { freePort, hasTaskset, nodeOnCore, runOnCore, sampleRss, stop, waitForHttp } from "./processes.ts";
import { evaluate, markdownReport, type RunReport, type ScenarioResult } from "./report.ts";
import { batchPath, byIdPath, listPath, type LoadSpec, type RequestKind } from "./scenarios.ts";
import type { SearchBenchResult } from "./search.ts";

if (process.argv.includes("--soak")) await (await import("./soak.ts")).runSoak();

const quick = process.argv.includes("--quick");
// `--only=byId,create,fresh,verify,client,search`: a subset while working on one target; results go to results/only.*.
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");
const selected = (part: string) => only === undefined || only.includes(part);
const settings = quick
  ? { duration: 1, rounds: 1, warmup: 1, poolSize: 200, microSeconds: 0.3, clientSeconds: 1, clientWarmupSeconds: 0.3, seedRows: 2_000, searchRows: 20_000, searchIterations: 5 }
  : // poolSize exceeds the server verifier's 1,000-token cache, so a cycled pool never hits it.
    { duration: 5, rounds: 3, warmup: 2, poolSize: 3_000, microSeconds: 2, clientSeconds: 4, clientWarmupSeconds: 3, seedRows: 10_000, searchRows: 100_000, searchIterations: 21 };
const connections = 50;
const serverCore = 0;
const loadCore = 1;
const src = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const serverMain = fileURLToPath(new URL("../../apps/server/dist/bin/main.js", import.meta.url));
// Both servers run as bundled JavaScript on plain node, as in production (no TypeScript loader).
const floorMain = fileURLToPath(new URL("../dist/bin/floor-server.js", import.meta.url));
const resultsDir = fileURLToPath(new URL("../results/", import.meta.url));
const log = (message: string) => console.error(`[bench] ${message}`);

const work = mkdtempSync(join(tmpdir(), "parts-bench-"));
const failures: string[] = [];

/** Identical rows (timestamps included) in both databases, so both servers answer byte-identical JSON. */
function seed(file: string): void {
  const handle = openDatabase(file);
  const insert = handle.sqlite.prepare(
    "insert into parts (part_number, part_number_key, model_number, name, description, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)",
  );
  handle.sqlite.transaction(() => {
    for (let n = 1; n <= settings.seedRows; n++) {
      const at = new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
      const partNumber = `PN-${String(n).padStart(6, "0")}`;
      insert.run(partNumber, partNumberKey(partNumber), `M-${n % 50}`, `Part ${n}`, n % 3 === 0 ? null : `Seeded part number ${n}`, at, at);
    }
  })();
  handle.close();
}

async function load(name: string, kind: RequestKind, origin: string, pid: number, extra: Partial<LoadSpec> = {}, warmUp = true): Promise<ScenarioResult> {
  const spec: LoadSpec = { name, kind, origin, connections, duration: settings.duration, maxId: settings.seedRows, uniquePrefix: `${name}-${Date.now()}`, ...extra };
  let tokenOffset = 0;
  if (warmUp && settings.warmup > 0 && spec.amount === undefined) {
    const warm = await runOnCore(loadCore, [src("./load-worker.ts"), JSON.stringify({ ...spec, name: `${name} warm-up`, duration: settings.warmup, uniquePrefix: `${spec.uniquePrefix}-w` })]);
    // A pooled run goes on where the warm-up stopped (plus the requests still in flight then), so no token it
    // sends was verified recently.
    tokenOffset = (JSON.parse(warm) as LoadSummary).total + connections;
  }
  const rss = sampleRss(pid);
  const summary = JSON.parse(await runOnCore(loadCore, [src("./load-worker.ts"), JSON.stringify({ ...spec, tokenOffset })])) as LoadSummary;
  const { peakMb, lastMb } = rss.stop();
  const result = { ...summary, serverRssPeakMb: peakMb, serverRssEndMb: lastMb };
  if (result.errors > 0) failures.push(`${name}: ${result.errors} errors (${result.non2xx} non-2xx)`);
  if (result.total === 0) failures.push(`${name}: no responses`);
  log(`${name}: ${result.requestsPerSec.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, errors ${result.errors}, RSS ${peakMb.toFixed(0)} MB`);
  return result;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** One result for a scenario's rounds: the median round's figures, all errors, the highest RSS. */
function combineRounds(runs: ScenarioResult[]): ScenarioResult {
  const middle = runs.find((run) => run.requestsPerSec === median(runs.map((r) => r.requestsPerSec)))!;
  return {
    ...middle,
    total: runs.reduce((sum, run) => sum + run.total, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    serverRssPeakMb: Math.max(...runs.map((run) => run.serverRssPeakMb)),
    roundsRequestsPerSec: runs.map((run) => Math.round(run.requestsPerSec)),
  };
}

const scenarioKinds: Array<[string, RequestKind]> = [
  ["parts.byId", "byId"],
  ["parts.list(20)", "list20"],
  ["parts.list(100)", "list100"],
  ["parts.create", "create"],
  ["batch of 10 byId", "batch10"],
  ["mixed 90/10 read/write", "mixed"],
];
const parityPaths = [byIdPath(1), listPath(20), batchPath([1, 2, 3])];

async function bodies(origin: string, token?: string): Promise<string[]> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return Promise.all(parityPaths.map(async (path) => (await fetch(origin + path, { headers })).text()));
}

async function mintPool(issuer: string, clientId: string, clientSecret: string, size: number) {
  const started = performance.now();
  const pool = new Set<string>();
  const workers = Array.from({ length: 8 }, async () => {
    const provider = createTokenProvider({ issuer, clientId, clientSecret, scope: "parts:read parts:write" });
    while (pool.size < size) {
      provider.invalidate();
      pool.add(await provider.getAccessToken());
    }
  });
  await Promise.all(workers);
  return { tokens: [...pool].slice(0, size), perSec: pool.size / ((performance.now() - started) / 1000) };
}

async function main(): Promise<RunReport> {
  const loadAtStart = loadavg();
  if (!hasTaskset) log("taskset not found (util-linux): processes are NOT pinned to cores");
  if (cpus().length < 2) log("fewer than 2 cores: server and load generator share a core");
  const floorDb = join(work, "floor.db");
  const apiDb = join(work, "parts.db");
  seed(floorDb);
  seed(apiDb);

  // Both servers stay up (the idle one costs nothing) and each scenario runs on the floor, then on the server,
  // back to back: on a shared machine the pair sees the same background load.
  const floorPort = await freePort();
  const floor = nodeOnCore(serverCore, [floorMain], { env: { DATABASE_FILE: floorDb, PORT: String(floorPort) }, logFile: join(work, "floor.log") });
  const floorOrigin = `http://127.0.0.1:${floorPort}`;
  const floorResults: Record<string, ScenarioResult> = {};

  // The real issuer (in this process; idle during load) and the real server, as a user runs them.
  const issuerLog = join(work, "issuer.log");
  const issuer = await startIssuer({ databaseFile: join(work, "issuer.db"), port: 0, logger: pino({ level: "info" }, pino.destination({ dest: issuerLog, sync: false })) });
  const { clientId, clientSecret } = await issuer.clients.create({ name: "bench", scope: "parts:read parts:write" });
  if (!clientSecret) throw new Error("issuer returned no client secret");
  const apiPort = await freePort();
  const serverLog = join(work, "server.log");
  // Run exactly as the README's production command (and `@parts/server serve`) does.
  const api = nodeOnCore(serverCore, ["--max-semi-space-size=4", serverMain], {
    env: { NODE_ENV: "production", PORT: String(apiPort), HOST: "127.0.0.1", DATABASE_FILE: apiDb, ISSUER: issuer.url, AUDIENCE: "api://parts", LOG_LEVEL: "info" },
    logFile: serverLog,
  });
  const apiOrigin = `http://127.0.0.1:${apiPort}`;
  const apiResults: Record<string, ScenarioResult> = {};
  const ratios: Record<string, number> = {};
  let verify: VerifyResult[] = [];
  let client: ClientResult | undefined;
  let search: SearchBenchResult | undefined;
  let pool = { size: 0, perSec: 0 };
  try {
    await waitForHttp(`${floorOrigin}/healthz`, floor);
    await waitForHttp(`${apiOrigin}/readyz`, api);
    const token = await createTokenProvider({ issuer: issuer.url, clientId, clientSecret, scope: "parts:read parts:write" }).getAccessToken();
    const floorBodies = await bodies(floorOrigin);
    const apiBodies = await bodies(apiOrigin, token);
    parityPaths.forEach((path, i) => {
      if (apiBodies[i] !== floorBodies[i]) failures.push(`floor and server disagree on ${decodeURIComponent(path)}:\n  server ${apiBodies[i]?.slice(0, 300)}\n  floor  ${floorBodies[i]?.slice(0, 300)}`);
    });

    // Rounds alternate floor and server (warm-up before the first only); the ratio is the median of the rounds'
    // ratios, so a neighbour's burst of load that lands on one side of one round does not decide the result.
    for (const [name, kind] of scenarioKinds.filter(([, kind]) => selected(kind))) {
      const floorRuns: ScenarioResult[] = [];
      const apiRuns: ScenarioResult[] = [];
      for (let round = 0; round < settings.rounds; round++) {
        floorRuns.push(await load(`floor ${name}`, kind, floorOrigin, floor.pid!, { token }, round === 0));
        apiRuns.push(await load(name, kind, apiOrigin, api.pid!, { token }, round === 0));
      }
      floorResults[name] = combineRounds(floorRuns);
      apiResults[name] = combineRounds(apiRuns);
      ratios[name] = median(apiRuns.map((run, i) => run.requestsPerSec / floorRuns[i]!.requestsPerSec));
    }

    if (selected("fresh")) {
      log(`minting ${settings.poolSize} distinct tokens through @parts/client …`);
      const minted = await mintPool(issuer.url, clientId, clientSecret, settings.poolSize);
      pool = { size: minted.tokens.length, perSec: minted.perSec };
      log(`minted ${pool.size} tokens at ${pool.perSec.toFixed(0)}/s`);
      const poolFile = join(work, "tokens.txt");
      writeFileSync(poolFile, minted.tokens.join("\n"));
      apiResults["parts.byId, fresh token per request"] = await load("parts.byId, fresh token per request", "byId", apiOrigin, api.pid!, {
        tokenPoolFile: poolFile,
        // Quick mode's small pool is sent once, token by token; the full run cycles a pool larger than the cache.
        ...(quick ? { amount: minted.tokens.length } : {}),
      });
    }

    if (selected("verify")) {
      log("micro-benchmarks: token verification per algorithm (core 0) …");
      verify = JSON.parse(await runOnCore(serverCore, [src("./micro.ts"), "verify", JSON.stringify({ seconds: settings.microSeconds, tokens: quick ? 100 : 2000 })])) as VerifyResult[];
    }
    if (selected("client")) {
      log("micro-benchmarks: typed client vs raw fetch (core 1) …");
      client = JSON.parse(
        await runOnCore(loadCore, [src("./micro.ts"), "client", JSON.stringify({ seconds: settings.clientSeconds, warmupSeconds: settings.clientWarmupSeconds, origin: apiOrigin, issuer: issuer.url, clientId, clientSecret })]),
      ) as ClientResult;
    }
    if (selected("search")) {
      log(`micro-benchmark: search over ${settings.searchRows.toLocaleString("en")} parts, FTS5 index vs the old LIKE scan (core 0) …`);
      const args = { rows: settings.searchRows, iterations: settings.searchIterations, dir: work };
      search = JSON.parse(await runOnCore(serverCore, [src("./search.ts"), JSON.stringify(args)])) as SearchBenchResult;
      for (const s of search.scenarios.filter((s) => !s.samePage)) failures.push(`search "${s.name}": the index and the old scan returned different pages`);
    }
  } finally {
    await stop(floor);
    await stop(api);
    await issuer.close();
  }

  return {
    mode: only ? "only" : quick ? "quick" : "full",
    date: new Date().toISOString(),
    loadAverage: { start: loadAtStart, end: loadavg() },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "?", node: process.version, pinned: hasTaskset, connections },
    settings,
    issuerAlg: signingAlg,
    tokenPool: pool,
    serverLogBytes: statSync(serverLog).size,
    floor: floorResults,
    server: apiResults,
    ratios,
    verify,
    client,
    search,
    failures,
  };
}

let exitCode = 0;
try {
  const report = main();
  const result = await report;
  const targets = evaluate(result);
  const markdown = markdownReport(result, targets);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${result.mode}.json`), JSON.stringify({ ...result, targets }, null, 2) + "\n");
  writeFileSync(join(resultsDir, `${result.mode}.md`), markdown);
  console.log(markdown);
  if (failures.length > 0) {
    console.error(`[bench] FAILED:\n- ${failures.join("\n- ")}`);
    exitCode = 1;
  }
} catch (error) {
  console.error("[bench] harness failed:", error);
  exitCode = 2;
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
