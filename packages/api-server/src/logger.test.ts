import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactedPaths } from "./logger.ts";

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger("info", sink), lines };
}

describe("createLogger", () => {
  it("redacts every listed path", () => {
    const { logger, lines } = capture();
    const secret = "eyJhbGciOiJSUzI1NiJ9.payload.signature";
    for (const path of redactedPaths) {
      const value = path.split(".").reduceRight<unknown>((inner, key) => ({ [key]: inner }), secret) as object;
      logger.info(value, path);
    }
    expect(lines).toHaveLength(redactedPaths.length);
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(secret);
    expect(JSON.stringify(lines)).toContain("[redacted]");
  });

  it("keeps request lines intact", () => {
    const { logger, lines } = capture();
    logger.info({ reqId: "r1", procedure: "parts.byId", status: 200, clientId: "bench" }, "request");
    expect(lines[0]).toMatchObject({ reqId: "r1", procedure: "parts.byId", status: 200, clientId: "bench", service: "parts-server" });
  });
});
