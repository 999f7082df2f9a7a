import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { createAccessLog, type AccessEntry } from "./access-log.ts";
import { batchedDestination } from "./batched-destination.ts";
import { createLogger } from "./logger.ts";

function capture(level = "info") {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger(level, sink);
  return { logger, accessLog: createAccessLog(logger, trpcBasePath), lines };
}

const trpcBasePath = "/trpc/";

const entry = (overrides: Partial<AccessEntry> = {}): AccessEntry => ({
  reqId: "7f1c8a9e-1b2c-4d5e-8f90-123456789abc",
  method: "GET",
  url: "/trpc/parts.byId?input=%7B%22id%22%3A1%7D",
  status: 200,
  durationMs: 1.234567,
  clientId: "bench",
  ...overrides,
});

/** What `logger.info` writes for the same entry: the format the hand-built line must keep. */
function throughPino(e: AccessEntry) {
  const { logger, lines } = capture();
  const path = e.url.split("?")[0]!;
  const procedure = path.startsWith(trpcBasePath) ? path.slice(trpcBasePath.length) : undefined;
  logger.info({ reqId: e.reqId, method: e.method, procedure, path: procedure === undefined ? path : undefined, status: e.status, durationMs: Math.round(e.durationMs * 1000) / 1000, clientId: e.clientId }, "request");
  return lines[0]!;
}

const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

describe("the access log line", () => {
  it.each([
    ["a tRPC call", entry()],
    ["a REST call without a client (path, no query string)", entry({ url: "/api/parts/5?x=1", clientId: undefined, status: 401 })],
    ["a request id and path that need escaping", entry({ reqId: 'a"b\\c\u2028\u0001é', url: '/api/"quoted"/\u00e9', method: undefined })],
    ["a batch", entry({ url: "/trpc/parts.byId,parts.list?batch=1", status: 207 })],
    ["a client id that needs escaping", entry({ clientId: 'c"l\\i\u007f' })],
    ["an unusual method and a procedure that needs escaping", entry({ method: "PROPFIND", url: '/trpc/x"y\u2028', durationMs: 0.8234560012817383 })],
    ["a status beyond the usual range and a long duration", entry({ status: 999, durationMs: 123456.0005 })],
  ])("is byte for byte what pino writes for %s (fails when pino's line format moves)", (_name, e) => {
    const { accessLog, lines } = capture();
    accessLog.write(e);
    expect(lines).toHaveLength(1);
    expect(withoutTime(lines[0]!)).toBe(withoutTime(throughPino(e)));
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, service: "parts-server", msg: "request", reqId: e.reqId });
  });

  it("quotes every ASCII character in a request id as pino does, on the plain path and off it", () => {
    const { accessLog, lines } = capture();
    const entries = Array.from({ length: 128 }, (_, code) => entry({ reqId: `id-${String.fromCharCode(code)}-x`, clientId: `client${String.fromCharCode(code)}` }));
    for (const e of entries) accessLog.write(e);
    expect(lines.join("").split("\n").filter(Boolean).map(withoutTime)).toEqual(entries.map((e) => withoutTime(throughPino(e)).trimEnd()));
  });

  it("gives the duration to the microsecond, and the same fields again from its caches", () => {
    const { accessLog, lines } = capture();
    for (const durationMs of [0.8234560012817383, 12.0004999, 3]) accessLog.write(entry({ durationMs }));
    for (let n = 0; n < 100; n++) accessLog.write(entry({ method: `M${n}`, url: `/trpc/p${n}` }));
    const logged = lines.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { durationMs: number; method: string; procedure: string });
    expect(logged.slice(0, 3).map((line) => line.durationMs)).toEqual([0.823, 12, 3]);
    // Past the caches' limits the fields are still right: only their reuse stops.
    expect(logged.slice(3).map((line) => [line.method, line.procedure])).toEqual(Array.from({ length: 100 }, (_, n) => [`M${n}`, `p${n}`]));
  });

  it("prints every duration as pino prints it rounded to the microsecond", () => {
    const { accessLog, lines } = capture();
    const durations = [0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.8, 0.999, 0.9995, 1, 1.0005, 999.9995, 1e6 + 0.25, 2 ** 40 + 0.5];
    for (let n = 0; n < 3000; n++) durations.push(Math.random() * 10 ** ((n % 6) - 1));
    for (const durationMs of durations) accessLog.write(entry({ durationMs }));
    const printed = lines.join("").split("\n").filter(Boolean).map((line) => /"durationMs":([^,]*),/.exec(line)?.[1]);
    expect(printed).toEqual(durations.map((ms) => JSON.stringify(Math.round(ms * 1000) / 1000)));
  });

  it("gives each line the time it was written at, when lines share a millisecond and when they do not", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const { accessLog, lines } = capture();
      for (const time of [1_764_000_000_000, 1_764_000_000_000, 1_764_000_000_007, 1_764_000_000_000]) {
        vi.setSystemTime(time);
        accessLog.write(entry());
      }
      expect(lines.map((line) => (JSON.parse(line) as { time: number }).time)).toEqual([1_764_000_000_000, 1_764_000_000_000, 1_764_000_000_007, 1_764_000_000_000]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("on a batching destination, is built at hand-over as it would have been at once, in its place, with the time it was written", () => {
    const handedOver: string[] = [];
    const destination = batchedDestination({ write: (text) => handedOver.push(text), flushSync: () => {} }, 1 << 20, 60_000);
    const writeLater = vi.spyOn(destination, "writeLater");
    const logger = createLogger("info", destination);
    const accessLog = createAccessLog(logger, trpcBasePath);
    const entries = [entry(), entry({ url: "/api/parts/7", clientId: 'c"l', status: 404 })];
    const before = Date.now();
    accessLog.write(entries[0]!);
    logger.info({ partId: 7 }, "between");
    accessLog.write(entries[1]!);
    const after = Date.now();
    expect(writeLater).toHaveBeenCalledTimes(2);
    expect(handedOver).toEqual([]);
    destination.flushSync();
    destination.stop();
    const lines = handedOver.join("").split("\n").filter(Boolean);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["request", "between", "request"]);
    expect([lines[0], lines[2]].map((line) => withoutTime(line!))).toEqual(entries.map((e) => withoutTime(throughPino(e)).trimEnd()));
    for (const line of lines) expect((JSON.parse(line!) as { time: number }).time).toBeGreaterThanOrEqual(before);
    for (const line of lines) expect((JSON.parse(line!) as { time: number }).time).toBeLessThanOrEqual(after);
  });

  it("writes nothing above info, and follows a level changed later", () => {
    const { logger, accessLog, lines } = capture("warn");
    accessLog.write(entry());
    expect(lines).toHaveLength(0);
    logger.level = "info";
    accessLog.write(entry());
    expect(lines).toHaveLength(1);
  });
});
