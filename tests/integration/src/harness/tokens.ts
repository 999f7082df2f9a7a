import type { FakeIssuer } from "@parts/fake-issuer";

export const b64url = (value: string | Buffer | object) =>
  Buffer.from(typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString("base64url");

/** Standard RFC 9068 claims for `issuer`, valid for five minutes. */
export function validClaims(issuer: FakeIssuer, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer.issuer,
    aud: issuer.audience,
    sub: "attacker",
    client_id: "attacker",
    scope: "parts:read parts:write",
    iat: now,
    exp: now + 300,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

/** A compact JWS from raw parts, for tokens no library would produce. */
export function compact(header: object | string, payload: object | string, signature = ""): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}
