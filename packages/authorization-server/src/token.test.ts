import { randomUUID } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { basic, capturedLogger, requestToken, startRealIssuer, tempDir } from "./testing.ts";

const dir = tempDir();
const { lines: logLines, logger } = capturedLogger();
let issuer: RunningIssuer;
let reader: { clientId: string; clientSecret: string };

beforeAll(async () => {
  issuer = await startRealIssuer(`${dir.path}/issuer.db`, { accessTokenTtl: 600, logger });
  const created = await issuer.clients.create({ name: "Reader", scope: "parts:read" });
  reader = { clientId: created.clientId, clientSecret: created.clientSecret! };
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

const clientCredentials = (scope?: string) => ({ grant_type: "client_credentials", ...(scope !== undefined ? { scope } : {}) });

/** A real RFC 9449 proof for a token request, as a DPoP-capable client would send. */
async function dpopProof(htu: string): Promise<string> {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  return new SignJWT({ htm: "POST", htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: await exportJWK(publicKey) })
    .sign(privateKey);
}

describe("client_credentials token", () => {
  it("is an RFC 9068 JWT access token for the API audience, without the client sending resource", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, body } = await requestToken(issuer.url, clientCredentials("parts:read"), basic(reader.clientId, reader.clientSecret));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: "parts:read" });
    const token = body.access_token!;
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: "RS256", typ: "at+jwt", kid: expect.any(String) });
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(["aud", "client_id", "exp", "iat", "iss", "jti", "scope", "sub"]);
    expect(claims).toMatchObject({ iss: issuer.url, aud: "api://parts", sub: reader.clientId, client_id: reader.clientId, scope: "parts:read" });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(typeof claims.jti).toBe("string");
  });

  it("without a scope parameter carries the client's whole allowed set", async () => {
    const writer = await issuer.clients.create({ name: "Writer", scope: "parts:read parts:write" });
    const { status, body } = await requestToken(issuer.url, clientCredentials(), basic(writer.clientId, writer.clientSecret!));
    expect(status).toBe(200);
    expect(body.scope).toBe("parts:read parts:write");
    expect(decodeJwt(body.access_token!).scope).toBe("parts:read parts:write");
  });
});

describe("token endpoint errors", () => {
  it("a wrong secret is 401 invalid_client with WWW-Authenticate: Basic, logged with the client id but not the secret", async () => {
    const wrongSecret = "definitely-not-the-secret-value";
    const { status, headers, body } = await requestToken(issuer.url, clientCredentials(), basic(reader.clientId, wrongSecret));
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_client");
    expect(headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(JSON.stringify(body)).not.toMatch(/\bat\s|\.ts:|\.js:/);
    const failure = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === "client authentication failed");
    expect(failure).toMatchObject({ clientId: reader.clientId, level: 40 });
    expect(logLines.join("")).not.toContain(wrongSecret);
    expect(logLines.join("")).not.toContain(reader.clientSecret);
  });

  it("an unknown client is 401 invalid_client", async () => {
    const { status, body } = await requestToken(issuer.url, clientCredentials(), basic("no-such-client", "whatever"));
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_client");
  });

  it("a scope outside the client's allowed set is invalid_scope", async () => {
    const { status, body } = await requestToken(issuer.url, clientCredentials("parts:read parts:write"), basic(reader.clientId, reader.clientSecret));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_scope");
  });

  it("an unknown scope is invalid_scope, not silently dropped", async () => {
    const { status, body } = await requestToken(issuer.url, clientCredentials("parts:read parts:admin"), basic(reader.clientId, reader.clientSecret));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_scope");
  });

  it("openid is not a scope of this issuer either", async () => {
    const { status, body } = await requestToken(issuer.url, clientCredentials("openid"), basic(reader.clientId, reader.clientSecret));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_scope");
  });

  it("requested with a DPoP proof is refused with invalid_request, not issued as a DPoP or silently Bearer token", async () => {
    const response = await fetch(`${issuer.url}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: basic(reader.clientId, reader.clientSecret),
        dpop: await dpopProof(`${issuer.url}/token`),
      },
      body: new URLSearchParams(clientCredentials("parts:read")),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({
      error: "invalid_request",
      error_description: "DPoP is not supported: this issuer issues Bearer tokens only; send the token request without a DPoP header",
    });
  });

  it("never carries a cnf (proof-of-possession) claim", async () => {
    const { body } = await requestToken(issuer.url, clientCredentials("parts:read"), basic(reader.clientId, reader.clientSecret));
    expect(body.token_type).toBe("Bearer");
    expect(decodeJwt(body.access_token!)).not.toHaveProperty("cnf");
  });

  it("other grant types are unsupported_grant_type", async () => {
    const { status, body } = await requestToken(
      issuer.url,
      { grant_type: "password", username: "a", password: "b" },
      basic(reader.clientId, reader.clientSecret),
    );
    expect(status).toBe(400);
    expect(body.error).toBe("unsupported_grant_type");
  });
});
