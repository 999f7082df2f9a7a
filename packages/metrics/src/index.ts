export { createMetricsRegistry, type MetricsRegistryOptions } from "./registry.ts";
export { listenAt, metricsPath, startMetricsListener, type MetricsListener } from "./metrics-listener.ts";
export { fastCounter, fastHistogram, type CounterChild, type HistogramChild } from "./fast-metrics.ts";
export { Counter, Gauge, Histogram, type Registry } from "prom-client";
