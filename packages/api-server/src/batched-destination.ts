/** What the batches are handed to: sonic-boom (`pino.destination`) in production. */
export interface BatchTarget {
  write(text: string): unknown;
  flushSync(): void;
}

/** A pino destination: `write` per line, `flushSync` to hand over and write what is held. */
export interface BatchedDestination {
  write(text: string): void;
  flushSync(): void;
  /** Stops the interval timer (tests; a server process keeps it for its life). */
  stop(): void;
}

/**
 * Holds log lines as a list and hands them to `target` joined, once `minLength` characters are held or every
 * `intervalMs`. sonic-boom batches by itself (`minLength`), but it appends each write to its pending string and
 * measures that whole string again at every write (`Buffer.byteLength`), which flattens it: with a line or two
 * per event-loop turn, the pending buffer was copied again at almost every request (in a loop, ~2.0 against
 * ~1.4 µs per line; bench/README.md, "What observability costs"). Here a write is a push and an addition;
 * sonic-boom sees one string per batch and writes it at once, with its own handling of a full pipe. Every line
 * of the logger goes through here, so lines keep their order.
 */
export function batchedDestination(target: BatchTarget, minLength: number, intervalMs: number): BatchedDestination {
  let held: string[] = [];
  let length = 0;
  const handOver = () => {
    if (held.length === 0) return;
    const text = held.length === 1 ? held[0]! : held.join("");
    held = [];
    length = 0;
    target.write(text);
  };
  const timer = setInterval(handOver, intervalMs);
  timer.unref();
  return {
    write(text) {
      held.push(text);
      // Characters, not bytes: the count only decides when to hand over, and needs no pass over the text.
      length += text.length;
      if (length >= minLength) handOver();
    },
    flushSync() {
      handOver();
      target.flushSync();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
