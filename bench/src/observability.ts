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
  /** Runs parts.byId against a target (the harness's load, with its warm-up and CPU and RSS accounting). */
  load(name: string, target: ServerTarget, warmUp: boolean): Promise<ScenarioResult>;
}

/**
 * Every round starts a fresh baseline process and a fresh variant process, warms both and measures both. Two
 * processes of the same bundle and settings differ by a few per cent in CPU per request, one start to the next
 * (code layout, JIT decisions): with one process per side that difference would sit in every round of a
 * setting's figure; with a pair per round, the median of the rounds' ratios averages it out.
 */
export async function measureObservability(options: ObservabilityOptions, variants = observabilityVariants): Promise<ObservabilityResult[]> {
  const results: ObservabilityResult[] = [];
  for (const variant of variants) {
    const variantRuns: ScenarioResult[] = [];
    const baselineRuns: ScenarioResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const baseline = await options.start({});
      try {
        const server = await options.start(variant.env(await options.ports()));
        try {
          baselineRuns.push(await options.load(`parts.byId, everything off (against: ${variant.name})`, baseline.target, true));
          variantRuns.push(await options.load(`parts.byId, ${variant.name}`, server.target, true));
        } finally {
          await server.stop();
        }
      } finally {
        await baseline.stop();
      }
    }
    results.push({ name: variant.name, variant: combineRounds(variantRuns), baseline: combineRounds(baselineRuns), ratio: medianRatio(variantRuns, baselineRuns), budget: variant.budget });
  }
  return results;
}
