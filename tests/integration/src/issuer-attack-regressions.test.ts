/**
 * Issue 10's findings against the issuer, replayed on a real issuer process with registration open and a real
 * parts server trusting it: a registered client cannot widen its own scope, no DPoP-bound token is issued, and
 * no browser origin gets CORS access.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, trpcError, type Json } from "./harness/http.ts";
import { freePort, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

const registrationToken = "integration-registration-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "parts-it-issuer-attacks-"));
let issuer: IssuerProcess;
let server: ServerProcess;

beforeAll(async () => {
  issuer = await startIssuerProcess({ port: await freePort(), databaseFile: join(dir, "issuer.db"), env: { REGISTRATION_TOKEN: registrationToken } });
  server = await startServer({ issuer: issuer.url });
});
afterAll(async () => {
  await disposeServer(server);
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json, headers: response.headers };
}

function tokenRequest(client: { client_id: string; client_secret: string }, params: Record<string, string>, headers: Record<string, string> = {}) {
  return json(`${issuer.url}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString("base64")}`,
      ...headers,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", ...params }),
  });
}

describe("finding 3: a client cannot raise its own scope", () => {
  it("an RFC 7592 update that widens scope is refused, and the client's tokens stay read-only at the API", async () => {
    const registered = await json(`${issuer.url}/reg`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${registrationToken}` },
      body: JSON.stringify({ client_name: "Attacker", scope: "parts:read", grant_types: ["client_credentials"] }),
    });
    expect(registered.status).toBe(201);
    const client = registered.body as { client_id: string; client_secret: string; registration_access_token: string; registration_client_uri: string };

    const widened = await json(client.registration_client_uri, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${client.registration_access_token}` },
      body: JSON.stringify({ client_id: client.client_id, client_name: "Attacker", scope: "parts:read parts:write", grant_types: ["client_credentials"] }),
    });
    expect(widened.status).toBe(400);
    expect(widened.body.error).toBe("invalid_client_metadata");
    expect(widened.body.error_description).toMatch(/scope cannot be widened/);

    expect((await tokenRequest(client, { scope: "parts:write" })).body.error).toBe("invalid_scope");
    const issued = await tokenRequest(client, {});
    expect(decodeJwt(issued.body.access_token as string).scope).toBe("parts:read");
    const write = await call(server.url, "mutation", "parts.create", { partNumber: "WIDE-1", modelNumber: "M", name: "Should not exist" }, issued.body.access_token as string);
    expect(write.status).toBe(403);
    expect(trpcError(write).authError).toBe("insufficient_scope");
  });

  it("registration refuses a scope the API does not know and an RSA key with a one-byte modulus", async () => {
    const register = (body: Json) =>
      json(`${issuer.url}/reg`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${registrationToken}` }, body: JSON.stringify(body) });
    expect((await register({ scope: "parts:read openid", grant_types: ["client_credentials"] })).body.error).toBe("invalid_client_metadata");
    const badKey = await register({ scope: "parts:read", grant_types: ["client_credentials"], token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [{ kty: "RSA", n: "AA", e: "AQAB" }] } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error).toBe("invalid_client_metadata");
  });
});

describe("finding 4: no DPoP-bound tokens", () => {
  it("discovery advertises no DPoP, and a token request with a DPoP proof is refused rather than bound", async () => {
    const metadata = await json(`${issuer.url}/.well-known/openid-configuration`);
    expect(metadata.body).not.toHaveProperty("dpop_signing_alg_values_supported");

    const registered = await json(`${issuer.url}/reg`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${registrationToken}` },
      body: JSON.stringify({ scope: "parts:read", grant_types: ["client_credentials"] }),
    });
    const client = registered.body as { client_id: string; client_secret: string };
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const proof = await new SignJWT({ htm: "POST", htu: `${issuer.url}/token`, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: await exportJWK(publicKey) })
      .setIssuedAt()
      .sign(privateKey);
    const answer = await tokenRequest(client, {}, { dpop: proof });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_request");
    expect(answer.body).not.toHaveProperty("access_token");

    const plain = await tokenRequest(client, {});
    expect(plain.body.token_type).toBe("Bearer");
    expect(decodeJwt(plain.body.access_token as string)).not.toHaveProperty("cnf");
  });
});

describe("finding 6: issuer CORS closed by default", () => {
  it("a preflight from another origin to /token gets no CORS grant", async () => {
    const response = await fetch(`${issuer.url}/token`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-methods")).toBeNull();
  });
});
