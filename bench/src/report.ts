/** Targets of issue 6 and the Markdown report. */
import type { LoadSummary } from "./load-worker.ts";
import type { ClientResult, VerifyResult } from "./micro.ts";
import type { SearchBenchResult } from "./search.ts";

export interface ScenarioResult extends LoadSummary {
  serverRssPeakMb: number;
  serverRssEndMb: number;
  /** req/s of each round, when a scenario ran in alternating rounds. */
  roundsRequestsPerSec?: number[];
}

export interface RunReport {
  mode: "quick" | "full" | "only";
  date: string;
  /** 1/5/15-minute load averages: how busy the shared machine was. */
  loadAverage: { start: number[]; end: number[] };
  machine: { cpus: number; cpuModel: string; node: string; pinned: boolean; connections: number };
  settings: Record<string, number>;
  issuerAlg: string;
  tokenPool: { size: number; perSec: number };
  serverLogBytes: number;
  floor: Record<string, ScenarioResult>;
  server: Record<string, ScenarioResult>;
  /** Server / floor req/s: the median of the per-round ratios. */
  ratios: Record<string, number>;
  verify: VerifyResult[];
  client: ClientResult | undefined;
  search: SearchBenchResult | undefined;
  failures: string[];
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

const fresh = "parts.byId, fresh token per request";
const ratio = (report: RunReport, name: string) => report.ratios[name] ?? 0;
const x = (value: number) => `${value.toFixed(2)}x`;

export function evaluate(report: RunReport): Target[] {
  const byId = report.server["parts.byId"];
  const jose = report.verify.find((v) => v.alg === report.issuerAlg)?.joseJwtVerify ?? Infinity;
  const rssPeak = Math.max(0, ...Object.values(report.server).map((s) => s.serverRssPeakMb));
  const client = report.client;
  return [
    { target: "parts.byId (reused token) ≥ 0.6x floor", measured: x(ratio(report, "parts.byId")), met: ratio(report, "parts.byId") >= 0.6 },
    { target: "parts.byId p99 < 10 ms at 50 connections", measured: `${byId?.p99Ms ?? "?"} ms`, met: (byId?.p99Ms ?? Infinity) < 10 },
    { target: "parts.list(100) ≥ 0.6x floor", measured: x(ratio(report, "parts.list(100)")), met: ratio(report, "parts.list(100)") >= 0.6 },
    { target: "parts.create ≥ 0.8x floor (synchronous=FULL both)", measured: x(ratio(report, "parts.create")), met: ratio(report, "parts.create") >= 0.8 },
    {
      target: `fresh token per request ≥ 0.8x raw jose jwtVerify loop (${report.issuerAlg}, one core)`,
      measured: `${(report.server[fresh]?.requestsPerSec ?? 0).toFixed(0)} / ${jose.toFixed(0)} = ${x((report.server[fresh]?.requestsPerSec ?? 0) / jose)}`,
      met: (report.server[fresh]?.requestsPerSec ?? 0) >= 0.8 * jose,
    },
    { target: "server RSS < 120 MB (peak under load)", measured: `${rssPeak.toFixed(0)} MB`, met: rssPeak > 0 && rssPeak < 120 },
    {
      target: "client: 1 token request per token lifetime",
      measured: client ? `${client.tokenRequests} token requests in ${client.calls} calls (${client.tokenRequestsPer1000Calls.toFixed(2)} per 1,000)` : "not run",
      met: client !== undefined && client.tokenRequests === 1,
    },
    {
      target: "client: per-call overhead within 10% of raw fetch",
      measured: client ? `${(client.overhead * 100).toFixed(1)}% (${client.typedMeanUs.toFixed(0)} vs ${client.rawMeanUs.toFixed(0)} µs)` : "not run",
      met: client !== undefined && client.overhead <= 0.1,
    },
  ];
}

const n0 = (v: number | undefined) => (v === undefined ? "–" : v.toFixed(0));
const ms = (v: number | undefined) => (v === undefined ? "–" : String(v));

export function markdownReport(report: RunReport, targets: Target[]): string {
  const lines: string[] = [];
  lines.push(`## parts-rpc benchmark (${report.mode}, ${report.date})`, "");
  lines.push(
    `${report.machine.cpus} cores (${report.machine.cpuModel}), Node ${report.machine.node}, ${report.machine.connections} connections, ` +
      `server on core 0 and load generator on core 1 (${report.machine.pinned ? "taskset" : "NOT pinned"}), ` +
      `${report.settings.rounds} round(s) of ${report.settings.duration} s per scenario and side, floor and server alternating; req/s, p50 and p99 are the median round's, ` +
      `the ratio is the median of the rounds' ratios; load average ${report.loadAverage.start.map((v) => v.toFixed(1)).join("/")} at start, ${report.loadAverage.end.map((v) => v.toFixed(1)).join("/")} at end${report.mode === "quick" ? " — quick mode: smoke test, figures are not meaningful" : ""}.`,
    "",
  );
  lines.push("| Scenario | req/s | floor req/s | ratio | rounds, server / floor req/s | p50 ms | p99 ms | floor p99 ms | errors | server RSS peak MB |");
  lines.push("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, s] of Object.entries(report.server)) {
    const f = report.floor[name === fresh ? "parts.byId" : name];
    const rounds = s.roundsRequestsPerSec && f?.roundsRequestsPerSec ? s.roundsRequestsPerSec.map((v, i) => `${v}/${f.roundsRequestsPerSec![i]}`).join(", ") : "–";
    const shown = name === fresh ? "– (vs jose, below)" : x(ratio(report, name));
    lines.push(
      `| ${name} | ${n0(s.requestsPerSec)} | ${n0(f?.requestsPerSec)} | ${shown} | ${rounds} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${ms(f?.p99Ms)} | ${s.errors} | ${n0(s.serverRssPeakMb)} |`,
    );
  }
  const floorRss = Math.max(0, ...Object.values(report.floor).map((s) => s.serverRssPeakMb));
  lines.push("", `Floor server RSS peak: ${n0(floorRss)} MB. Fresh-token pool: ${report.tokenPool.size} distinct tokens from the real issuer (${n0(report.tokenPool.perSec)}/s to mint through @parts/client); ${report.mode === "quick" ? "the fresh-token scenario sends each token once" : "the fresh-token scenario (warm-up, then a timed run) cycles through them; the pool is larger than the verifier's 1,000-token cache"}, so every request pays a full verification.`, "");
  lines.push("### Token verification, one core (ops/s)", "");
  lines.push("| alg | jose jwtVerify | verifier, no cache | verifier, cached token | node:crypto signature only |");
  lines.push("| --- | ---: | ---: | ---: | ---: |");
  for (const v of report.verify) {
    lines.push(`| ${v.alg} | ${n0(v.joseJwtVerify)} | ${n0(v.verifierNoCache)} | ${n0(v.verifierCachedToken)} | ${n0(v.nodeCryptoSignatureOnly)} |`);
  }
  if (report.client) {
    const c = report.client;
    lines.push("", "### Client library (one call in flight, parts.byId)", "");
    lines.push("| typed client calls/s | raw fetch calls/s | typed µs/call | raw µs/call | overhead | token requests per 1,000 calls |");
    lines.push("| ---: | ---: | ---: | ---: | ---: | ---: |");
    lines.push(`| ${n0(c.typedCallsPerSec)} | ${n0(c.rawFetchCallsPerSec)} | ${n0(c.typedMeanUs)} | ${n0(c.rawMeanUs)} | ${(c.overhead * 100).toFixed(1)}% | ${c.tokenRequestsPer1000Calls.toFixed(2)} |`);
  }
  if (report.search) lines.push("", ...searchReport(report.search));
  lines.push("", "### Targets", "", "| target | measured | met |", "| --- | --- | :---: |");
  for (const t of targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met ? "yes" : "**no**"} |`);
  if (report.failures.length > 0) lines.push("", "### Failures", "", ...report.failures.map((f) => `- ${f}`));
  return lines.join("\n") + "\n";
}

/** Milliseconds with 3 significant digits: search times run from ~0.03 ms to tens of ms. */
const msPrecise = (v: number) => (v >= 10 ? v.toFixed(1) : v.toPrecision(2));

function searchReport(search: SearchBenchResult): string[] {
  const lines = [
    `### Search, ${search.rows.toLocaleString("en")} parts: FTS5 trigram index vs the old LIKE scan (one core, in process)`,
    "",
    `Median time per \`parts.list\` query (first page of ${search.scenarios[0]?.pageSize ?? 20}) over ${search.iterations} alternating iterations; ` +
      `"old" is the query the repository ran before the index. Catalogue inserted in ${search.seedSeconds.toFixed(1)} s; ` +
      `database ${search.databaseMb.toFixed(0)} MB, of which the index ${search.indexMb === null ? "?" : search.indexMb.toFixed(0)} MB.`,
    "",
    "| scenario | q | matching rows | old ms | new ms | old / new | same page |",
    "| --- | --- | ---: | ---: | ---: | ---: | :---: |",
  ];
  for (const s of search.scenarios) {
    const q = s.q.length > 24 ? `${s.q.slice(0, 21)}… (${[...s.q].length} chars)` : s.q;
    const filter = s.modelNumber === undefined ? "" : `, modelNumber ${s.modelNumber}`;
    lines.push(
      `| ${s.name} | \`${q.replaceAll("|", "\\|")}\`${filter} | ${s.matches} | ${msPrecise(s.oldMs)} | ${msPrecise(s.newMs)} | ${x(s.speedup)} | ${s.samePage ? "yes" : "**no**"} |`,
    );
  }
  return lines;
}
