import type { Registry } from "prom-client";

/*
 * Counters and histograms for the request path. prom-client's own children (`counter.labels(...)`) build a hash
 * string of the label values on every `inc`/`observe`; these keep one plain record per combination of label
 * values, found through nested maps (no allocation once a combination has been seen), and turn them into
 * prom-client's metric shape only when the registry is scraped. Label values must come from bounded sets.
 */

type LabelValues = readonly [string, string?, string?];

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface FastMetricOptions {
  name: string;
  help: string;
  /** One to three label names, in the order `childFor` takes their values. */
  labelNames: readonly [string, string?, string?];
}

/** Nested maps from up to three label values to a child made once. */
function childCache<T>(make: (values: LabelValues) => T) {
  const root = new Map<string, Map<string, Map<string, T>>>();
  const all: { values: LabelValues; child: T }[] = [];
  return {
    all,
    childFor(a: string, b = "", c = ""): T {
      let byB = root.get(a);
      if (byB === undefined) root.set(a, (byB = new Map()));
      let byC = byB.get(b);
      if (byC === undefined) byB.set(b, (byC = new Map()));
      let child = byC.get(c);
      if (child === undefined) {
        child = make([a, b, c]);
        byC.set(c, child);
        all.push({ values: [a, b, c], child });
      }
      return child;
    },
  };
}

function labelsOf(names: FastMetricOptions["labelNames"], values: LabelValues): Record<string, string> {
  const labels: Record<string, string> = {};
  names.forEach((name, index) => {
    if (name !== undefined) labels[name] = values[index] ?? "";
  });
  return labels;
}

export interface CounterChild {
  inc(by?: number): void;
}

/** A counter whose children are resolved once per label combination: `childFor("parts.byId", "GET", "200").inc()`. */
export function fastCounter(registry: Registry, options: FastMetricOptions) {
  const cache = childCache<CounterChild & { value: number }>(() => ({
    value: 0,
    inc(by = 1) {
      this.value += by;
    },
  }));
  registry.registerMetric({
    name: options.name,
    help: options.help,
    type: "counter",
    get: () => ({
      name: options.name,
      help: options.help,
      type: "counter",
      aggregator: "sum",
      values: cache.all.map(({ values, child }): MetricValue => ({ labels: labelsOf(options.labelNames, values), value: child.value })),
    }),
  } as unknown as Parameters<Registry["registerMetric"]>[0]);
  return cache.childFor as (a: string, b?: string, c?: string) => CounterChild;
}

export interface HistogramChild {
  /** Seconds (or whatever unit the buckets are in). */
  observe(value: number): void;
}

/** A histogram whose children are resolved once per label combination; buckets are upper bounds, ascending. */
export function fastHistogram(registry: Registry, options: FastMetricOptions & { buckets: readonly number[] }) {
  const bounds = options.buckets;
  const cache = childCache(() => {
    const counts = new Float64Array(bounds.length + 1);
    return {
      counts,
      sum: 0,
      count: 0,
      observe(value: number) {
        let bucket = 0;
        while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
        counts[bucket]!++;
        this.sum += value;
        this.count++;
      },
    };
  });
  const valuesOf = (values: LabelValues, child: ReturnType<typeof cache.childFor>): MetricValue[] => {
    const labels = labelsOf(options.labelNames, values);
    let cumulative = 0;
    const buckets = [...bounds, "+Inf" as const].map((le, index): MetricValue => {
      cumulative += child.counts[index]!;
      return { labels: { ...labels, le }, value: cumulative, metricName: `${options.name}_bucket` };
    });
    return [...buckets, { labels, value: child.sum, metricName: `${options.name}_sum` }, { labels, value: child.count, metricName: `${options.name}_count` }];
  };
  registry.registerMetric({
    name: options.name,
    help: options.help,
    type: "histogram",
    get: () => ({
      name: options.name,
      help: options.help,
      type: "histogram",
      aggregator: "sum",
      values: cache.all.flatMap(({ values, child }) => valuesOf(values, child)),
    }),
  } as unknown as Parameters<Registry["registerMetric"]>[0]);
  return cache.childFor as (a: string, b?: string, c?: string) => HistogramChild;
}
