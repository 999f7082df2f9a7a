import { afterEach, describe, expect, it, vi } from "vitest";
import { batchedDestination, type BatchTarget } from "./batched-destination.ts";

function target() {
  const writes: string[] = [];
  let flushes = 0;
  const sink: BatchTarget = {
    write: (text) => writes.push(text),
    flushSync: () => flushes++,
  };
  return { sink, writes, flushes: () => flushes };
}

describe("batchedDestination", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands lines over joined, in order, once the batch reaches its length", () => {
    const { sink, writes } = target();
    const destination = batchedDestination(sink, 10, 1000);
    destination.write("abcd\n");
    destination.write("efg\n");
    expect(writes).toEqual([]);
    destination.write("hi\n");
    expect(writes).toEqual(["abcd\nefg\nhi\n"]);
    destination.write("j\n");
    expect(writes).toEqual(["abcd\nefg\nhi\n"]);
    destination.stop();
  });

  it("hands a line longer than the batch over at once, alone", () => {
    const { sink, writes } = target();
    const destination = batchedDestination(sink, 10, 1000);
    destination.write("x".repeat(50));
    expect(writes).toEqual(["x".repeat(50)]);
    destination.stop();
  });

  it("hands over what it holds every interval, and nothing when it holds nothing", () => {
    vi.useFakeTimers();
    const { sink, writes } = target();
    const destination = batchedDestination(sink, 8192, 250);
    destination.write("quiet\n");
    vi.advanceTimersByTime(249);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual(["quiet\n"]);
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual(["quiet\n"]);
    destination.stop();
  });

  it("builds deferred lines only at hand-over, in their place among written ones, counting their estimated length", () => {
    const { sink, writes } = target();
    const destination = batchedDestination(sink, 30, 1000);
    let built = 0;
    // A deferred line in two pieces: the batch is its pieces joined, in place.
    const later = (text: string, estimatedLength: number) => ({
      estimatedLength,
      renderInto: (parts: string[]) => (built++, parts.push(text.slice(0, 1), text.slice(1))),
    });
    destination.write("a\n");
    destination.writeLater(later("b\n", 10));
    destination.write("c\n");
    expect(built).toBe(0);
    destination.writeLater(later("d\n", 20));
    expect(writes).toEqual(["a\nb\nc\nd\n"]);
    expect(built).toBe(2);
    destination.writeLater(later("e\n", 5));
    destination.flushSync();
    expect(writes).toEqual(["a\nb\nc\nd\n", "e\n"]);
    expect(built).toBe(3);
    destination.stop();
  });

  it("flushSync hands over what it holds and flushes the target", () => {
    const { sink, writes, flushes } = target();
    const destination = batchedDestination(sink, 8192, 1000);
    destination.write("a\n");
    destination.write("b\n");
    destination.flushSync();
    expect(writes).toEqual(["a\nb\n"]);
    expect(flushes()).toBe(1);
    destination.stop();
  });
});
