/**
 * Two API processes behind nginx against one behind the same kind of balancer (PostgreSQL mode: both
 * processes share the database). nginx (@parts/test-nginx, one worker) runs on the balancer core; the first API
 * process stays on the server core, the second goes to the other core. On two cores that core also carries the
 * load generator and PostgreSQL, so the machine is oversubscribed and the aggregate is a lower bound.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { startNginx, type TestNginx } from "@parts/test-nginx";
import { pinProcessTree } from "./processes.ts";
import type { ScenarioResult } from "./report.ts";
import { combineRounds, medianRatio } from "./rounds.ts";
import type { ServerTarget } from "./scenarios.ts";

export interface BalancedResult {
  one: ScenarioResult;
  two: ScenarioResult;
  /** Two processes / one: the median of the rounds' ratios. */
  ratio: number;
}

export interface BalancedOptions {
  one: ServerTarget;
  two: [ServerTarget, ServerTarget];
  rounds: number;
  balancerCore: number;
  /** Runs parts.byId against a target (the harness's load, with its warm-up and CPU and RSS accounting). */
  load(name: string, target: ServerTarget, warmUp: boolean): Promise<ScenarioResult>;
}

async function balancer(targets: ServerTarget[], core: number): Promise<TestNginx> {
  const nginx = await startNginx({ upstreams: targets.map((target) => new URL(target.origin).host) });
  pinProcessTree(Number(readFileSync(join(dirname(nginx.configFile), "nginx.pid"), "utf8")), core);
  return nginx;
}

export async function measureBalanced(options: BalancedOptions): Promise<BalancedResult> {
  const one = await balancer([options.one], options.balancerCore);
  const two = await balancer(options.two, options.balancerCore);
  try {
    const oneBalanced = { origin: one.url, pids: options.one.pids };
    const twoBalanced = { origin: two.url, pids: options.two.flatMap((target) => target.pids) };
    const oneRuns: ScenarioResult[] = [];
    const twoRuns: ScenarioResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      oneRuns.push(await options.load("nginx → 1 API process, parts.byId", oneBalanced, round === 0));
      twoRuns.push(await options.load("nginx → 2 API processes, parts.byId", twoBalanced, round === 0));
    }
    return { one: combineRounds(oneRuns), two: combineRounds(twoRuns), ratio: medianRatio(twoRuns, oneRuns) };
  } finally {
    await one.stop();
    await two.stop();
  }
}
