import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { basic, registrationToken, requestToken, startRealIssuer, tempDir } from "./testing.ts";

const dir = tempDir();
let issuer: RunningIssuer;

beforeAll(async () => {
  issuer = await startRealIssuer(`${dir.path}/issuer.db`);
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

const metadata = { client_name: "Inventory sync", scope: "parts:read", grant_types: ["client_credentials"] };

type KeyType = "rsa" | "ec" | "ed25519" | "x25519";

function privateJwk(type: KeyType, options: object = {}): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync(type as "ec", options as { namedCurve: string });
  return privateKey.export({ format: "jwk" }) as Record<string, unknown>;
}

function publicJwk(type: KeyType, options: object = {}): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync(type as "ec", options as { namedCurve: string });
  return publicKey.export({ format: "jwk" }) as Record<string, unknown>;
}

const keyClient = (keys: object[]) => ({ ...metadata, token_endpoint_auth_method: "private_key_jwt", jwks: { keys } });

async function register(body: unknown, token?: string) {
  const response = await fetch(`${issuer.url}/reg`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function manage(method: string, uri: string, accessToken: string, body?: unknown) {
  const response = await fetch(uri, {
    method,
    headers: { authorization: `Bearer ${accessToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

describe("dynamic client registration (RFC 7591)", () => {
  it("is refused without an initial access token", async () => {
    const { status, body } = await register(metadata);
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_token");
  });

  it("is refused with a wrong initial access token", async () => {
    const { status, body } = await register(metadata, "wrong-token-wrong-token-wrong-token");
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_token");
  });

  it("with the right token creates a client that can get a token", async () => {
    const { status, body } = await register(metadata, registrationToken);
    expect(status).toBe(201);
    expect(body).toMatchObject({ client_name: "Inventory sync", scope: "parts:read", token_endpoint_auth_method: "client_secret_basic" });
    expect(body.client_secret).toEqual(expect.any(String));
    const token = await requestToken(issuer.url, { grant_type: "client_credentials" }, basic(body.client_id as string, body.client_secret as string));
    expect(token.status).toBe(200);
    expect(token.body.scope).toBe("parts:read");
  });

  it("gives registered clients UUIDs, never an id a command line takes for an option", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await register(metadata, registrationToken)).body.client_id as string));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("rejects a client without a scope, or with an unknown one", async () => {
    expect((await register({ client_name: "x" }, registrationToken)).body.error).toBe("invalid_client_metadata");
    expect((await register({ ...metadata, scope: "parts:admin" }, registrationToken)).body.error).toBe("invalid_client_metadata");
  });

  it("rejects openid, which oidc-provider itself would accept as a scope", async () => {
    const { status, body } = await register({ ...metadata, scope: "parts:read openid" }, registrationToken);
    expect(status).toBe(400);
    expect(body).toEqual({ error: "invalid_client_metadata", error_description: "scope openid is not supported (supported: parts:read parts:write)" });
  });

  it.each([
    ["an RSA modulus that is no key", { kty: "RSA", n: "AA", e: "AQAB" }, "jwks.keys[0] is a 0-bit RSA key; between 2048 and 8192 bits are allowed"],
    ["an EC point that is not on the curve", { kty: "EC", crv: "P-256", x: "AA", y: "AA" }, "jwks.keys[0] is not a valid EC public key"],
    ["a 1024-bit RSA key", publicJwk("rsa", { modulusLength: 1024 }), "jwks.keys[0] is a 1024-bit RSA key; between 2048 and 8192 bits are allowed"],
    ["an EC key on secp256k1", publicJwk("ec", { namedCurve: "secp256k1" }), "jwks.keys[0] uses an unsupported EC curve: allowed are P-256, P-384 and P-521"],
    ["an X25519 key", publicJwk("x25519"), "jwks.keys[0] has an unsupported key type: allowed are RSA (2048 bits or more), EC P-256/P-384/P-521 and OKP Ed25519"],
    ["a symmetric key", { kty: "oct", k: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0" }, 'jwks.keys[0] contains private key material ("k"); register public keys only'],
    ["a private RSA key", privateJwk("rsa", { modulusLength: 2048 }), 'jwks.keys[0] contains private key material ("d"); register public keys only'],
    ["a private EC key", privateJwk("ec", { namedCurve: "P-256" }), 'jwks.keys[0] contains private key material ("d"); register public keys only'],
  ])("rejects a private_key_jwt client whose jwks holds %s", async (_name, jwk, description) => {
    const { status, body } = await register(keyClient([jwk]), registrationToken);
    expect(status).toBe(400);
    expect(body).toEqual({ error: "invalid_client_metadata", error_description: description });
  });

  it("accepts RSA 2048, EC P-256/P-384/P-521 and Ed25519 public keys", async () => {
    const keys = [
      publicJwk("rsa", { modulusLength: 2048 }),
      publicJwk("ec", { namedCurve: "P-256" }),
      publicJwk("ec", { namedCurve: "P-384" }),
      publicJwk("ec", { namedCurve: "P-521" }),
      publicJwk("ed25519"),
    ];
    const { status, body } = await register(keyClient(keys), registrationToken);
    expect(status).toBe(201);
    expect((body.jwks as { keys: unknown[] }).keys).toHaveLength(5);
  });

  it("rejects jwks_uri: the issuer fetches no client-named URLs", async () => {
    const { status, body } = await register({ ...metadata, token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://internal.example/keys" }, registrationToken);
    expect(status).toBe(400);
    expect(body).toEqual({ error: "invalid_client_metadata", error_description: "jwks_uri is not supported; register the public keys inline as jwks" });
  });

  it("is closed (404) when the issuer has no registration token", async () => {
    const closed = await startRealIssuer(`${dir.path}/closed.db`, { registrationToken: undefined });
    try {
      const response = await fetch(`${closed.url}/reg`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(response.status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});

describe("client management (RFC 7592)", () => {
  it("reads, narrows and deletes a registered client; the deleted client gets no more tokens", async () => {
    const created = (await register({ ...metadata, scope: "parts:read parts:write" }, registrationToken)).body;
    const uri = created.registration_client_uri as string;
    const clientId = created.client_id as string;
    const secret = created.client_secret as string;
    expect(uri).toBe(`${issuer.url}/reg/${clientId}`);

    const read = await manage("GET", uri, created.registration_access_token as string);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ client_id: clientId, client_name: "Inventory sync" });
    expect(read.body).not.toHaveProperty("client_secret");
    expect(JSON.stringify(read.body)).not.toContain("sha256:");

    const updated = await manage("PUT", uri, read.body.registration_access_token as string, {
      client_id: clientId,
      client_name: "Inventory sync v2",
      scope: "parts:read",
      grant_types: ["client_credentials"],
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ client_name: "Inventory sync v2", scope: "parts:read" });
    expect(updated.body).not.toHaveProperty("client_secret");
    const afterUpdate = await requestToken(issuer.url, { grant_type: "client_credentials" }, basic(clientId, secret));
    expect(afterUpdate.body.scope).toBe("parts:read");

    const removed = await manage("DELETE", uri, updated.body.registration_access_token as string);
    expect(removed.status).toBe(204);
    const afterDelete = await requestToken(issuer.url, { grant_type: "client_credentials" }, basic(clientId, secret));
    expect(afterDelete.status).toBe(401);
    expect(afterDelete.body.error).toBe("invalid_client");
  });

  it("refuses management without the client's registration access token", async () => {
    const created = (await register(metadata, registrationToken)).body;
    const read = await manage("GET", created.registration_client_uri as string, "not-the-registration-access-token");
    expect(read.status).toBe(401);
    expect(read.body.error).toBe("invalid_token");
  });

  it("refuses an update that widens scope; the stored client and its tokens keep the old scope", async () => {
    const created = (await register(metadata, registrationToken)).body;
    const uri = created.registration_client_uri as string;
    const clientId = created.client_id as string;
    const rat = created.registration_access_token as string;

    const widened = await manage("PUT", uri, rat, { ...metadata, client_id: clientId, scope: "parts:read parts:write" });
    expect(widened.status).toBe(400);
    expect(widened.body).toEqual({
      error: "invalid_client_metadata",
      error_description: "scope cannot be widened by a client update: parts:write is not in the client's current scope (only the issuer's operator can grant it)",
    });

    const stored = await manage("GET", uri, rat);
    expect(stored.status).toBe(200);
    expect(stored.body.scope).toBe("parts:read");
    const token = await requestToken(issuer.url, { grant_type: "client_credentials" }, basic(clientId, created.client_secret as string));
    expect(token.body.scope).toBe("parts:read");
    const asked = await requestToken(issuer.url, { grant_type: "client_credentials", scope: "parts:write" }, basic(clientId, created.client_secret as string));
    expect(asked.body.error).toBe("invalid_scope");
  });

  it("refuses an update that adds a grant type", async () => {
    const created = (await register(metadata, registrationToken)).body;
    const update = { ...metadata, client_id: created.client_id, grant_types: ["client_credentials", "refresh_token"] };
    const { status, body } = await manage("PUT", created.registration_client_uri as string, created.registration_access_token as string, update);
    expect(status).toBe(400);
    expect(body).toEqual({
      error: "invalid_client_metadata",
      error_description: "grant_types cannot be widened by a client update: refresh_token is not among the client's current grant types",
    });
  });

  it("refuses an update that changes token_endpoint_auth_method", async () => {
    const created = (await register(keyClient([publicJwk("ed25519")]), registrationToken)).body;
    const update = { ...metadata, client_id: created.client_id, token_endpoint_auth_method: "client_secret_basic" };
    const { status, body } = await manage("PUT", created.registration_client_uri as string, created.registration_access_token as string, update);
    expect(status).toBe(400);
    expect(body).toEqual({
      error: "invalid_client_metadata",
      error_description: "token_endpoint_auth_method cannot be changed by a client update (it is private_key_jwt)",
    });
    expect(body).not.toHaveProperty("client_secret");
  });

  it("lets a private_key_jwt client replace its keys, checked as at registration", async () => {
    const created = (await register(keyClient([publicJwk("ed25519")]), registrationToken)).body;
    const uri = created.registration_client_uri as string;
    const replacement = publicJwk("ec", { namedCurve: "P-256" });

    const rotated = await manage("PUT", uri, created.registration_access_token as string, { ...keyClient([replacement]), client_id: created.client_id });
    expect(rotated.status).toBe(200);
    expect(rotated.body.jwks).toEqual({ keys: [replacement] });

    const weak = await manage("PUT", uri, rotated.body.registration_access_token as string, {
      ...keyClient([publicJwk("rsa", { modulusLength: 1024 })]),
      client_id: created.client_id,
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toBe("invalid_client_metadata");
    const stored = await manage("GET", uri, rotated.body.registration_access_token as string);
    expect(stored.body.jwks).toEqual({ keys: [replacement] });
  });
});
