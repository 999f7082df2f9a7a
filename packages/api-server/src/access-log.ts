import pino, { type Logger } from "pino";
import type { BatchedDestination, DeferredLine } from "./batched-destination.ts";

/** The facts of one answered request, as the access log line gives them. */
export interface AccessEntry {
  reqId: string;
  method: string | undefined;
  /** The request's URL; the line gives the procedure for tRPC calls, the path (no query string) otherwise. */
  url: string;
  status: number;
  /** Logged to the microsecond. */
  durationMs: number;
  clientId: string | undefined;
}

const infoLevel = 30;
/** Printable ASCII without `"` or `\`: quoted as it is, as JSON.stringify would. */
const plainText = /^[ !#-[\]-~]*$/;
/**
 * A string as JSON. Request ids are mostly UUIDs: a regular expression and two quotes take a third of the time
 * JSON.stringify does (~115 ns), which is kept for anything that may need escaping.
 */
const quoted = (text: string | undefined) => (text === undefined ? undefined : plainText.test(text) ? `"${text}"` : JSON.stringify(text));
const field = (name: string, json: string | undefined) => (json === undefined ? "" : `,"${name}":${json}`);

/**
 * The field for a value from a small set, built once: methods and procedure names repeat on every line. At most
 * `limit` values are kept, so names from hostile URLs cannot grow it; the rest are built per line.
 */
function fieldCache(name: string, limit: number) {
  const built = new Map<string | undefined, string>();
  return (value: string | undefined): string => {
    let text = built.get(value);
    if (text === undefined) {
      text = field(name, quoted(value));
      if (built.size < limit) built.set(value, text);
    }
    return text;
  };
}

/**
 * `durationMs` to the microsecond, as JSON.stringify prints `Math.round(ms * 1000) / 1000`: the whole milliseconds,
 * then the fraction from a table (`.834`, `.8`, none for `.000`). Printing the double itself (V8's shortest
 * round-trip digits) was most of the ~8% of a line's time a loop's profile gave number printing; the whole part
 * is a small integer, which V8 prints from a cache.
 */
const fractions = Array.from({ length: 1000 }, (_, n) => (n === 0 ? "" : `.${String(n).padStart(3, "0").replace(/0+$/, "")}`));
function microsecondText(ms: number): string {
  const us = Math.round(ms * 1000);
  return us >= 0 && us < Number.MAX_SAFE_INTEGER ? `${Math.trunc(us / 1000)}${fractions[us % 1000]}` : JSON.stringify(us / 1000);
}

/** The access log of one server: `write` an entry per answered request. */
export interface AccessLog {
  write(entry: AccessEntry): void;
}

/** Appends one entry's line, in pieces, to `parts`. */
type LineBuilder = (parts: string[], entry: AccessEntry, time: number) => void;

/** An entry whose line is built when its batch is handed over (`batchedDestination`). */
class PendingLine implements DeferredLine {
  readonly estimatedLength: number;
  readonly #build: LineBuilder;
  readonly #entry: AccessEntry;
  readonly #time: number;
  constructor(build: LineBuilder, entry: AccessEntry, time: number, fixedLength: number) {
    this.#build = build;
    this.#entry = entry;
    this.#time = time;
    this.estimatedLength = fixedLength + entry.reqId.length + entry.url.length + (entry.clientId?.length ?? 0);
  }
  renderInto(parts: string[]): void {
    this.#build(parts, this.#entry, this.#time);
  }
}

/** The line's characters besides its request id, URL and client id, about: what `PendingLine` adds to them. */
const fixedLineLength = 150;

/**
 * The per-request "request" line at info, written to the logger's destination in pino's own format
 * (`{"level":30,"time":…,<the logger's bindings>,…,"msg":"request"}`). Going through `logger.info` cost a fifth
 * of a cached `parts.byId` (bench/README.md, "What observability costs"): pino's generic serializer walks and
 * type-checks every field. This line's fields are fixed, so it is built from fixed pieces and handed to the
 * destination as it is. When the destination batches (`batchedDestination`), the line is built only when its
 * batch is handed over, with the time it was written at. It reads the logger's bindings and stream through
 * `pino.symbols`, pino's documented hook for libraries, and honours the logger's level at every call. Fenced
 * here and guarded by a test that compares it with what `logger.info` writes for the same fields
 * (docs/decisions/0003-access-log-line.md). URLs under `trpcBasePath` are tRPC calls, logged by procedure.
 */
export function createAccessLog(logger: Logger, trpcBasePath: string): AccessLog {
  const state = logger as unknown as Record<symbol, unknown>;
  const bindings = state[pino.symbols.chindingsSym] as string;
  const stream = state[pino.symbols.streamSym] as { write(text: string): unknown; writeLater?: BatchedDestination["writeLater"] };
  const methodField = fieldCache("method", 16);
  const procedureField = fieldCache("procedure", 64);
  // Client ids are bounded by the registry; the limit only caps what one process keeps.
  const clientIdField = fieldCache("clientId", 256);
  // Lines of one batch mostly share their millisecond: the start of the line up to the request id is kept for it.
  let lastTime = Number.NaN;
  let lineStart = "";
  const build: LineBuilder = (parts, entry, time) => {
    if (time !== lastTime) {
      lastTime = time;
      lineStart = `{"level":${infoLevel},"time":${time}${bindings},"reqId":`;
    }
    const queryAt = entry.url.indexOf("?");
    const path = queryAt === -1 ? entry.url : entry.url.slice(0, queryAt);
    const procedure = path.startsWith(trpcBasePath) ? path.slice(trpcBasePath.length) : undefined;
    parts.push(
      lineStart,
      quoted(entry.reqId)!,
      methodField(entry.method),
      procedure === undefined ? `,"path":${quoted(path)}` : procedureField(procedure),
      ',"status":',
      // A small integer: V8 prints it from its number-string cache.
      String(entry.status),
      ',"durationMs":',
      microsecondText(entry.durationMs),
      clientIdField(entry.clientId),
      ',"msg":"request"}\n',
    );
  };
  const fixedLength = fixedLineLength + bindings.length;
  return {
    write(entry) {
      if (logger.levelVal > infoLevel) return;
      if (stream.writeLater) stream.writeLater(new PendingLine(build, entry, Date.now(), fixedLength));
      else {
        const parts: string[] = [];
        build(parts, entry, Date.now());
        stream.write(parts.join(""));
      }
    },
  };
}
