import pino, { type Logger } from "pino";
import { batchedDestination } from "./batched-destination.ts";

/**
 * Paths redacted should a secret ever be logged by mistake (request headers and tokens are never logged on
 * purpose). Listed one by one: wildcard paths made redaction a large share of per-request CPU (bench/README.md).
 */
export const redactedPaths = [
  "authorization",
  "token",
  "secret",
  "clientSecret",
  "headers.authorization",
  "req.headers.authorization",
  "err.headers.authorization",
];

/** Lines are held until this many characters are queued (about 280 request lines), or {@link logFlushIntervalMs} passed. */
const logBatchLength = 65_536;
const logFlushIntervalMs = 250;

/**
 * JSON logs to stdout, batched: a write(2) per request line cost the server a large share of its CPU under load,
 * and so did an asynchronous write per few lines (each a thread-pool round trip on the server's own core, and
 * the string copied on the event loop first). Lines are held until 64 KB are queued (`batchedDestination`), then
 * written synchronously by pino's own destination: one system call per ~280 request lines (bench/README.md,
 * "What observability costs"). A quiet server still writes a line within a quarter of a second, and what is
 * held is written when the process exits, so only a `kill -9` can lose the last quarter second.
 */
export function createLogger(level: string, destination: pino.DestinationStream = stdout()): Logger {
  return pino({ level, base: { service: "parts-server" }, redact: { paths: redactedPaths, censor: "[redacted]" } }, destination);
}

/** Standard output, batched; what is held is written when the process exits (pino does that only for asynchronous destinations). */
function stdout(): pino.DestinationStream {
  const destination = batchedDestination(pino.destination({ dest: 1, sync: true }), logBatchLength, logFlushIntervalMs);
  process.once("exit", () => {
    try {
      destination.flushSync();
    } catch {
      // stdout already closed: nothing left to write to.
    }
  });
  return destination;
}

export type { Logger };
