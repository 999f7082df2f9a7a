/**
 * REST over real processes: the real issuer (apps/issuer, oidc-provider) mints client-credentials tokens, the
 * real server (apps/server) serves /api/parts and /openapi.json. The document validates and lints clean as the
 * process serves it, its token URL is the issuer's, and every REST answer here is checked against it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createResponseChecker, lintDocument, validateDocument, type ResponseChecker } from "@parts/openapi-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Json } from "./harness/http.ts";
import { fetchToken, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let dir: string;
let issuer: IssuerProcess;
let server: ServerProcess;
let writeToken: string;
let readToken: string;
let document: Json;
let check: ResponseChecker;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parts-it-rest-"));
  const issuerDb = join(dir, "issuer.db");
  issuer = await startIssuerProcess({ port: await freePort(), databaseFile: issuerDb });
  const admin = await openIssuerAdmin({ databaseFile: issuerDb, accessTokenTtl: 600 });
  const writer = await admin.clients.create({ name: "rest writer", scope: "parts:read parts:write" });
  const reader = await admin.clients.create({ name: "rest reader", scope: "parts:read" });
  admin.close();
  server = await startServer({ issuer: issuer.url });
  writeToken = await fetchToken(issuer.url, writer, "parts:read parts:write");
  readToken = await fetchToken(issuer.url, reader, "parts:read");
  document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Json;
  check = createResponseChecker(document);
}, 60_000);
afterAll(async () => {
  await disposeServer(server);
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A REST request whose answer must match the served document. */
async function rest(method: string, path: string, options: { token?: string | null; body?: unknown } = {}) {
  const token = options.token === undefined ? writeToken : options.token;
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(options.body === undefined ? {} : { "content-type": "application/json" }) },
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
    const discovery = (await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
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
});
