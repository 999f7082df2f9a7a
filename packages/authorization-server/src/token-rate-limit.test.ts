import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { basic, requestToken, startRealIssuer, tempDir } from "./testing.ts";
import { claimedClientId } from "./token-rate-limit.ts";

const dir = tempDir();
let issuer: RunningIssuer;
const perMinute = (points: number) => ({ points, windowSeconds: 60, burst: 0 });
const grant = { grant_type: "client_credentials" };

beforeAll(async () => {
  issuer = await startRealIssuer(`${dir.path}/issuer.db`, { tokenRateLimit: { client: perMinute(2) } });
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

describe("the token endpoint's per-client limit", () => {
  it("answers 429 temporarily_unavailable with Retry-After and the RateLimit fields once a client is over; another client is served", async () => {
    const a = await issuer.clients.create({ name: "A", scope: "parts:read" });
    const b = await issuer.clients.create({ name: "B", scope: "parts:read" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await requestToken(issuer.url, grant, basic(a.clientId, a.clientSecret!))).status);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await requestToken(issuer.url, grant, basic(a.clientId, a.clientSecret!));
    expect(refused.body.error).toBe("temporarily_unavailable");
    expect(refused.body.error_description).toMatch(/^too many token requests from this client; retry after \d+ s$/);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.headers.get("ratelimit-policy")).toBe('"client";q=2;w=60');
    expect(refused.headers.get("ratelimit")).toMatch(/^"client";r=0;t=\d+$/);
    expect((await requestToken(issuer.url, grant, basic(b.clientId, b.clientSecret!))).status).toBe(200);
  });

  it("counts a client_assertion's client and still lets oidc-provider read the form it consumed", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), alg: "ES256", use: "sig" };
    const client = await issuer.clients.create({ name: "Keyed", scope: "parts:read", authMethod: "private_key_jwt", jwks: { keys: [jwk] } });
    const assertion = () =>
      new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: "ES256" })
        .setIssuer(client.clientId)
        .setSubject(client.clientId)
        .setAudience(issuer.url)
        .setIssuedAt()
        .setExpirationTime("1m")
        .sign(privateKey);
    const form = async () => ({ ...grant, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await assertion() });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await requestToken(issuer.url, await form())).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe("the token endpoint's per-address limit", () => {
  it("counts every token request from an address, whatever client it names or X-Forwarded-For claims", async () => {
    const local = tempDir();
    const limited = await startRealIssuer(`${local.path}/issuer.db`, { tokenRateLimit: { address: perMinute(2) } });
    try {
      const client = await limited.clients.create({ name: "Any", scope: "parts:read" });
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${limited.url}/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(i % 2 ? client.clientId : `other-${i}`, client.clientSecret!), "x-forwarded-for": `198.51.100.${i}` },
          body: new URLSearchParams(grant),
        });
        statuses.push(response.status);
        if (i === 3) expect(((await response.json()) as { error_description: string }).error_description).toMatch(/^too many token requests from this address/);
      }
      expect(statuses).toEqual([401, 200, 429, 429]);
    } finally {
      await limited.close();
      local.remove();
    }
  });
});

describe("claimedClientId", () => {
  it("takes the Basic user, else client_id, else the assertion's sub; verifies nothing", () => {
    expect(claimedClientId(basic("svc a", "s"), undefined)).toBe("svc a");
    expect(claimedClientId("", new URLSearchParams({ client_id: "form-client" }))).toBe("form-client");
    const unsigned = `e30.${Buffer.from(JSON.stringify({ sub: "asserted" })).toString("base64url")}.x`;
    expect(claimedClientId("", new URLSearchParams({ client_assertion: unsigned }))).toBe("asserted");
    expect(claimedClientId("Bearer x", new URLSearchParams({ client_assertion: "not-a-jwt" }))).toBeUndefined();
  });
});
