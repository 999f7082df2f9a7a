/** Scenarios measured in alternating rounds: one result per side, and the ratio of the sides. */
import type { ScenarioResult } from "./report.ts";

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** One result for a scenario's rounds: the median round's figures, all errors, the highest RSS. */
export function combineRounds(runs: ScenarioResult[]): ScenarioResult {
  const middle = runs.find((run) => run.requestsPerSec === median(runs.map((r) => r.requestsPerSec)))!;
  return {
    ...middle,
    total: runs.reduce((sum, run) => sum + run.total, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    serverRssPeakMb: Math.max(...runs.map((run) => run.serverRssPeakMb)),
    serverRssPeaksMb: middle.serverRssPeaksMb.map((_, i) => Math.max(...runs.map((run) => run.serverRssPeaksMb[i] ?? 0))),
    roundsRequestsPerSec: runs.map((run) => Math.round(run.requestsPerSec)),
  };
}

/** The median of the rounds' ratios `a / b`: a neighbour's burst of load on one side of one round does not decide it. */
export const medianRatio = (a: ScenarioResult[], b: ScenarioResult[]) => median(a.map((run, i) => run.requestsPerSec / b[i]!.requestsPerSec));
