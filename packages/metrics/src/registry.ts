import { collectDefaultMetrics, Registry } from "prom-client";

export interface MetricsRegistryOptions {
  /** Prepended to the default process metrics' names (`parts_server_` gives `parts_server_process_cpu_seconds_total`). */
  prefix?: string;
}

/**
 * A registry of this process's own, never prom-client's global one: several servers in one process (tests, the
 * launcher) each get their own counters, and a second registration of a name throws instead of merging silently.
 * Holds prom-client's default metrics (CPU, memory, handles, GC, event-loop lag and its percentiles).
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  // 10 ms sampling of the event-loop delay histogram: prom-client's default, cheap (one libuv timer).
  collectDefaultMetrics({ register: registry, prefix: options.prefix ?? "", eventLoopMonitoringPrecision: 10 });
  return registry;
}
