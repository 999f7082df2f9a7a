import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createPartsClient } from "./client.ts";
import { TokenRequestError } from "./errors.ts";
import { createTokenProvider, refreshMarginMs } from "./token-provider.ts";
import { countingFetch, startApi, startStack, type Stack } from "@parts/test-stack";

const stacks: Stack[] = [];
async function stackWith(options: { accessTokenTtl?: number } = {}): Promise<Stack> {
  const stack = await startStack(options);
  stacks.push(stack);
  return stack;
}
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
}

describe("refreshMarginMs", () => {
  it("is 10% of short lifetimes and at most 60 s", () => {
    expect(refreshMarginMs(2_000)).toBe(200);
    expect(refreshMarginMs(300_000)).toBe(30_000);
    expect(refreshMarginMs(3_600_000)).toBe(60_000);
  });
});

describe("createTokenProvider", () => {
  it("gets a token for the requested scope and reuses it", async () => {
    const stack = await stackWith();
    const fetch = countingFetch();
    const tokens = createTokenProvider({ issuer: stack.issuer.url, ...stack.client, scope: "parts:read", fetch });
    const first = await tokens.getToken();
    expect(claimsOf(first.accessToken)).toMatchObject({ client_id: stack.client.clientId, scope: "parts:read", aud: "api://parts" });
    expect(first.expiresAt).toBeGreaterThan(Date.now());
    expect(await tokens.getAccessToken()).toBe(first.accessToken);
    expect(fetch.tokenRequests).toBe(1);
  });

  it("answers 50 concurrent callers with one token request", async () => {
    const stack = await stackWith();
    const fetch = countingFetch();
    const tokens = createTokenProvider({ issuer: stack.issuer.url, ...stack.client, fetch });
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getAccessToken()));
    expect(new Set(results).size).toBe(1);
    expect(fetch.tokenRequests).toBe(1);
  });

  it("invalidate(token) drops only that token, once", async () => {
    const stack = await stackWith();
    const fetch = countingFetch();
    const tokens = createTokenProvider({ issuer: stack.issuer.url, ...stack.client, fetch });
    const first = await tokens.getAccessToken();
    tokens.invalidate(first);
    const second = await tokens.getAccessToken();
    tokens.invalidate(first); // a late rejection of the old token must not drop the new one
    expect(await tokens.getAccessToken()).toBe(second);
    expect(second).not.toBe(first);
    expect(fetch.tokenRequests).toBe(2);
  });

  it("authenticates with private_key_jwt when given a private key", async () => {
    const stack = await stackWith();
    const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ]);
    const jwk = { ...(await crypto.subtle.exportKey("jwk", publicKey)), kid: "client-key-1", alg: "ES256", use: "sig" };
    const registered = await stack.issuer.clients.create({
      name: "pkjwt",
      scope: "parts:read",
      authMethod: "private_key_jwt",
      jwks: { keys: [jwk] },
    });
    expect(registered.clientSecret).toBeUndefined();
    const parts = createPartsClient({
      url: stack.api.url,
      issuer: stack.issuer.url,
      clientId: registered.clientId,
      privateKey: { key: privateKey, kid: "client-key-1" },
      scope: "parts:read",
    });
    expect(await parts.parts.list.query({ limit: 1 })).toHaveProperty("items");
  });

  it("reports an unreachable issuer as network_error", async () => {
    const stack = await stackWith();
    const issuer = stack.issuer.url;
    await stack.issuer.close();
    const tokens = createTokenProvider({ issuer, ...stack.client });
    const error = await tokens.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).code).toBe("network_error");
  });

  it("refuses a plain-http issuer off loopback unless allowInsecureIssuer is set", () => {
    const base = { clientId: "c", clientSecret: "s" };
    expect(() => createTokenProvider({ issuer: "http://id.example.com", ...base })).toThrow(/allowInsecureIssuer/);
    expect(() => createTokenProvider({ issuer: "http://id.example.com", ...base, allowInsecureIssuer: true })).not.toThrow();
    expect(() => createTokenProvider({ issuer: "http://localhost:4000", ...base })).not.toThrow();
    expect(() => createTokenProvider({ issuer: "https://id.example.com", ...base })).not.toThrow();
  });
});

describe("token lifecycle through the client", () => {
  it("replaces an expiring token before using it", async () => {
    const stack = await stackWith({ accessTokenTtl: 2 });
    const fetch = countingFetch();
    const tokens = createTokenProvider({ issuer: stack.issuer.url, ...stack.client, fetch });
    const parts = createPartsClient({ url: stack.api.url, tokens, fetch });
    await parts.parts.list.query({ limit: 1 });
    const first = await tokens.getToken();
    const requestsBefore = fetch.tokenRequests; // 1, or 2 if a slow machine already passed the refresh point
    expect(first.expiresAt! - Date.now()).toBeLessThanOrEqual(2_000);
    // Past the refresh point (expiry minus 10% of the lifetime) the cached token must not be sent again. The
    // lifetime the provider sees is 2 s, or 1 s when a millisecond passed between receipt and openid-client's
    // `expiresIn()` (whole seconds left, rounded down): 50 ms before expiry is past the refresh point of both.
    await sleep(Math.max(0, first.expiresAt! - Date.now() - 50));
    await parts.parts.list.query({ limit: 1 });
    expect(fetch.tokenRequests).toBe(requestsBefore + 1);
    expect(await tokens.getAccessToken()).not.toBe(first.accessToken);
  });

  it("keeps working from the cached token while the issuer is down", async () => {
    const stack = await stackWith();
    const fetch = countingFetch();
    const parts = createPartsClient({ url: stack.api.url, issuer: stack.issuer.url, ...stack.client, fetch });
    await parts.parts.create.mutate({ partNumber: "PN-DOWN", modelNumber: "M", name: "Before" });
    await stack.issuer.close();
    const page = await parts.parts.list.query({ q: "PN-DOWN" });
    expect(page.items.map((p) => p.name)).toEqual(["Before"]);
    expect(fetch.tokenRequests).toBe(1);
  });

  /*
   * Scenario: emergency revocation of a leaked signing key. The operator rotates the key and removes the
   * leaked one from the issuer at once (the issuer has no revoke command, so the test deletes its row from
   * the issuer's key table; the running issuer re-reads its keys every second and stops publishing it).
   * A freshly started API instance (empty verified-token cache, as after a deploy) then rejects the client's
   * cached token with 401 invalid_token ("no matching signing key"). The client must drop that token, get
   * one signed by the new key, and retry the call once, invisibly to the caller.
   */
  it("retries once with a new token when the API answers invalid_token", async () => {
    const stack = await stackWith();
    const fetch = countingFetch();
    const tokens = createTokenProvider({ issuer: stack.issuer.url, ...stack.client, fetch });
    const parts = createPartsClient({ url: stack.api.url, tokens, fetch });
    await parts.parts.create.mutate({ partNumber: "PN-ROT", modelNumber: "M", name: "Rotated" });
    const oldToken = await tokens.getAccessToken();

    await stack.issuer.keys.rotate();
    const issuerDb = new Database(stack.dir.file("issuer.db"));
    const removed = issuerDb.prepare("delete from signing_keys where retired_at is not null").run().changes;
    issuerDb.close();
    expect(removed).toBe(1);
    // The issuer re-reads its key set at most once a second: wait until its JWKS no longer lists the old kid.
    const oldKid = (JSON.parse(Buffer.from(oldToken.split(".")[0]!, "base64url").toString()) as { kid: string }).kid;
    const { jwks_uri } = (await (await fetch(`${stack.issuer.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    for (;;) {
      const { keys } = (await (await fetch(jwks_uri)).json()) as { keys: { kid: string }[] };
      if (!keys.some((k) => k.kid === oldKid)) break;
      await sleep(200);
    }

    const port = Number(new URL(stack.api.origin).port);
    await stack.api.close();
    stack.api = await startApi({ issuerUrl: stack.issuer.url, databaseFile: stack.dir.file("parts.db"), port });

    fetch.reset();
    const page = await parts.parts.list.query({ q: "PN-ROT" });
    expect(page.items.map((p) => p.name)).toEqual(["Rotated"]);
    expect(fetch.tokenRequests).toBe(1);
    // The rejected call and its one retry (a request on a keep-alive socket of the stopped API may also have
    // failed without an answer and been retried, which is why answered requests are counted).
    expect(fetch.apiResponses).toBe(2);
    expect(await tokens.getAccessToken()).not.toBe(oldToken);
  });

  it("does not retry more than once when the new token is rejected too", async () => {
    const stack = await stackWith();
    const fetch = countingFetch();
    // An API instance configured for another audience rejects every token from our issuer as invalid_token.
    const other = await startApi({ issuerUrl: stack.issuer.url, databaseFile: stack.dir.file("other.db"), audience: "api://other" });
    try {
      const parts = createPartsClient({ url: other.url, issuer: stack.issuer.url, ...stack.client, fetch });
      const error = (await parts.parts.list.query({ limit: 1 }).catch((e: unknown) => e)) as { data?: { authError?: string } };
      expect(error.data?.authError).toBe("invalid_token");
      expect(fetch.apiRequests).toBe(2);
      expect(fetch.tokenRequests).toBe(2);
    } finally {
      await other.close();
    }
  });
});
