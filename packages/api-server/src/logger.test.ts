import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createLogger, redactedPaths } from "./logger.ts";

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const loggerModule = pathToFileURL(new URL("./logger.ts", import.meta.url).pathname).href;

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

  it.each([
    ["ends by itself", ""],
    ["calls process.exit", "process.exit(3);"],
  ])("writes the lines it still holds when the process %s (stdout is batched)", (_how, ending) => {
    const script = `const { createLogger } = await import(${JSON.stringify(loggerModule)}); const logger = createLogger("info"); logger.info("first"); logger.warn("last"); ${ending}`;
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, ["--import", tsxLoader, "--input-type=module", "-e", script], { encoding: "utf8" });
    } catch (error) {
      stdout = (error as { stdout: string }).stdout;
    }
    expect(stdout.trim().split("\n").map((line) => JSON.parse(line).msg)).toEqual(["first", "last"]);
  });
});
