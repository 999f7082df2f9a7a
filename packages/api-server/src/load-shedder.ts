import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";

export interface LoadShedderOptions {
  /** Mean event-loop delay over one sample window above which new requests are refused. */
  maxEventLoopDelayMs: number;
  /** V8 heap in use above which new requests are refused. */
  maxHeapUsedBytes: number;
  /** How often the load is sampled; also how long an overload verdict stands. */
  sampleIntervalMs?: number;
}

export interface LoadState {
  overloaded: boolean;
  eventLoopDelayMs: number;
  heapUsedBytes: number;
}

/** Shed when the heap passes this share of V8's limit: past the limit the process dies, taking every request. */
export const defaultHeapShare = 0.8;
export const defaultMaxHeapUsedBytes = () => Math.floor(getHeapStatistics().heap_size_limit * defaultHeapShare);

/**
 * Decides whether the process is too busy to take more work. A server that keeps accepting while its event loop
 * lags or its heap fills only queues requests until every caller times out or the process dies; refusing new
 * ones with 503 + Retry-After lets it finish what it holds. The load is sampled on a timer (the histogram and
 * heap statistics are too costly per request), so the verdict lags by at most one interval.
 */
export function createLoadShedder(options: LoadShedderOptions) {
  const interval = options.sampleIntervalMs ?? 500;
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let state: LoadState = { overloaded: false, eventLoopDelayMs: 0, heapUsedBytes: 0 };

  function sample(): void {
    // The histogram's own timer resolution is part of every reading; only the excess is delay.
    const eventLoopDelayMs = histogram.count > 0 ? Math.max(0, histogram.mean / 1e6 - 10) : 0;
    histogram.reset();
    const heapUsedBytes = getHeapStatistics().used_heap_size;
    state = {
      overloaded: eventLoopDelayMs > options.maxEventLoopDelayMs || heapUsedBytes > options.maxHeapUsedBytes,
      eventLoopDelayMs,
      heapUsedBytes,
    };
  }
  const timer = setInterval(sample, interval);
  timer.unref();

  return {
    /** Seconds a refused caller should wait: one sample window, at least one second. */
    retryAfterSeconds: Math.max(1, Math.ceil(interval / 1000)),
    get overloaded(): boolean {
      return state.overloaded;
    },
    state: (): LoadState => state,
    /** Takes a sample now (tests, and a probe that wants a fresh reading). */
    sample,
    stop(): void {
      clearInterval(timer);
      histogram.disable();
    },
  };
}

export type LoadShedder = ReturnType<typeof createLoadShedder>;
