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

/**
 * JSON logs to stdout. Writes are asynchronous: a synchronous write(2) per request line cost the server a large
 * share of its CPU under load (bench/README.md), while queued lines go out together. pino flushes what is queued
 * when the process exits.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
  return pino({ level, base: { service: "parts-server" }, redact: { paths: redactedPaths, censor: "[redacted]" } }, destination);
}

export type { Logger };
