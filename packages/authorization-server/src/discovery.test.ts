import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { startRealIssuer, tempDir } from "./testing.ts";

const dir = tempDir();
let issuer: RunningIssuer;

beforeAll(async () => {
  issuer = await startRealIssuer(`${dir.path}/issuer.db`);
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

async function getJson(path: string) {
  const response = await fetch(`${issuer.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("metadata", () => {
  it.each(["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"])(
    "%s names this issuer, its JWKS, token and registration endpoints, and only client_credentials",
    async (path) => {
      const { status, body } = await getJson(path);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        issuer: issuer.url,
        jwks_uri: `${issuer.url}/jwks`,
        token_endpoint: `${issuer.url}/token`,
        registration_endpoint: `${issuer.url}/reg`,
        grant_types_supported: ["client_credentials"],
        scopes_supported: ["parts:read", "parts:write"],
        response_types_supported: [],
      });
      expect(body.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post", "private_key_jwt"]);
      expect(body).not.toHaveProperty("authorization_endpoint");
    },
  );

  it("advertises no sender-constrained tokens: neither DPoP nor mTLS certificate binding", async () => {
    const { body } = await getJson("/.well-known/oauth-authorization-server");
    expect(body.token_endpoint).toBe(`${issuer.url}/token`);
    for (const member of ["dpop_signing_alg_values_supported", "tls_client_certificate_bound_access_tokens", "mtls_endpoint_aliases"]) {
      expect(body, member).not.toHaveProperty(member);
    }
  });

  it("publishes two RS256 public keys (signing and next) with kids and no private parts", async () => {
    const { status, body } = await getJson("/jwks");
    expect(status).toBe(200);
    const keys = body.keys as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(2);
    expect(new Set(keys.map((key) => key.kid)).size).toBe(2);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
      expect(typeof key.kid).toBe("string");
      for (const privateMember of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(privateMember);
    }
  });

  it("serves no end-user endpoints", async () => {
    for (const path of ["/auth", "/session/end", "/me", "/token/introspection", "/request"]) {
      const response = await fetch(`${issuer.url}${path}`);
      expect(response.status, path).toBe(404);
    }
  });
});
