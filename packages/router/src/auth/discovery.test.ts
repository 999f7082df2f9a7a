import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverIssuer } from "./discovery.ts";
import { createTokenVerifier } from "./verifier.ts";

let issuer: FakeIssuer;
beforeAll(async () => {
  issuer = await startFakeIssuer();
});
afterAll(() => issuer.close());

describe("issuer discovery", () => {
  it("returns the JWKS location and the token endpoint", async () => {
    expect(await discoverIssuer(issuer.issuer)).toEqual({ jwksUri: new URL(`${issuer.issuer}/jwks`), tokenEndpoint: new URL(`${issuer.issuer}/token`) });
  });

  it("gives the verifier's token endpoint from the discovery its keys needed: one metadata fetch for both", async () => {
    const before = issuer.requests.discovery;
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    expect(String(await verifier.tokenEndpoint())).toBe(`${issuer.issuer}/token`);
    await verifier.verify(await issuer.sign());
    expect(issuer.requests.discovery - before).toBe(1);
  });

  it("rejects the token endpoint while the issuer cannot be reached", async () => {
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    issuer.setAvailable(false);
    try {
      await expect(verifier.tokenEndpoint()).rejects.toThrow(/issuer metadata answered 503/);
    } finally {
      issuer.setAvailable(true);
    }
  });
});
