import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import { gzip } from "node:zlib";

const gzipAsync = promisify(gzip);

/** A file held in memory with what serving it needs: validators, and a gzip copy when that is worth sending. */
export interface StaticAsset {
  body: Buffer;
  contentType: string;
  /** Strong validator of `body`; its first characters also name the file's URL, so a new version has a new URL. */
  hash: string;
  gzipped?: Buffer;
}

/** Below this, or for formats already compressed, gzip is not worth a CPU pass per variant. */
const minGzipBytes = 1024;

export async function staticAsset(body: Buffer, contentType: string): Promise<StaticAsset> {
  const hash = createHash("sha256").update(body).digest("base64url");
  const compressible = !contentType.startsWith("image/") && body.length >= minGzipBytes;
  return { body, contentType, hash, ...(compressible ? { gzipped: await gzipAsync(body, { level: 9 }) } : {}) };
}

/** Whether `Accept-Encoding` allows gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((entry) => {
    const [coding, ...params] = entry.split(";").map((part) => part.trim().toLowerCase());
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.find((param) => param.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** True when `If-None-Match` names `etag` (or `*`): the client's copy is current. */
function notModified(req: IncomingMessage, etag: string): boolean {
  const header = req.headers["if-none-match"];
  if (!header) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed === etag || trimmed === `W/${etag}`;
  });
}

/**
 * Answers GET/HEAD with the asset: gzip when accepted, an ETag per variant, 304 for a current copy.
 * `headers` adds the caching policy (and, for the page, its CSP).
 */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: StaticAsset, headers: Record<string, string>): void {
  const gzipped = asset.gzipped && acceptsGzip(req.headers["accept-encoding"]) ? asset.gzipped : undefined;
  const etag = `"${asset.hash.slice(0, 27)}${gzipped ? "-gz" : ""}"`;
  const common = { ...headers, etag, ...(asset.gzipped ? { vary: "accept-encoding" } : {}) };
  if (notModified(req, etag)) return void res.writeHead(304, common).end();
  const body = gzipped ?? asset.body;
  res.writeHead(200, {
    ...common,
    "content-type": asset.contentType,
    "content-length": String(body.length),
    ...(gzipped ? { "content-encoding": "gzip" } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
