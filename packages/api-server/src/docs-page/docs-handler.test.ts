import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRestTestServer, type RestTestServer } from "../rest/test-server.ts";
import { docsContentSecurityPolicy } from "./content-security-policy.ts";
import { createDocsHandler } from "./docs-handler.ts";
import { acceptsGzip } from "./static-asset.ts";
import { swaggerUiFiles, swaggerUiFolder } from "./swagger-ui-files.ts";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path exactly as given (fetch would normalise `..` and undo gzip). */
function get(base: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The URLs the page links to (`src` and `href` attributes), in order. */
const linkedUrls = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);

let server: RestTestServer;
let page: Answer;
let html: string;
const installed = swaggerUiFolder();

beforeAll(async () => {
  server = await startRestTestServer();
  page = await get(server.base, "/docs");
  html = page.body.toString();
});
afterAll(() => server.close());

describe("GET /docs", () => {
  it("answers the page with a restrictive CSP that lets it reach only this server and the issuer's token endpoint", () => {
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["cache-control"]).toBe("no-cache");
    const csp = page.headers["content-security-policy"]!;
    expect(csp).toBe(
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${new URL(server.issuer.issuer).origin}; ` +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(csp).not.toMatch(/unsafe|\*/);
  });

  it("has no inline script or style: every script is an empty element with a src", () => {
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(2);
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/ src="\/docs\/assets\//);
      expect(content).toBe("");
    }
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it("links only to files this server serves, each cached for good under a content-hashed URL", async () => {
    const urls = linkedUrls(html);
    expect(urls.length).toBe(6);
    for (const url of urls) {
      expect(url).toMatch(/^\/docs\/assets\/[\w-]{12}\/[\w.-]+$/);
      const answer = await get(server.base, url);
      expect(answer.status, url).toBe(200);
      expect(answer.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    }
  });

  it("serves Swagger UI's files byte for byte as installed, with their media types", async () => {
    for (const [name, contentType] of Object.entries(swaggerUiFiles)) {
      const url = linkedUrls(html).find((candidate) => candidate.endsWith(`/${name}`))!;
      const answer = await get(server.base, url);
      expect(answer.headers["content-type"]).toBe(contentType);
      expect(answer.body.equals(readFileSync(join(installed, name))), name).toBe(true);
    }
  });

  it("starts Swagger UI on /openapi.json from its own script, with the external validator off", async () => {
    const initializer = await get(server.base, linkedUrls(html).find((url) => url.endsWith("/initializer.js"))!);
    expect(initializer.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    const source = initializer.body.toString();
    expect(source).toContain('url: "/openapi.json"');
    expect(source).toContain("validatorUrl: null");
  });
});

describe("what /docs refuses", () => {
  it.each([
    "/docs/assets/swagger-ui-bundle.js",
    "/docs/swagger-ui-bundle.js",
    "/docs/index.html",
    "/docs/swagger-initializer.js",
    "/docs/assets/../package.json",
    "/docs/assets/%2e%2e/package.json",
    "/docs/assets/..%2Fpackage.json",
    "/docs/oauth2-redirect.html",
  ])("%s → 404: only the allow-listed files at their exact URLs", async (path) => {
    const answer = await get(server.base, path);
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).toBe('{"error":"not found"}');
  });

  it("a file of the package that is not on the allow-list, even under a valid hash prefix → 404", async () => {
    const bundleUrl = linkedUrls(html).find((url) => url.endsWith("/swagger-ui-bundle.js"))!;
    expect((await get(server.base, bundleUrl.replace("swagger-ui-bundle.js", "swagger-ui-bundle.js.map"))).status).toBe(404);
    expect((await get(server.base, bundleUrl.replace("swagger-ui-bundle.js", "package.json"))).status).toBe(404);
  });

  it("methods other than GET and HEAD → 405 with Allow", async () => {
    const answer = await get(server.base, "/docs", {}, "POST");
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe("GET, HEAD");
  });
});

describe("caching and compression", () => {
  it("sends gzip to a client that accepts it, the same bytes once unzipped, and says it varies", async () => {
    const url = linkedUrls(html).find((candidate) => candidate.endsWith("/swagger-ui-bundle.js"))!;
    const plain = await get(server.base, url);
    const zipped = await get(server.base, url, { "accept-encoding": "br, gzip" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.headers.vary).toBe("accept-encoding");
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
  });

  it("answers 304 to a current copy, keeping the page's CSP on it", async () => {
    const again = await get(server.base, "/docs", { "if-none-match": page.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers["content-security-policy"]).toBe(page.headers["content-security-policy"]);
    expect((await get(server.base, "/docs", { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("HEAD has the headers of GET and no body", async () => {
    const head = await get(server.base, "/docs", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(page.headers["content-length"]);
    expect(head.body.length).toBe(0);
  });

  it.each([
    ["gzip", true],
    ["deflate, gzip;q=0.5", true],
    ["*", true],
    ["gzip;q=0", false],
    ["identity", false],
    ["", false],
  ])("Accept-Encoding %j allows gzip: %s", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe("where the files come from", () => {
  it("the bundle's copy beside dist/bin/ when there is one, else the installed swagger-ui-dist", () => {
    const dist = mkdtempSync(join(tmpdir(), "parts-docs-dist-"));
    try {
      const main = pathToFileURL(join(dist, "bin", "main.js"));
      expect(swaggerUiFolder(main)).toBe(installed);
      mkdirSync(join(dist, "swagger-ui"));
      copyFileSync(join(installed, "swagger-ui-bundle.js"), join(dist, "swagger-ui", "swagger-ui-bundle.js"));
      expect(swaggerUiFolder(main)).toBe(join(dist, "swagger-ui") + "/");
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  it("a page whose files cannot be read fails that request and is read again on the next", async () => {
    let folder = join(tmpdir(), "parts-docs-missing");
    const handler = createDocsHandler({ tokenEndpoint: async () => undefined }, () => folder);
    const plain = createServer((req, res) => void handler(req, res).catch(() => res.writeHead(500).end()));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      expect((await get(base, "/docs")).status).toBe(500);
      folder = installed;
      const served = await get(base, "/docs");
      expect(served.status).toBe(200);
      expect(served.headers["content-security-policy"]).toContain("connect-src 'self';");
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it("without a known token endpoint the page may connect to this server only", () => {
    expect(docsContentSecurityPolicy(undefined)).toContain("connect-src 'self';");
    expect(docsContentSecurityPolicy(new URL("https://login.example.com:8443/oauth2/token"))).toContain("connect-src 'self' https://login.example.com:8443;");
  });
});
