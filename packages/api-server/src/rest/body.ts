import type { IncomingMessage } from "node:http";
import { requestLimits } from "@parts/router";
import { problem, type Problem } from "./problem.ts";

export type BodyResult = { ok: true; value: unknown } | { ok: false; problem: Problem; closeConnection: boolean };

const { maxBodyBytes } = requestLimits;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The media type is one of `accepted` (lower case), compared without case and parameters (`; charset=utf-8`). */
export function isJsonMediaType(contentType: string | undefined, accepted: readonly string[]): boolean {
  const type = contentType?.split(";", 1)[0]!.trim().toLowerCase();
  return type !== undefined && accepted.includes(type);
}

const tooLarge = (): BodyResult => ({
  ok: false,
  problem: problem("payload-too-large", `the body exceeds ${maxBodyBytes} bytes`),
  // The rest of the body is never read: the connection cannot carry another request.
  closeConnection: true,
});

/**
 * Reads a JSON body of at most `maxBodyBytes` (the limit tRPC calls have): refused from `content-length` before
 * reading when it is declared, or as soon as a chunked body passes it. Bytes must be UTF-8 and the text JSON (a
 * leading BOM is dropped, as tRPC's adapter does).
 */
export async function readJsonBody(req: IncomingMessage, accepted: readonly string[]): Promise<BodyResult> {
  if (!isJsonMediaType(req.headers["content-type"], accepted)) {
    return { ok: false, problem: problem("unsupported-media-type", `send the body as ${accepted.join(" or ")}`), closeConnection: false };
  }
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBodyBytes) return tooLarge();
  const bytes = await readAtMost(req, maxBodyBytes);
  if (bytes === undefined) return tooLarge();
  try {
    const text = strictUtf8.decode(bytes);
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown };
  } catch {
    return { ok: false, problem: problem("malformed-json", "the body is not well-formed UTF-8 JSON"), closeConnection: false };
  }
}

/**
 * The body, or undefined as soon as it passes `limit`. Events, not `for await`: leaving an async iterator early
 * destroys the request, and with it the socket the 413 must go out on.
 */
function readAtMost(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData).off("end", onEnd).off("error", reject);
      req.pause();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on("data", onData).once("end", onEnd).once("error", reject);
  });
}
