import pino, { type Logger } from "pino";

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

/** Lines are held until this many bytes are queued (about 40 request lines), or {@link logFlushIntervalMs} passed. */
export const logBufferBytes = 8192;
export const logFlushIntervalMs = 250;

/**
 * JSON logs to stdout. Writes are asynchronous and batched: a synchronous write(2) per request line cost the
 * server a large share of its CPU under load, and so did one asynchronous write per few lines (each a thread-pool
 * round trip on the server's own core: bench/README.md, "What observability costs"). A quiet server still writes
 * a line within a quarter of a second; pino flushes what is queued when the process exits, so only a `kill -9`
 * can lose the last quarter second.
 */
export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false, minLength: logBufferBytes, periodicFlush: logFlushIntervalMs }),
): Logger {
  return pino({ level, base: { service: "parts-server" }, redact: { paths: redactedPaths, censor: "[redacted]" } }, destination);
}

export type { Logger };
