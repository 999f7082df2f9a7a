import { GCProfiler } from "node:v8";
import { Histogram, type Registry } from "prom-client";

/** The `kind` label prom-client's own collector gives each kind of collection (GCProfiler names them by phase). */
const kindOf: Readonly<Record<string, string>> = {
  Scavenge: "minor",
  MinorMarkSweep: "minor",
  MinorMarkCompact: "minor",
  MarkSweepCompact: "major",
  IncrementalMarking: "incremental",
  ProcessWeakCallbacks: "weakcb",
};

/** prom-client's buckets for this metric, in seconds. */
const buckets = [0.001, 0.01, 0.1, 1, 2, 5];

/**
 * `nodejs_gc_duration_seconds` as prom-client defines it (same name, help, `kind` label and buckets), fed by a
 * V8 GCProfiler that records in C++ and is read every `everyMs` and at each scrape; a read takes its
 * collections and starts a new window, so what it holds between reads stays small.
 */
export function collectGcDurations(registry: Registry, prefix: string, everyMs = 1000): void {
  const profiler = new GCProfiler();
  profiler.start();
  const drain = (histogram: Histogram) => {
    const { statistics } = profiler.stop();
    profiler.start();
    for (const collection of statistics) histogram.observe({ kind: kindOf[collection.gcType] ?? "other" }, collection.cost / 1e6);
  };
  const histogram = new Histogram({
    name: `${prefix}nodejs_gc_duration_seconds`,
    help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
    labelNames: ["kind"],
    buckets,
    registers: [registry],
    collect() {
      drain(this);
    },
  });
  setInterval(drain, everyMs, histogram).unref();
}
