/**
 * Runs one autocannon scenario and prints its summary as JSON. Started by the harness as
 * `taskset -c <core> node --import tsx load-worker.ts '<LoadSpec JSON>'` so the load generator never shares
 * the server's core.
 */
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { requestFor, type LoadSpec } from "./scenarios.ts";

export interface LoadSummary {
  name: string;
  requestsPerSec: number;
  total: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors + timeouts + non-2xx answers. */
  errors: number;
  non2xx: number;
  durationSec: number;
  bytesPerSec: number;
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const pool = spec.tokenPoolFile ? readFileSync(spec.tokenPoolFile, "utf8").split("\n").filter(Boolean) : [];
let next = spec.tokenOffset ?? 0;
const nextToken = () => (pool.length > 0 ? pool[next++ % pool.length] : spec.token);

const result = await autocannon({
  url: spec.origin,
  connections: spec.connections,
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.duration }),
  timeout: 10,
  requests: [requestFor(spec, nextToken)],
});

const summary: LoadSummary = {
  name: spec.name,
  requestsPerSec: result.requests.total / result.duration,
  total: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  errors: result.errors + result.timeouts + result.non2xx,
  non2xx: result.non2xx,
  durationSec: result.duration,
  bytesPerSec: result.throughput.average,
};
process.stdout.write(JSON.stringify(summary));
