import { jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeIssuer, type FakeIssuer, type FakeIssuerKey } from "@parts/fake-issuer";
import { createResilientKeySet } from "./jwks.ts";

let issuer: FakeIssuer;
/** Signing now (`current`) and published, not yet signing (`next`): the issuer's rotation scheme. */
let current: FakeIssuerKey;
let next: FakeIssuerKey;

beforeEach(async () => {
  issuer = await startFakeIssuer();
  current = issuer.keys[0]!;
  next = await issuer.rotate();
});
afterEach(() => issuer.close());

const jwksUri = () => new URL(`${issuer.issuer}/jwks`);
const verifyWith = (keySet: ReturnType<typeof createResilientKeySet>, key: FakeIssuerKey) =>
  issuer.sign({}, { key }).then((token) => jwtVerify(token, keySet));

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

describe("createResilientKeySet look-ahead", () => {
  it("fetches the set again once the next key starts signing, so the key after it is held before its first token", async () => {
    const keySet = createResilientKeySet(jwksUri());
    await verifyWith(keySet, current);
    expect(issuer.requests.jwks).toBe(1);
    // Rotation: `next` signs, a new next key is published. jose alone would not refetch (the set is fresh and
    // the kid known), and a token of the key after would then meet the 30 s unknown-kid cooldown.
    const after = await issuer.rotate();
    await verifyWith(keySet, next);
    await until(() => issuer.requests.jwks === 2);
    // Held already: it verifies even with the issuer unreachable (its own look-ahead then fails, harmlessly).
    issuer.setAvailable(false);
    await expect(verifyWith(keySet, after)).resolves.toBeDefined();
  });

  it("without the look-ahead, the key after the next one is unknown until the cooldown passes (the gap it closes)", async () => {
    const keySet = createResilientKeySet(jwksUri(), { lookAheadAttempts: 0 });
    await verifyWith(keySet, current);
    const after = await issuer.rotate();
    await verifyWith(keySet, next);
    await expect(verifyWith(keySet, after)).rejects.toMatchObject({ code: "ERR_JWKS_NO_MATCHING_KEY" });
    expect(issuer.requests.jwks).toBe(1);
  });

  it("tries again while the refetched set shows no new key (an issuer process that has not re-read its keys)", async () => {
    const keySet = createResilientKeySet(jwksUri(), { lookAheadRetryMs: 50 });
    await verifyWith(keySet, current);
    const after = await issuer.rotate({ publish: false });
    await verifyWith(keySet, next);
    await until(() => issuer.requests.jwks === 2);
    after.published = true;
    await until(() => issuer.requests.jwks === 3);
    // The new key appeared: no more look-ahead fetches for `next`.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(issuer.requests.jwks).toBe(3);
    issuer.setAvailable(false);
    await expect(verifyWith(keySet, after)).resolves.toBeDefined();
  });

  it("refetches a bounded number of times per new signing key, and never for a key it has seen signing", async () => {
    const keySet = createResilientKeySet(jwksUri(), { lookAheadRetryMs: 20, lookAheadAttempts: 3 });
    await verifyWith(keySet, current);
    await verifyWith(keySet, next);
    await until(() => issuer.requests.jwks === 4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(issuer.requests.jwks).toBe(4);
    for (let i = 0; i < 5; i++) await verifyWith(keySet, i % 2 === 0 ? current : next);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(issuer.requests.jwks).toBe(4);
  });
});
