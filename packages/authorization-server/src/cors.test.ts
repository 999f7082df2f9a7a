import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { basic, startRealIssuer, tempDir } from "./testing.ts";

const dir = tempDir();
const app = "https://app.example";
const evil = "https://evil.example";
let closed: RunningIssuer;
let open: RunningIssuer;
let client: { clientId: string; clientSecret: string };

beforeAll(async () => {
  closed = await startRealIssuer(`${dir.path}/closed.db`);
  open = await startRealIssuer(`${dir.path}/open.db`, { corsOrigins: [app] });
  const created = await open.clients.create({ name: "Browser app", scope: "parts:read" });
  client = { clientId: created.clientId, clientSecret: created.clientSecret! };
});
afterAll(async () => {
  await closed.close();
  await open.close();
  dir.remove();
});

const paths = ["/token", "/jwks", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/reg"];

/** The CORS grant a browser would see: every Access-Control-* response header. */
function corsHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-")));
}

function preflight(issuer: RunningIssuer, path: string, origin: string, method = "POST") {
  return fetch(`${issuer.url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type" },
  });
}

function tokenRequest(issuer: RunningIssuer, origin?: string) {
  return fetch(`${issuer.url}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: basic(client.clientId, client.clientSecret),
      ...(origin ? { origin } : {}),
    },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
}

describe("CORS, closed by default", () => {
  it.each(paths)("a preflight to %s from any origin gets no CORS grant", async (path) => {
    const response = await preflight(closed, path, evil);
    expect(corsHeaders(response)).toEqual({});
  });

  it.each(["/jwks", "/.well-known/oauth-authorization-server"])("GET %s answers without Access-Control-Allow-Origin, with or without an Origin", async (path) => {
    const withOrigin = await fetch(`${closed.url}${path}`, { headers: { origin: evil } });
    expect(withOrigin.status).toBe(200);
    expect(corsHeaders(withOrigin)).toEqual({});
    const withoutOrigin = await fetch(`${closed.url}${path}`);
    expect(withoutOrigin.status).toBe(200);
    expect(corsHeaders(withoutOrigin)).toEqual({});
  });

  it("a token request from a browser origin is refused; one without an Origin (server to server) is served", async () => {
    const created = await closed.clients.create({ name: "Service", scope: "parts:read" });
    const request = (origin?: string) =>
      fetch(`${closed.url}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(created.clientId, created.clientSecret!), ...(origin ? { origin } : {}) },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
    const fromBrowser = await request(evil);
    expect(fromBrowser.status).toBe(400);
    expect(((await fromBrowser.json()) as { error: string }).error).toBe("invalid_request");
    expect(corsHeaders(fromBrowser)).toEqual({});
    const fromServer = await request();
    expect(fromServer.status).toBe(200);
    expect(corsHeaders(fromServer)).toEqual({});
  });
});

describe("CORS with ISSUER_CORS_ORIGINS", () => {
  it("grants a preflight to /token from a listed origin", async () => {
    const response = await preflight(open, "/token", app);
    expect(response.status).toBe(204);
    expect(corsHeaders(response)).toMatchObject({ "access-control-allow-origin": app, "access-control-allow-methods": "POST" });
  });

  it("serves a token to a listed origin with its CORS header", async () => {
    const response = await tokenRequest(open, app);
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(app);
  });

  it("still gives other origins nothing", async () => {
    expect(corsHeaders(await preflight(open, "/token", evil))).toEqual({});
    expect(corsHeaders(await fetch(`${open.url}/jwks`, { headers: { origin: evil } }))).toEqual({});
    const token = await tokenRequest(open, evil);
    expect(token.status).toBe(400);
    expect(corsHeaders(token)).toEqual({});
  });
});
