import { Registry } from "prom-client";
import { collectDefaultMetrics } from "./default-metrics.ts";

export interface MetricsRegistryOptions {
  /** Prepended to the default process metrics' names (`parts_server_` gives `parts_server_process_cpu_seconds_total`). */
  prefix?: string;
}

/**
 * A registry of this process's own, never prom-client's global one: several servers in one process (tests, the
 * launcher) each get their own counters, and a second registration of a name throws instead of merging silently.
 * Holds prom-client's default metrics (CPU, memory, handles, GC, event-loop lag and its percentiles; GC durations
 * from a cheaper source, `default-metrics.ts`).
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  // 10 ms sampling of the event-loop delay histogram: prom-client's default, cheap (one libuv timer).
  collectDefaultMetrics(registry, options.prefix ?? "", 10);
  return registry;
}
