import { afterEach, describe, expect, it } from "vitest";
import { createLoadShedder, type LoadShedder } from "./load-shedder.ts";

let shedder: LoadShedder | undefined;
afterEach(() => shedder?.stop());

const blockFor = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("load shedder", () => {
  it("is not overloaded while the event loop turns freely", async () => {
    // A threshold far above what a loaded CI machine adds by not scheduling this process for a while.
    shedder = createLoadShedder({ maxEventLoopDelayMs: 1500, maxHeapUsedBytes: Number.MAX_SAFE_INTEGER, sampleIntervalMs: 60_000 });
    // A window in which the machine did not run this process at all may read as overloaded; allow a few.
    for (let window = 0; window < 5 && (window === 0 || shedder.overloaded); window++) {
      await tick(100);
      shedder.sample();
    }
    expect(shedder.overloaded).toBe(false);
    expect(shedder.state().eventLoopDelayMs).toBeLessThan(1500);
  });

  it("sheds after the event loop was blocked longer than the threshold, and recovers in the next window", async () => {
    // Thresholds well above what a busy shared machine adds by not scheduling this process for a while.
    shedder = createLoadShedder({ maxEventLoopDelayMs: 300, maxHeapUsedBytes: Number.MAX_SAFE_INTEGER, sampleIntervalMs: 60_000 });
    // The reading is the mean of the window's 10 ms samples, the block one of them: a 1 s block among the two to
    // four ordinary samples of the ticks around it read 200-330 ms, either side of the threshold.
    // 3 s stays above it with up to eight ordinary samples.
    await tick(30);
    blockFor(3000);
    await tick(20);
    shedder.sample();
    expect(shedder.overloaded).toBe(true);
    expect(shedder.state().eventLoopDelayMs).toBeGreaterThan(300);
    // The next window that was not starved recovers; on a loaded machine the first may be, so allow a few.
    for (let window = 0; window < 10 && shedder.overloaded; window++) {
      await tick(150);
      shedder.sample();
    }
    expect(shedder.overloaded).toBe(false);
  });

  it("sheds while the heap in use is over its limit", () => {
    shedder = createLoadShedder({ maxEventLoopDelayMs: 10_000, maxHeapUsedBytes: 1024, sampleIntervalMs: 60_000 });
    shedder.sample();
    expect(shedder.overloaded).toBe(true);
    expect(shedder.state().heapUsedBytes).toBeGreaterThan(1024);
  });

  it("asks refused callers to wait at least a second", () => {
    shedder = createLoadShedder({ maxEventLoopDelayMs: 100, maxHeapUsedBytes: 1, sampleIntervalMs: 250 });
    expect(shedder.retryAfterSeconds).toBe(1);
  });
});
