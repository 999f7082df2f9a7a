/**
 * REST over real processes: the real issuer (apps/issuer, oidc-provider) mints client-credentials tokens, the
 * real server (apps/server) serves /api/parts and /openapi.json. The document validates and lints clean as the
 * process serves it, its token URL is the issuer's, and every REST answer here is checked against it.
 */
import { createResponseChecker, lintDocument, validateDocument, type ResponseChecker } from "@parts/openapi-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Json } from "./harness/http.ts";
import { startRestStack, type RestStack } from "./harness/rest-stack.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let stack: RestStack;
let server: ServerProcess;
let writeToken: string;
let readToken: string;
let document: Json;
let check: ResponseChecker;

beforeAll(async () => {
  stack = await startRestStack();
  server = stack.server;
  writeToken = await stack.writeToken();
  readToken = await stack.readToken();
  document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Json;
  check = createResponseChecker(document);
}, 60_000);
afterAll(() => stack?.stop());

/** A REST request whose answer must match the served document. */
async function rest(method: string, path: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string>; base?: string } = {}) {
  const token = options.token === undefined ? writeToken : options.token;
  const response = await fetch(`${options.base ?? server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const violations = check({ method, url: path, status: response.status, contentType: response.headers.get("content-type"), body: text, headers: response.headers });
  expect(violations, `${method} ${path} → ${response.status}: ${text.slice(0, 300)}`).toEqual([]);
  return { status: response.status, headers: response.headers, json: text === "" ? undefined : (JSON.parse(text) as Json) };
}

describe("REST and /openapi.json on the real stack", () => {
  it("serves a document that validates, lints clean and names the issuer's token endpoint", async () => {
    expect(await validateDocument(document)).toEqual([]);
    expect(await lintDocument(document)).toEqual([]);
    const discovery = (await (await fetch(`${stack.issuer.url}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    expect(document.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toBe(discovery.token_endpoint);
  });

  it("creates, reads, lists, patches and deletes a part with a real client-credentials token", async () => {
    const created = await rest("POST", "/api/parts", { body: { partNumber: "IT-REST-1", modelNumber: "IT-M", name: "Flange", description: "cast" } });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    expect(location).toBe(`/api/parts/${created.json!.id}`);
    expect((await rest("GET", location, { token: readToken })).json).toEqual(created.json);
    const page = await rest("GET", "/api/parts?modelNumber=IT-M&limit=1");
    expect(page.json!.items.map((part: Json) => part.partNumber)).toEqual(["IT-REST-1"]);
    const patched = await rest("PATCH", location, { body: { description: null } });
    expect(patched.json).toMatchObject({ id: created.json!.id, description: null, name: "Flange" });
    // The same part over tRPC: one set of procedures behind both.
    expect((await call(server.url, "query", "parts.byId", { id: created.json!.id }, writeToken)).body.result.data).toEqual(patched.json);
    expect((await rest("DELETE", location)).status).toBe(204);
    expect((await rest("GET", location)).json).toMatchObject({ type: "urn:parts:problem:not-found", status: 404, code: "NOT_FOUND" });
  });

  it("refuses as the procedures do: scope, token, validation, with RFC 9457 problems", async () => {
    const forbidden = await rest("DELETE", "/api/parts/1", { token: readToken });
    expect(forbidden.json).toMatchObject({ type: "urn:parts:problem:insufficient-scope", status: 403 });
    expect(forbidden.headers.get("www-authenticate")).toContain('scope="parts:write"');
    expect((await rest("GET", "/api/parts", { token: null })).headers.get("www-authenticate")).toBe('Bearer realm="parts"');
    const invalid = await rest("POST", "/api/parts", { body: { partNumber: "IT-REST-2", modelNumber: "M", name: "" } });
    expect(invalid.json).toMatchObject({ type: "urn:parts:problem:validation-failed", errors: { name: ["must not be empty"] } });
    expect((await rest("GET", "/api/parts/0x10")).status).toBe(400);
    expect((await rest("PUT", "/api/parts/1", { body: {} })).headers.get("allow")).toBe("GET, PATCH, DELETE, HEAD, OPTIONS");
  });

  it("sends ETags and answers a stale If-Match 412, as the document says", async () => {
    const created = await rest("POST", "/api/parts", { body: { partNumber: "IT-REST-ETAG", modelNumber: "IT-M", name: "Hinge" } });
    const location = created.headers.get("location")!;
    const etag = created.headers.get("etag")!;
    expect(etag).toBe(`"${created.json!.id}-1"`);
    expect((await rest("PATCH", location, { body: { name: "Hinge 2" }, headers: { "if-match": etag } })).json).toMatchObject({ version: 2 });
    const stale = await rest("DELETE", location, { headers: { "if-match": etag } });
    expect(stale.json).toMatchObject({ type: "urn:parts:problem:precondition-failed", status: 412, detail: "the part is at version 2, not 1; read it again and retry" });
    expect((await rest("PATCH", location, { body: { name: "x" }, headers: { "if-match": "W/\"1-1\"" } })).status).toBe(412);
    expect((await rest("GET", location)).headers.get("etag")).toBe(`"${created.json!.id}-2"`);
  });

  it("with REQUIRE_IF_MATCH=true, answers a PATCH or DELETE without If-Match 428, as the document says", async () => {
    const strict = await startServer({ issuer: stack.issuer.url, env: { REQUIRE_IF_MATCH: "true" } });
    try {
      const base = strict.url;
      const created = await rest("POST", "/api/parts", { base, body: { partNumber: "IT-REST-428", modelNumber: "IT-M", name: "Latch" } });
      const location = created.headers.get("location")!;
      expect((await rest("PATCH", location, { base, body: { name: "x" } })).json).toMatchObject({ type: "urn:parts:problem:precondition-required", status: 428 });
      expect((await rest("DELETE", location, { base })).status).toBe(428);
      expect((await rest("DELETE", location, { base, headers: { "if-match": created.headers.get("etag")! } })).status).toBe(204);
    } finally {
      await disposeServer(strict);
    }
  });
});
