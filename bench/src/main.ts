/**
 * `pnpm bench [--quick] [--db=postgres]`: the parts server (real issuer, real tokens from @parts/client,
 * production settings) against a floor server on the same database engine in one run, each scenario on the
 * floor then on the server, back to back. Servers run on core 0; the load generator (wrk), micro-benchmarks and
 * PostgreSQL on core 1. Writes bench/results/<full|quick|only>[-postgres].{json,md} and prints the Markdown
 * table. Exits non-zero when a scenario had errors (non-2xx counts) or the two servers disagree on a response body.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTokenProvider } from "@parts/client";
import { signingAlg, startIssuer } from "@parts/authorization-server";
import pino from "pino";
import { measureBalanced, type BalancedResult } from "./balanced.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { baselineEnv, measureObservability, observabilityVariants, type ObservabilityResult } from "./observability.ts";
import { combineRounds, medianRatio } from "./rounds.ts";
import { startEngine, type EngineName } from "./engine.ts";
import { runLoad } from "./load-generator.ts";
import type { ClientResult, VerifyResult } from "./micro.ts";
import { freePort, hasTaskset, nodeOnCore, runOnCore, sampleRss, stop, waitForHttp } from "./processes.ts";
import { evaluate, markdownReport, type RestComparison, type RunReport, type ScenarioResult } from "./report.ts";
import { batchPath, byIdPath, listPath, type LoadSpec, type RequestKind, type ServerTarget } from "./scenarios.ts";
import type { SearchBenchResult } from "./search.ts";

if (process.argv.includes("--soak")) await (await import("./soak.ts")).runSoak();

const quick = process.argv.includes("--quick");
// `--only=byId,create,fresh,verify,client,search,balanced,rest,observability`: a subset while working on one target; results/only[-postgres].*.
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");
const engineName: EngineName = process.argv.includes("--db=postgres") ? "postgres" : "sqlite";
// The micro-benchmarks do not touch the parts database: a PostgreSQL run leaves them to the SQLite run.
const selected = (part: string) => (only === undefined ? engineName === "sqlite" || !["verify", "client", "search", "observability"].includes(part) : only.includes(part));
const preset = quick
  ? { duration: 1, rounds: 1, warmup: 1, poolSize: 200, microSeconds: 0.3, clientSeconds: 1, clientWarmupSeconds: 0.3, seedRows: 2_000, searchRows: 20_000, searchIterations: 5 }
  : // poolSize exceeds the server verifier's 1,000-token cache, so a cycled pool never hits it.
    { duration: 5, rounds: 3, warmup: 2, poolSize: 3_000, microSeconds: 2, clientSeconds: 4, clientWarmupSeconds: 3, seedRows: 10_000, searchRows: 100_000, searchIterations: 21 };
const numberArgument = (name: string) => {
  const value = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  return value === undefined ? undefined : Number(value);
};
// `--rounds=N --duration=S --warmup=S`: while working on one figure, more or longer rounds (or warm-ups) than the preset.
const settings = { ...preset, rounds: numberArgument("rounds") ?? preset.rounds, duration: numberArgument("duration") ?? preset.duration, warmup: numberArgument("warmup") ?? preset.warmup };
// `--observability=metrics,log`: only the observability settings whose names contain one of these words.
const observabilityFilter = process.argv.find((arg) => arg.startsWith("--observability="))?.slice("--observability=".length).split(",");
const connections = 50;
const serverCore = 0;
const loadCore = 1;
const src = (file: string) => fileURLToPath(new URL(file, import.meta.url));
// Both servers run as bundled JavaScript on plain node, as in production (no TypeScript loader).
const serverMain = fileURLToPath(new URL("../../apps/server/dist/bin/main.js", import.meta.url));
const resultsDir = fileURLToPath(new URL("../results/", import.meta.url));
const log = (message: string) => console.error(`[bench] ${message}`);

const work = mkdtempSync(join(tmpdir(), "parts-bench-"));
const failures: string[] = [];

const pct = (cores: number) => `${(cores * 100).toFixed(0)}%`;

/** PostgreSQL's postmaster, whose CPU time (with its backends') each load run accounts. */
let databasePid: number | undefined;

async function load(name: string, kind: RequestKind, target: ServerTarget, extra: Partial<LoadSpec> = {}, warmUp = true): Promise<ScenarioResult> {
  const spec: LoadSpec = { name, kind, origin: target.origin, connections, duration: settings.duration, maxId: settings.seedRows, uniquePrefix: `${name}-${Date.now()}`, ...extra };
  const measured = { generatorCore: loadCore, serverPids: target.pids, databasePid };
  let tokenOffset = 0;
  if (warmUp && settings.warmup > 0) {
    const warm = await runLoad({ ...spec, name: `${name} warm-up`, duration: settings.warmup, uniquePrefix: `${spec.uniquePrefix}-w` }, measured);
    // A pooled run goes on where the warm-up stopped (plus the requests still in flight then), so no token it
    // sends was verified recently.
    tokenOffset = warm.total + connections;
  }
  const rss = target.pids.map((pid) => sampleRss(pid));
  const summary = await runLoad({ ...spec, tokenOffset }, measured);
  const samples = rss.map((sampler) => sampler.stop());
  const peakMb = Math.max(...samples.map((sample) => sample.peakMb));
  const result = { ...summary, serverRssPeakMb: peakMb, serverRssEndMb: Math.max(...samples.map((sample) => sample.lastMb)), serverRssPeaksMb: samples.map((sample) => sample.peakMb) };
  if (result.errors > 0) failures.push(`${name}: ${result.errors} errors (${result.non2xx} non-2xx)`);
  if (result.total === 0) failures.push(`${name}: no responses`);
  const database = result.cpu.database === undefined ? "" : `, postgres ${pct(result.cpu.database)}`;
  const cpu = `CPU (waiting for one) server ${pct(result.cpu.server)} (${pct(result.waiting.server)}), wrk ${pct(result.cpu.generator)} (${pct(result.waiting.generator)})${database}`;
  log(`${name}: ${result.requestsPerSec.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, errors ${result.errors}, RSS ${peakMb.toFixed(0)} MB, ${cpu}`);
  return result;
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
/** REST routes and the tRPC procedures they call: compared on the same server. */
const restPairs: Array<{ route: string; restKind: RequestKind; procedure: string; trpcKind: RequestKind }> = [
  { route: "GET /api/parts/{id}", restKind: "restById", procedure: "parts.byId", trpcKind: "byId" },
  { route: "POST /api/parts", restKind: "restCreate", procedure: "parts.create", trpcKind: "create" },
];

async function bodies(origin: string, token?: string): Promise<string[]> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return Promise.all(parityPaths.map(async (path) => (await fetch(origin + path, { headers })).text()));
}

type StartApi = (core: number, logFile: string, env?: Record<string, string>) => Promise<{ child: ChildProcess; origin: string }>;

/** Each observability setting against a server with all of them off; more rounds than the scenarios, as the budgets are a few per cent. */
async function measureObservabilityCost(startApi: StartApi, token: string): Promise<ObservabilityResult[]> {
  const sink = await startOtlpSink();
  const started = async (env: Record<string, string>, logFile: string) => {
    const { child, origin } = await startApi(serverCore, logFile, env);
    await waitForHttp(`${origin}/readyz`, child);
    return { target: { origin, pids: [child.pid!] }, stop: () => stop(child) };
  };
  let processes = 0;
  try {
    return await measureObservability({
      rounds: numberArgument("rounds") ?? (quick ? 1 : 5),
      start: (env) => started({ ...baselineEnv, ...env }, join(work, `server-observability-${++processes}.log`)),
      ports: async () => ({ metrics: await freePort(), otlp: sink.port }),
      warm: async (target) => void (await load("parts.byId, warm-up", "byId", target, { token, duration: settings.warmup }, false)),
      // Four windows per round (observability.ts), each half a scenario's measurement (wrk takes whole seconds).
      load: (name, target) => load(name, "byId", target, { token, duration: Math.max(1, Math.ceil(settings.duration / 2)) }, false),
    }, observabilityVariants.filter((variant) => observabilityFilter?.some((word) => variant.name.includes(word)) ?? true));
  } finally {
    await sink.close();
    if (sink.received() > 0) log(`observability: the OTLP sink received ${sink.received()} export request(s)`);
  }
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
  const engine = await startEngine(engineName, { work, rows: settings.seedRows, databaseCore: loadCore });
  databasePid = engine.databasePid;
  log(`database: ${engine.description}`);

  // Both servers stay up (the idle one costs nothing) and each scenario runs on the floor, then on the server,
  // back to back: on a shared machine the pair sees the same background load.
  const floorPort = await freePort();
  const floor = nodeOnCore(serverCore, [engine.floorMain], { env: { ...engine.floorEnv, PORT: String(floorPort) }, logFile: join(work, "floor.log") });
  const floorTarget = { origin: `http://127.0.0.1:${floorPort}`, pids: [floor.pid!] };
  const floorOrigin = floorTarget.origin;
  const floorResults: Record<string, ScenarioResult> = {};

  // The real issuer (in this process; idle during load) and the real server, as a user runs them.
  const issuerLog = join(work, "issuer.log");
  const issuer = await startIssuer({ databaseFile: join(work, "issuer.db"), port: 0, logger: pino({ level: "info" }, pino.destination({ dest: issuerLog, sync: false })) });
  const { clientId, clientSecret } = await issuer.clients.create({ name: "bench", scope: "parts:read parts:write" });
  if (!clientSecret) throw new Error("issuer returned no client secret");
  const serverLog = join(work, "server.log");
  // Run exactly as the README's production command (and `@parts/server serve`) does.
  const startApi = async (core: number, logFile: string, settingsEnv: Record<string, string> = {}) => {
    const port = await freePort();
    const child = nodeOnCore(core, ["--max-semi-space-size=4", serverMain], {
      env: { NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", ...engine.apiEnv, ISSUER: issuer.url, AUDIENCE: "api://parts", LOG_LEVEL: "info", ...settingsEnv },
      logFile,
    });
    return { child, origin: `http://127.0.0.1:${port}` };
  };
  const { child: api, origin: apiOrigin } = await startApi(serverCore, serverLog);
  const apiTarget = { origin: apiOrigin, pids: [api.pid!] };
  const apiResults: Record<string, ScenarioResult> = {};
  const ratios: Record<string, number> = {};
  let verify: VerifyResult[] = [];
  let client: ClientResult | undefined;
  let search: SearchBenchResult | undefined;
  let pool = { size: 0, perSec: 0 };
  let balanced: BalancedResult | undefined;
  let observability: ObservabilityResult[] = [];
  const rest: RestComparison[] = [];
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
        floorRuns.push(await load(`floor ${name}`, kind, floorTarget, { token }, round === 0));
        apiRuns.push(await load(name, kind, apiTarget, { token }, round === 0));
      }
      floorResults[name] = combineRounds(floorRuns);
      apiResults[name] = combineRounds(apiRuns);
      ratios[name] = medianRatio(apiRuns, floorRuns);
    }

    if (selected("rest")) {
      for (const pair of restPairs) {
        const restRuns: ScenarioResult[] = [];
        const trpcRuns: ScenarioResult[] = [];
        for (let round = 0; round < settings.rounds; round++) {
          trpcRuns.push(await load(`${pair.procedure} (against REST)`, pair.trpcKind, apiTarget, { token }, round === 0));
          restRuns.push(await load(pair.route, pair.restKind, apiTarget, { token }, round === 0));
        }
        rest.push({ ...pair, rest: combineRounds(restRuns), trpc: combineRounds(trpcRuns), ratio: medianRatio(restRuns, trpcRuns) });
      }
    }

    if (selected("fresh")) {
      log(`minting ${settings.poolSize} distinct tokens through @parts/client …`);
      const minted = await mintPool(issuer.url, clientId, clientSecret, settings.poolSize);
      pool = { size: minted.tokens.length, perSec: minted.perSec };
      log(`minted ${pool.size} tokens at ${pool.perSec.toFixed(0)}/s`);
      const poolFile = join(work, "tokens.txt");
      writeFileSync(poolFile, minted.tokens.join("\n"));
      // The full run's pool is larger than the verifier's cache; quick mode's small pool comes round again (a smoke test).
      apiResults["parts.byId, fresh token per request"] = await load("parts.byId, fresh token per request", "byId", apiTarget, { tokenPoolFile: poolFile });
    }

    if (engineName === "postgres" && selected("balanced")) {
      log("two API processes behind nginx against one …");
      const second = await startApi(loadCore, join(work, "server-2.log"));
      try {
        await waitForHttp(`${second.origin}/readyz`, second.child);
        const [first, other] = [apiTarget, { origin: second.origin, pids: [second.child.pid!] }];
        balanced = await measureBalanced({ one: first, two: [first, other], rounds: settings.rounds, balancerCore: loadCore, load: (name, target, warmUp) => load(name, "byId", target, { token }, warmUp) });
      } finally {
        await stop(second.child);
      }
    }

    if (selected("observability")) {
      log("observability: each setting against a process with everything off, parts.byId …");
      observability = await measureObservabilityCost(startApi, token);
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
    await engine.stop();
  }

  return {
    mode: only ? "only" : quick ? "quick" : "full",
    engine: { name: engine.name, description: engine.description, poolMax: engine.name === "postgres" ? Number(engine.apiEnv.DATABASE_POOL_MAX) : undefined },
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
    balanced,
    observability,
    rest: rest.map(({ route, procedure, rest, trpc, ratio }) => ({ route, procedure, rest, trpc, ratio })),
    failures,
  };
}

let exitCode = 0;
try {
  const report = main();
  const result = await report;
  const targets = evaluate(result);
  const markdown = markdownReport(result, targets);
  const file = join(resultsDir, `${result.mode}${engineName === "postgres" ? "-postgres" : ""}`);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${file}.json`, JSON.stringify({ ...result, targets }, null, 2) + "\n");
  writeFileSync(`${file}.md`, markdown);
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
