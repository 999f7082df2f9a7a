import { Readable } from "node:stream";
import { getMetricsFromStream, type PromMetric, type PromMetrics } from "prom2javascript";

export type { PromMetric, PromMetrics };

/** A sample line whose value is NaN, in any case: prom-client writes `Nan` (Prometheus's Go parser takes it). */
const nanSample = /^[^#].* nan$/i;

/**
 * Test support: a scrape parsed by a Prometheus text-format parser (not this project's code), families by name.
 * prom2javascript cannot read NaN values, so NaN samples (the event-loop-lag gauges before their first sample)
 * are left out; their families stay, from the `# TYPE` lines.
 */
export async function parseScrape(text: string): Promise<PromMetrics> {
  const lines = text.split("\n").filter((line) => !nanSample.test(line));
  return getMetricsFromStream(Readable.from([lines.join("\n")]));
}

/**
 * The sum over the samples of `name` whose labels include `labels`: a counter's or gauge's values, a histogram's
 * observation counts. 0 when the family is absent or no sample matches.
 */
export function sampleTotal(metrics: PromMetrics, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const sample of metrics[name]?.data ?? []) {
    if (Object.entries(labels).some(([key, value]) => sample.labels[key] !== value)) continue;
    total += "value" in sample ? sample.value : (sample.count ?? 0);
  }
  return total;
}

/** GET `<url>/metrics` and parse it. */
export async function scrape(url: string): Promise<PromMetrics> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`scrape of ${url} answered ${response.status}`);
  return parseScrape(await response.text());
}
