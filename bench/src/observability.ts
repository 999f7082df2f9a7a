/**
 * What operators pay for seeing the server (issue 14): the same production bundle started with one observability
 * setting changed at a time, each against a baseline process with everything off (`LOG_LEVEL=warn`, no metrics
 * listener, no tracing, no rate limits), `parts.byId` on the server core, a fresh pair of processes per round.
 * Two processes at a time, so each pair sees the same machine. The "nothing changed" variant is the baseline's
 * own settings: its ratio is the noise floor of the comparison.
 */
import type { ScenarioResult } from "./report.ts";
import { combineRounds, medianRatio } from "./rounds.ts";
import type { ServerTarget } from "./scenarios.ts";

export interface ObservabilityVariant {
  name: string;
  /** What this variant changes from the baseline's environment. */
  env: (ports: { metrics: number; otlp: number }) => Record<string, string>;
  /** The most throughput this setting may cost (issue 14), as a share of the baseline. */
  budget?: number;
}

/** Everything off: the server as `pnpm bench` measures it, less its access log. */
export const baselineEnv = { LOG_LEVEL: "warn" } as const;

export const observabilityVariants: ObservabilityVariant[] = [
  { name: "nothing changed (a second baseline process: the noise)", env: () => ({}) },
  { name: "rate limits on, never reached", env: () => ({ RATE_LIMIT_READ: "100000000/minute", RATE_LIMIT_WRITE: "100000000/minute", RATE_LIMIT_UNAUTHENTICATED: "100000000/minute" }) },
  { name: "metrics on (METRICS_PORT)", env: ({ metrics }) => ({ METRICS_PORT: String(metrics) }), budget: 0.05 },
  {
    name: "tracing configured, unsampled",
    // An exporter that would send to a listening port, and a sampler that samples nothing: the cost of spans that are not recorded.
    env: ({ otlp }) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp}`, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" }),
    budget: 0.05,
  },
  { name: "access log (LOG_LEVEL=info)", env: () => ({ LOG_LEVEL: "info" }) },
  { name: "access log + metrics (info, METRICS_PORT)", env: ({ metrics }) => ({ LOG_LEVEL: "info", METRICS_PORT: String(metrics) }), budget: 0.1 },
];

export interface ObservabilityResult {
  name: string;
  variant: ScenarioResult;
  baseline: ScenarioResult;
  /** Variant / baseline req/s: the median of the rounds' ratios. */
  ratio: number;
  budget?: number;
}

export interface ObservabilityOptions {
  rounds: number;
  /**
   * Starts the server on the server core with the baseline's environment plus `env` (`{}`: the baseline itself);
   * `stop` ends it.
   */
  start(env: Record<string, string>): Promise<{ target: ServerTarget; stop(): Promise<void> }>;
  ports(): Promise<{ metrics: number; otlp: number }>;
  /** Loads a target with parts.byId, unmeasured, until its JIT and caches have settled. */
  warm(target: ServerTarget): Promise<void>;
  /** Runs parts.byId against a target for one window (the harness's load, with its CPU and RSS accounting). */
  load(name: string, target: ServerTarget): Promise<ScenarioResult>;
}

/** One side of a round: its windows as one result, its rates (requests, CPU) over their total time. */
function joinWindows(windows: ScenarioResult[]): ScenarioResult {
  const seconds = windows.reduce((sum, run) => sum + run.durationSec, 0);
  const overTime = (rate: (run: ScenarioResult) => number) => windows.reduce((sum, run) => sum + rate(run) * run.durationSec, 0) / seconds;
  return {
    ...combineRounds(windows),
    durationSec: seconds,
    requestsPerSec: overTime((run) => run.requestsPerSec),
    cpu: { generator: overTime((run) => run.cpu.generator), server: overTime((run) => run.cpu.server), database: windows[0]!.cpu.database === undefined ? undefined : overTime((run) => run.cpu.database!) },
    waiting: { generator: overTime((run) => run.waiting.generator), server: overTime((run) => run.waiting.server) },
  };
}

/**
 * Every round starts a fresh baseline process and a fresh variant process, warms both, then measures them in
 * four windows, baseline-variant-variant-baseline. A fresh pair per round, because two processes of the same
 * bundle and settings differ by a few per cent in CPU per request, one start to the next (code layout, JIT
 * decisions): with one process per side that difference would sit in every round of a setting's figure. Four
 * windows in that order, because whichever process ran second in a round measured slower (the noise row, one
 * baseline against another, read −4.2% to −0.3% when the baseline always ran first), and because the machine's
 * speed drifts within a round: the mirrored order puts both on the two sides alike.
 */
export async function measureObservability(options: ObservabilityOptions, variants = observabilityVariants): Promise<ObservabilityResult[]> {
  const results: ObservabilityResult[] = [];
  for (const variant of variants) {
    const variantRounds: ScenarioResult[] = [];
    const baselineRounds: ScenarioResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const baseline = await options.start({});
      try {
        const server = await options.start(variant.env(await options.ports()));
        try {
          await options.warm(baseline.target);
          await options.warm(server.target);
          const baselineName = `parts.byId, everything off (against: ${variant.name})`;
          const variantName = `parts.byId, ${variant.name}`;
          const first = await options.load(baselineName, baseline.target);
          const variantWindows = [await options.load(variantName, server.target), await options.load(variantName, server.target)];
          baselineRounds.push(joinWindows([first, await options.load(baselineName, baseline.target)]));
          variantRounds.push(joinWindows(variantWindows));
        } finally {
          await server.stop();
        }
      } finally {
        await baseline.stop();
      }
    }
    results.push({ name: variant.name, variant: combineRounds(variantRounds), baseline: combineRounds(baselineRounds), ratio: medianRatio(variantRounds, baselineRounds), budget: variant.budget });
  }
  return results;
}
