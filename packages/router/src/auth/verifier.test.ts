import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { UnsecuredJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { AuthError } from "./errors.ts";
import { createTokenVerifier, type TokenVerifier } from "./verifier.ts";

let issuer: FakeIssuer;
let verifier: TokenVerifier;

beforeEach(async () => {
  issuer = await startFakeIssuer();
  verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
});
afterEach(() => issuer.close());

async function rejection(token: string, v: TokenVerifier = verifier): Promise<AuthError> {
  const error = await v.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe("token verifier", () => {
  it.each([
    ["DPoP-bound (cnf.jkt)", { jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" }],
    ["certificate-bound (cnf.x5t#S256)", { "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" }],
  ])("refuses a %s token presented as Bearer (RFC 9449 §7.2)", async (_kind, cnf) => {
    const error = await rejection(await issuer.sign({ cnf }));
    expect(error.code).toBe("invalid_token");
    expect(error.description).toBe("sender-constrained tokens (cnf) are not accepted; request a Bearer token");
    // and it is not cached as if valid
    expect((await rejection(await issuer.sign({ cnf }))).code).toBe("invalid_token");
  });

  it("accepts a valid RFC 9068 token and returns the principal", async () => {
    const principal = await verifier.verify(await issuer.sign({ client_id: "billing", sub: "billing", scope: "parts:read" }));
    expect(principal).toMatchObject({ clientId: "billing", subject: "billing", scopes: ["parts:read"] });
  });

  it("finds the JWKS through discovery once and reuses verified tokens", async () => {
    const token = await issuer.sign();
    for (let i = 0; i < 5; i++) await verifier.verify(token);
    await verifier.verify(await issuer.sign());
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it("counts verified-token cache hits and misses (a failed verification is a miss)", async () => {
    const token = await issuer.sign();
    for (let i = 0; i < 3; i++) await verifier.verify(token);
    await rejection(await issuer.sign({ aud: "api://other" }));
    expect(verifier.cacheStats).toEqual({ hits: 2, misses: 2 });
  });

  it.each([
    ["expired", { exp: Math.floor(Date.now() / 1000) - 60 }, "token expired"],
    ["not yet valid", { nbf: Math.floor(Date.now() / 1000) + 600 }, "token not yet valid"],
    ["issued in the future", { iat: Math.floor(Date.now() / 1000) + 600 }, "token issued in the future"],
    ["wrong issuer", { iss: "https://evil.example" }, "issuer mismatch"],
    ["issuer with a trailing slash", { iss: "TRAILING" }, "issuer mismatch"],
    ["wrong audience", { aud: "api://other" }, "audience mismatch"],
    ["audience array without ours", { aud: ["api://a", "api://b"] }, "audience mismatch"],
    ["missing exp", { exp: undefined }, 'missing "exp" claim'],
  ])("rejects a token that is %s", async (_name, claims, description) => {
    const resolved = { ...claims } as Record<string, unknown>;
    if (resolved.iss === "TRAILING") resolved.iss = `${issuer.issuer}/`;
    const error = await rejection(await issuer.sign(resolved));
    expect(error.code).toBe("invalid_token");
    expect(error.description).toBe(description);
    expect(error.status).toBe(401);
  });

  it("accepts an audience array that contains ours", async () => {
    await expect(verifier.verify(await issuer.sign({ aud: ["api://x", issuer.audience] }))).resolves.toBeDefined();
  });

  it("requires typ at+jwt by default and can accept untyped tokens (Okta)", async () => {
    const untyped = await issuer.sign({}, { header: { typ: "JWT" } });
    expect((await rejection(untyped)).description).toBe("token type must be at+jwt");
    const lenient = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, requireAccessTokenType: false });
    await expect(lenient.verify(untyped)).resolves.toMatchObject({ clientId: "test-client" });
  });

  it("reads Okta-style scp arrays and cid", async () => {
    const token = await issuer.sign({ scope: undefined, scp: ["parts:read"], client_id: undefined, cid: "okta-app", sub: "okta-app" });
    expect(await verifier.verify(token)).toMatchObject({ clientId: "okta-app", scopes: ["parts:read"] });
  });

  it("rejects unsigned tokens and never allows none or HS algorithms", async () => {
    const unsigned = new UnsecuredJWT({ iss: issuer.issuer, aud: issuer.audience, sub: "x", client_id: "x", exp: Math.floor(Date.now() / 1000) + 60 })
      .encode();
    expect((await rejection(unsigned)).code).toBe("invalid_token");
    expect(() => createTokenVerifier({ issuer: issuer.issuer, audience: "a", algorithms: ["HS256"] })).toThrow(/not allowed/);
    expect(() => createTokenVerifier({ issuer: issuer.issuer, audience: "a", algorithms: ["none"] })).toThrow(/not allowed/);
  });

  it("rejects a token signed by an unpublished key, even with a known kid", async () => {
    const rogue = await issuer.rotate({ publish: false, kid: issuer.keys[0]!.kid });
    const error = await rejection(await issuer.sign({}, { key: rogue }));
    expect(error.description).toBe("signature verification failed");
  });

  it("picks up a rotated key: an unknown kid triggers a refetch once the cooldown has passed", async () => {
    // Look-ahead off: the fetch counted here is the unknown-kid refetch alone (jwks.test.ts covers the look-ahead).
    const v = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, keys: { cooldownMs: 50, lookAheadAttempts: 0 } });
    await v.verify(await issuer.sign());
    await issuer.rotate();
    await new Promise((r) => setTimeout(r, 60));
    await expect(v.verify(await issuer.sign())).resolves.toBeDefined();
    expect(issuer.requests.jwks).toBe(2);
  });

  it("refetches the JWKS at most once per cooldown (30 s by default) for unknown kids", async () => {
    // jose times the cooldown with Date.now(): move the clock instead of waiting.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      await verifier.verify(await issuer.sign());
      const unknown = await issuer.rotate({ publish: false, kid: "never-published" });
      const rejectTen = async () => {
        for (let i = 0; i < 10; i++) {
          expect((await rejection(await issuer.sign({}, { key: unknown }))).description).toBe("no matching signing key");
        }
      };
      await rejectTen();
      expect(issuer.requests.jwks).toBe(1);
      vi.setSystemTime(Date.now() + 31_000);
      await rejectTen();
      expect(issuer.requests.jwks).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps verifying with cached keys while the issuer is down", async () => {
    const v = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, cacheSize: 0, keys: { maxAgeMs: 0 } });
    await v.verify(await issuer.sign());
    issuer.setAvailable(false);
    await expect(v.verify(await issuer.sign())).resolves.toMatchObject({ clientId: "test-client" });
  });

  it("while the issuer is down, falls back to the newest keys it fetched (a rotation included)", async () => {
    const v = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, cacheSize: 0, keys: { maxAgeMs: 0, cooldownMs: 0 } });
    await v.verify(await issuer.sign());
    await issuer.rotate();
    await v.verify(await issuer.sign());
    expect(issuer.requests.jwks).toBeGreaterThanOrEqual(2);
    issuer.setAvailable(false);
    await expect(v.verify(await issuer.sign())).resolves.toMatchObject({ clientId: "test-client" });
  });

  it("answers issuer_unavailable (503) when no keys were ever loaded, and recovers", async () => {
    const v = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, discoveryRetryMs: 0 });
    issuer.setAvailable(false);
    const error = await rejection(await issuer.sign(), v);
    expect(error.code).toBe("issuer_unavailable");
    expect(error.status).toBe(503);
    expect(await v.ready()).toBe(false);
    issuer.setAvailable(true);
    expect(await v.ready()).toBe(true);
    await expect(v.verify(await issuer.sign())).resolves.toBeDefined();
  });

  it("falls back to RFC 8414 metadata and refuses metadata for another issuer", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/.well-known/oauth-authorization-server/tenant") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ issuer: `${base}/tenant`, jwks_uri: `${issuer.issuer}/jwks` }));
      } else if (req.url === "/.well-known/openid-configuration") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ issuer: "https://someone-else.example", jwks_uri: `${issuer.issuer}/jwks` }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const tenant = createTokenVerifier({ issuer: `${base}/tenant`, audience: issuer.audience });
      await expect(tenant.verify(await issuer.sign({ iss: `${base}/tenant` }))).resolves.toBeDefined();
      const mismatched = createTokenVerifier({ issuer: base, audience: issuer.audience });
      expect((await rejection(await issuer.sign({ iss: base }), mismatched)).code).toBe("issuer_unavailable");
    } finally {
      server.close();
    }
  });

  it("never echoes the token in an error", async () => {
    const token = await issuer.sign({ aud: "api://other" });
    const error = await rejection(token);
    expect(JSON.stringify({ m: error.message, d: error.description })).not.toContain(token.split(".")[1]!);
  });
});
