import { statSync } from "node:fs";
import Database from "better-sqlite3";
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { registrationToken, requestToken, startRealIssuer, tempDir, tokenFor } from "./testing.ts";

const dir = tempDir();
const file = `${dir.path}/issuer.db`;
let issuer: RunningIssuer;

beforeAll(async () => {
  issuer = await startRealIssuer(file);
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

/** Verifies like a resource server that has just fetched the issuer's JWKS. */
async function verify(token: string, issuerUrl = issuer.url) {
  const keys = createRemoteJWKSet(new URL(`${issuerUrl}/jwks`));
  const { payload } = await jwtVerify(token, keys, { issuer: issuerUrl, audience: "api://parts", typ: "at+jwt" });
  return payload;
}

async function restart(): Promise<void> {
  const port = Number(new URL(issuer.url).port);
  await issuer.close();
  issuer = await startRealIssuer(file, { port });
  // This process's fetch pool may still hold keep-alive sockets to the old server on the same port; each
  // failed attempt discards one. (A real resource server lives in another process and reconnects.)
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      await fetch(`${issuer.url}/jwks`);
      return;
    } catch {
      // stale pooled connection; try the next one
    }
  }
}

describe("persistence", () => {
  it("keeps clients and signing keys across a restart; earlier tokens still verify", async () => {
    const client = await issuer.clients.create({ name: "Survivor", scope: "parts:read" });
    const before = await tokenFor(issuer.url, client.clientId, client.clientSecret!);
    await restart();
    expect((await issuer.clients.list()).map((c) => c.clientId)).toContain(client.clientId);
    await expect(verify(before)).resolves.toMatchObject({ client_id: client.clientId });
    const after = await tokenFor(issuer.url, client.clientId, client.clientSecret!);
    expect(decodeProtectedHeader(after).kid).toBe(decodeProtectedHeader(before).kid);
  });

  it("stores no client secret in plain text, and keeps the database file owner-only", async () => {
    const created = await issuer.clients.create({ name: "Hashed", scope: "parts:read" });
    const registered = (await (
      await fetch(`${issuer.url}/reg`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${registrationToken}` },
        body: JSON.stringify({ client_name: "Registered", scope: "parts:read" }),
      })
    ).json()) as { client_secret: string };
    const secrets = [created.clientSecret!, registered.client_secret];
    const sqlite = new Database(file, { readonly: true });
    try {
      const tables = sqlite.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>;
      let cells = 0;
      for (const { name } of tables) {
        for (const row of sqlite.prepare(`select * from "${name}"`).all() as Array<Record<string, unknown>>) {
          for (const value of Object.values(row)) {
            cells += 1;
            for (const secret of secrets) expect(String(value)).not.toContain(secret);
          }
        }
      }
      expect(cells).toBeGreaterThan(0);
      const stored = sqlite.prepare("select payload from oidc_payloads where model = 'Client' and id = ?").get(created.clientId) as { payload: string };
      expect(JSON.parse(stored.payload).client_secret).toMatch(/^sha256:/);
    } finally {
      sqlite.close();
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("a deleted client can no longer get tokens", async () => {
    const client = await issuer.clients.create({ name: "Doomed", scope: "parts:read" });
    await tokenFor(issuer.url, client.clientId, client.clientSecret!);
    expect(await issuer.clients.delete(client.clientId)).toBe(true);
    expect(await issuer.clients.delete(client.clientId)).toBe(false);
    await expect(tokenFor(issuer.url, client.clientId, client.clientSecret!)).rejects.toThrow(/401 invalid_client/);
  });

  it("a rotated secret replaces the old one at once", async () => {
    const client = await issuer.clients.create({ name: "Rotating", scope: "parts:read" });
    const rotated = await issuer.clients.rotateSecret(client.clientId);
    expect(rotated.clientSecret).not.toBe(client.clientSecret);
    await expect(tokenFor(issuer.url, client.clientId, client.clientSecret!)).rejects.toThrow(/401/);
    await expect(tokenFor(issuer.url, client.clientId, rotated.clientSecret)).resolves.toEqual(expect.any(String));
  });
});

describe("signing key rotation", () => {
  const jwksKids = async () =>
    ((await (await fetch(`${issuer.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);

  it("publishes a next key besides the signing key from the first start; the signing key is listed first", async () => {
    const client = await issuer.clients.create({ name: "Next key", scope: "parts:read" });
    const signedWith = decodeProtectedHeader(await tokenFor(issuer.url, client.clientId, client.clientSecret!)).kid;
    const kids = await jwksKids();
    expect(kids.length).toBeGreaterThanOrEqual(2);
    expect(kids[0]).toBe(signedWith);
    const sqlite = new Database(file, { readonly: true });
    const next = sqlite.prepare("select kid from signing_keys where activated_at is null and retired_at is null").pluck().all();
    sqlite.close();
    expect(next).toHaveLength(1);
    expect(kids).toContain(next[0]);
    expect(next[0]).not.toBe(signedWith);
  });

  it("rotation: the previously published next key signs, old tokens still verify, a new next key appears", async () => {
    const client = await issuer.clients.create({ name: "Rotation", scope: "parts:read" });
    const old = await tokenFor(issuer.url, client.clientId, client.clientSecret!);
    const oldKid = decodeProtectedHeader(old).kid;
    const publishedBefore = await jwksKids();
    // A resource server that fetched the JWKS before the rotation, and never fetches it again.
    const fetchedBefore = createLocalJWKSet((await (await fetch(`${issuer.url}/jwks`)).json()) as JSONWebKeySet);

    const { kid, next } = await issuer.keys.rotate();
    const fresh = await tokenFor(issuer.url, client.clientId, client.clientSecret!);
    expect(decodeProtectedHeader(fresh).kid).toBe(kid);
    expect(kid).not.toBe(oldKid);
    expect(publishedBefore).toContain(kid);
    await expect(
      jwtVerify(fresh, fetchedBefore, { issuer: issuer.url, audience: "api://parts", typ: "at+jwt" }),
    ).resolves.toMatchObject({ payload: { client_id: client.clientId } });

    const publishedAfter = await jwksKids();
    expect(publishedAfter[0]).toBe(kid);
    expect(publishedAfter).toContain(oldKid);
    expect(publishedAfter).toContain(next);
    expect(publishedBefore).not.toContain(next);
    await expect(verify(old)).resolves.toMatchObject({ client_id: client.clientId });
    await expect(verify(fresh)).resolves.toMatchObject({ client_id: client.clientId });
  });

  it("drops a retired public key once every token it signed has expired; the current and next keys stay", async () => {
    expect((await jwksKids()).length).toBeGreaterThan(2);
    // Pretend the retirements happened two token lifetimes ago.
    const sqlite = new Database(file);
    sqlite.prepare("update signing_keys set retired_at = retired_at - 7200 where retired_at is not null").run();
    sqlite.close();
    await restart();
    expect(await jwksKids()).toHaveLength(2);
  });
});

describe("private_key_jwt", () => {
  it("a client with no shared secret authenticates with a signed assertion", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const client = await issuer.clients.create({
      name: "Key holder",
      scope: "parts:write",
      authMethod: "private_key_jwt",
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" }] },
    });
    expect(client.clientSecret).toBeUndefined();
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(issuer.url)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(privateKey);
    const { status, body } = await requestToken(issuer.url, {
      grant_type: "client_credentials",
      client_id: client.clientId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
    });
    expect(status).toBe(200);
    await expect(verify(body.access_token!)).resolves.toMatchObject({ client_id: client.clientId, scope: "parts:write" });
    // The same assertion cannot be replayed.
    const replay = await requestToken(issuer.url, {
      grant_type: "client_credentials",
      client_id: client.clientId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
    });
    expect(replay.body.error).toBe("invalid_client");
  });
});
