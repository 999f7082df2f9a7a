/** What the batches are handed to: sonic-boom (`pino.destination`) in production. */
export interface BatchTarget {
  write(text: string): unknown;
  flushSync(): void;
}

/**
 * A line whose text is built only when its batch is handed over. Building a batch's lines in one run keeps their
 * code and data in the CPU's caches; built one per request, between two requests' worth of other work, the access
 * line cost the server several times its instructions (bench/README.md, "What observability costs").
 */
export interface DeferredLine {
  /** Counted towards the batch's length in place of the text's, which does not exist yet. */
  readonly estimatedLength: number;
  /** Appends the line's text, in pieces, to `parts`: a batch's pieces are joined once, with no string per line. */
  renderInto(parts: string[]): void;
}

/** A pino destination: `write` per line, `flushSync` to hand over and write what is held. */
export interface BatchedDestination {
  write(text: string): void;
  /** Holds a line to be built at hand-over, in its place among the written ones. */
  writeLater(line: DeferredLine): void;
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
 * of the logger goes through here, so lines keep their order, deferred ones included.
 */
export function batchedDestination(target: BatchTarget, minLength: number, intervalMs: number): BatchedDestination {
  let held: (string | DeferredLine)[] = [];
  let length = 0;
  const handOver = () => {
    if (held.length === 0) return;
    const pending = held;
    held = [];
    length = 0;
    const parts: string[] = [];
    for (const line of pending) {
      if (typeof line === "string") parts.push(line);
      else line.renderInto(parts);
    }
    target.write(parts.length === 1 ? parts[0]! : parts.join(""));
  };
  const timer = setInterval(handOver, intervalMs);
  timer.unref();
  const hold = (line: string | DeferredLine, lineLength: number) => {
    held.push(line);
    // Characters, not bytes: the count only decides when to hand over, and needs no pass over the text.
    length += lineLength;
    if (length >= minLength) handOver();
  };
  return {
    write(text) {
      hold(text, text.length);
    },
    writeLater(line) {
      hold(line, line.estimatedLength);
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
