// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient declaration, and every package that type-checks this source must see it
/// <reference path="./prom-client-collectors.d.ts" />
import eventLoopLag from "prom-client/lib/metrics/eventLoopLag.js";
import heapSizeAndUsed from "prom-client/lib/metrics/heapSizeAndUsed.js";
import heapSpacesSizeAndUsed from "prom-client/lib/metrics/heapSpacesSizeAndUsed.js";
import osMemoryHeap from "prom-client/lib/metrics/osMemoryHeap.js";
import processCpuTotal from "prom-client/lib/metrics/processCpuTotal.js";
import processHandles from "prom-client/lib/metrics/processHandles.js";
import processMaxFileDescriptors from "prom-client/lib/metrics/processMaxFileDescriptors.js";
import processOpenFileDescriptors from "prom-client/lib/metrics/processOpenFileDescriptors.js";
import processRequests from "prom-client/lib/metrics/processRequests.js";
import processResources from "prom-client/lib/metrics/processResources.js";
import processStartTime from "prom-client/lib/metrics/processStartTime.js";
import version from "prom-client/lib/metrics/version.js";
import type { Registry } from "prom-client";
import { collectGcDurations } from "./gc-durations.ts";

/** prom-client's default collectors but its `gc`, in the order its `collectDefaultMetrics` calls them. */
const collectors = [
  processCpuTotal,
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  eventLoopLag,
  processResources,
  processHandles,
  processRequests,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  version,
];

/**
 * prom-client's default metrics, the same names, types and labels, with one collector replaced:
 * `nodejs_gc_duration_seconds` comes from `collectGcDurations` (V8's GCProfiler), not from a `gc`
 * PerformanceObserver. On Node 20 that observer made every scavenge several times slower (bench/README.md,
 * "What observability costs"). prom-client offers no way to leave one collector out, so the others are called
 * one by one from its `lib/metrics/` modules. Fenced here, guarded by `default-metrics.test.ts`: the metric
 * set must equal what `collectDefaultMetrics` registers (docs/decisions/0005-gc-metric.md).
 */
export function collectDefaultMetrics(registry: Registry, prefix: string, eventLoopMonitoringPrecision: number): void {
  for (const collect of collectors) collect(registry, { prefix, eventLoopMonitoringPrecision });
  collectGcDurations(registry, prefix);
}
