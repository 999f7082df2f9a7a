import { createHash, randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { capturedLogger, requestToken, startRealIssuer, tempDir } from "./testing.ts";

const dir = tempDir();
const file = `${dir.path}/issuer.db`;
const { lines: logLines, logger } = capturedLogger();
let issuer: RunningIssuer;
let clientId: string;
let privateKey: CryptoKey;

beforeAll(async () => {
  issuer = await startRealIssuer(file, { logger });
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), alg: "ES256", use: "sig" };
  ({ clientId } = await issuer.clients.create({ name: "Signer", scope: "parts:read", authMethod: "private_key_jwt", jwks: { keys: [jwk] } }));
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

const now = () => Math.floor(Date.now() / 1000);
const tokenEndpoint = () => `${issuer.url}/token`;

/** A signed client assertion; `claims` overrides (undefined removes) the defaults of a good one. */
async function assertion(claims: JWTPayload = {}): Promise<{ jwt: string; jti: string }> {
  const payload: JWTPayload = { iss: clientId, sub: clientId, aud: tokenEndpoint(), jti: randomUUID(), iat: now(), exp: now() + 60, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return { jwt: await new SignJWT(payload).setProtectedHeader({ alg: "ES256" }).sign(privateKey), jti: String(payload.jti) };
}

function tokenRequest(jwt: string) {
  return requestToken(issuer.url, {
    grant_type: "client_credentials",
    client_id: clientId,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: jwt,
  });
}

/** The reason the issuer logged for the last failed client authentication. */
function lastFailureReason(): unknown {
  const failures = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === "client authentication failed");
  return failures.at(-1)?.reason;
}

/** Seconds until the replay-detection row for this assertion expires, or undefined if there is none. */
function replayRowLifetime(jti: string): number | undefined {
  // oidc-provider keys the row by a hash of issuer and jti (lib/models/replay_detection.js).
  const id = createHash("sha256").update(`${clientId}${jti}`).digest("base64url");
  const sqlite = new Database(file, { readonly: true });
  try {
    const row = sqlite.prepare("select expires_at from oidc_payloads where model = 'ReplayDetection' and id = ?").get(id) as { expires_at: number } | undefined;
    return row ? row.expires_at - now() : undefined;
  } finally {
    sqlite.close();
  }
}

describe("private_key_jwt client assertions", () => {
  it.each([
    ["the token endpoint URL", () => tokenEndpoint()],
    ["the issuer identifier", () => issuer.url],
    ["a one-member array of the token endpoint URL", () => [tokenEndpoint()]],
  ])("are accepted for %s with a lifetime of five minutes at most", async (_name, aud) => {
    const { jwt, jti } = await assertion({ aud: aud(), exp: now() + 300 });
    const { status, body } = await tokenRequest(jwt);
    expect(status).toBe(200);
    expect(body.scope).toBe("parts:read");
    // The replay row lives as long as the assertion could: minutes, not years.
    expect(replayRowLifetime(jti)).toBeGreaterThan(0);
    expect(replayRowLifetime(jti)).toBeLessThanOrEqual(300 + 15);
  });

  it("valid for ten years are rejected, and leave no replay row behind", async () => {
    const { jwt, jti } = await assertion({ exp: now() + 10 * 365 * 86_400 });
    const { status, body } = await tokenRequest(jwt);
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_client");
    expect(lastFailureReason()).toBe("client assertion lifetime (exp - iat) must not exceed 300 seconds");
    expect(replayRowLifetime(jti)).toBeUndefined();
  });

  it("without iat are rejected", async () => {
    const { jwt } = await assertion({ iat: undefined });
    const { status } = await tokenRequest(jwt);
    expect(status).toBe(401);
    expect(lastFailureReason()).toBe("client assertion must have an iat (issued at) claim");
  });

  it("issued in the future so as to expire more than five minutes from now are rejected", async () => {
    const { jwt } = await assertion({ iat: now() + 3600, exp: now() + 3660 });
    const { status } = await tokenRequest(jwt);
    expect(status).toBe(401);
    expect(lastFailureReason()).toBe("client assertion must expire within 300 seconds");
  });

  it.each([
    ["the token endpoint and another audience", () => [tokenEndpoint(), "https://other.example/token"]],
    ["another audience only", () => "https://other.example/token"],
    ["an empty array", () => []],
  ])("whose aud is %s are rejected", async (_name, aud) => {
    const { jwt } = await assertion({ aud: aud() });
    const { status, body } = await tokenRequest(jwt);
    expect(status).toBe(401);
    expect(body.error).toBe("invalid_client");
  });

  it("with an extra audience fail on this issuer's rule, not only oidc-provider's", async () => {
    const { jwt } = await assertion({ aud: [issuer.url, "https://other.example/token"] });
    expect((await tokenRequest(jwt)).status).toBe(401);
    expect(lastFailureReason()).toBe("client assertion aud must be exactly the issuer identifier or the token endpoint URL, with no other audience");
  });
});
