import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TokenVerifier } from "@parts/router";
import { docsContentSecurityPolicy } from "./content-security-policy.ts";
import { docsPageHtml, initializerJs } from "./page.ts";
import { sendAsset, staticAsset, type StaticAsset } from "./static-asset.ts";
import { swaggerUiFiles, swaggerUiFolder, type SwaggerUiFile } from "./swagger-ui-files.ts";

export const docsPath = "/docs";
const assetsPrefix = `${docsPath}/assets/`;

export function isDocsPath(url: string): boolean {
  return url.startsWith(docsPath) && (url.length === docsPath.length || url[docsPath.length] === "/" || url[docsPath.length] === "?");
}

/** The page and its files, keyed by the exact request path each is served at. */
interface DocsSite {
  page: StaticAsset;
  assets: ReadonlyMap<string, StaticAsset>;
}

/** An asset's URL carries a prefix of its content hash, so it can be cached for good: a new version has a new URL. */
const assetUrl = (asset: StaticAsset, name: string) => `${assetsPrefix}${asset.hash.slice(0, 12)}/${name}`;

async function loadSite(folder: string): Promise<DocsSite> {
  const names = Object.keys(swaggerUiFiles) as SwaggerUiFile[];
  const files = await Promise.all(names.map(async (name) => staticAsset(await readFile(join(folder, name)), swaggerUiFiles[name])));
  const byName = new Map(names.map((name, i) => [name, files[i]!]));
  const initializer = await staticAsset(Buffer.from(initializerJs), "text/javascript; charset=utf-8");
  const urlOf = (name: SwaggerUiFile) => assetUrl(byName.get(name)!, name);
  const html = docsPageHtml({
    script: urlOf("swagger-ui-bundle.js"),
    stylesheets: [urlOf("swagger-ui.css"), urlOf("index.css")],
    icons: [
      { href: urlOf("favicon-32x32.png"), sizes: "32x32" },
      { href: urlOf("favicon-16x16.png"), sizes: "16x16" },
    ],
    initializer: assetUrl(initializer, "initializer.js"),
  });
  const assets = new Map<string, StaticAsset>([...byName].map(([name, asset]) => [assetUrl(asset, name), asset]));
  assets.set(assetUrl(initializer, "initializer.js"), initializer);
  return { page: await staticAsset(Buffer.from(html), "text/html; charset=utf-8"), assets };
}

/** Hashed URLs never change content; the page itself is revalidated on every load (its CSP follows the issuer). */
const assetCaching = { "cache-control": "public, max-age=31536000, immutable" };
const pageCaching = { "cache-control": "no-cache", "referrer-policy": "no-referrer" };

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/**
 * `/docs`: Swagger UI on `/openapi.json`, served from the installed `swagger-ui-dist` (no CDN; works offline).
 * The files are read on the first request, not at start-up, and then served from memory.
 */
export function createDocsHandler(verifier: Pick<TokenVerifier, "tokenEndpoint">, folder: () => string = swaggerUiFolder) {
  let site: Promise<DocsSite> | undefined;
  function loaded(): Promise<DocsSite> {
    // A failed read is not cached: the next request tries again.
    site ??= loadSite(folder()).catch((error: unknown) => {
      site = undefined;
      throw error;
    });
    return site;
  }

  return async function handleDocs(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "method not allowed" }, { allow: "GET, HEAD" });
    const url = req.url ?? "/";
    const queryStart = url.indexOf("?");
    const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
    const { page, assets } = await loaded();
    if (pathname === docsPath) {
      const tokenEndpoint = await verifier.tokenEndpoint().catch(() => undefined);
      return sendAsset(req, res, page, { ...pageCaching, "content-security-policy": docsContentSecurityPolicy(tokenEndpoint) });
    }
    const asset = assets.get(pathname);
    if (!asset) return sendJson(res, 404, { error: "not found" });
    sendAsset(req, res, asset, assetCaching);
  };
}
