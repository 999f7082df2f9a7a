import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { basic, registrationToken, requestToken, startTestIssuer, tempDir } from "./testing.ts";

const dir = tempDir();
let issuer: RunningIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer(`${dir.path}/issuer.db`);
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

const metadata = { client_name: "Inventory sync", scope: "parts:read", grant_types: ["client_credentials"] };

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

  it("rejects a client without a scope, or with an unknown one", async () => {
    expect((await register({ client_name: "x" }, registrationToken)).body.error).toBe("invalid_client_metadata");
    expect((await register({ ...metadata, scope: "parts:admin" }, registrationToken)).body.error).toBe("invalid_client_metadata");
  });

  it("is closed (404) when the issuer has no registration token", async () => {
    const closed = await startTestIssuer(`${dir.path}/closed.db`, { registrationToken: undefined });
    try {
      const response = await fetch(`${closed.url}/reg`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(response.status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});

describe("client management (RFC 7592)", () => {
  it("reads, updates and deletes a registered client; the deleted client gets no more tokens", async () => {
    const created = (await register(metadata, registrationToken)).body;
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
      scope: "parts:read parts:write",
      grant_types: ["client_credentials"],
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ client_name: "Inventory sync v2", scope: "parts:read parts:write" });
    expect(updated.body).not.toHaveProperty("client_secret");
    const afterUpdate = await requestToken(issuer.url, { grant_type: "client_credentials" }, basic(clientId, secret));
    expect(afterUpdate.body.scope).toBe("parts:read parts:write");

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
});
