import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";

/**
 * Which public keys a client may register for `private_key_jwt`. oidc-provider only checks that the JWK
 * members are non-empty strings (an RSA modulus of "AA" passes) and skips key types it does not know, so
 * every key is imported here and its type and size checked before the client is stored.
 */
const minRsaBits = 2048;
/** Verifying with a huge modulus costs the issuer, not the client; nothing legitimate needs more. */
const maxRsaBits = 8192;
/** JWK curve name → node:crypto's name for it. */
const ecCurves = new Map([
  ["P-256", "prime256v1"],
  ["P-384", "secp384r1"],
  ["P-521", "secp521r1"],
]);
/** RFC 7518/8037 private members, and `k` (a symmetric key is a shared secret, never a public key). */
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** Why `jwk` may not be registered, or undefined if it is an allowed public key. `label` names it in the message. */
export function jwkProblem(jwk: unknown, label: string): string | undefined {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return `${label} must be a JSON object`;
  const members = jwk as Record<string, unknown>;
  const secret = privateMembers.find((member) => member in members);
  if (secret !== undefined) return `${label} contains private key material ("${secret}"); register public keys only`;
  const { kty, crv } = members;
  if (kty !== "RSA" && kty !== "EC" && !(kty === "OKP" && crv === "Ed25519")) {
    return `${label} has an unsupported key type: allowed are RSA (${minRsaBits} bits or more), EC P-256/P-384/P-521 and OKP Ed25519`;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: members as JsonWebKey, format: "jwk" });
  } catch {
    return `${label} is not a valid ${kty} public key`;
  }
  return sizeProblem(key, members, label);
}

function sizeProblem(key: KeyObject, jwk: Record<string, unknown>, label: string): string | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (bits < minRsaBits || bits > maxRsaBits) return `${label} is a ${bits}-bit RSA key; between ${minRsaBits} and ${maxRsaBits} bits are allowed`;
    return undefined;
  }
  if (key.asymmetricKeyType === "ec") {
    // createPublicKey also knows secp256k1 and others; only the NIST curves of RFC 7518 are allowed.
    if (typeof jwk.crv !== "string" || ecCurves.get(jwk.crv) !== details.namedCurve) {
      return `${label} uses an unsupported EC curve: allowed are P-256, P-384 and P-521`;
    }
    return undefined;
  }
  if (key.asymmetricKeyType === "ed25519") return undefined;
  return `${label} is not a valid ${String(jwk.kty)} public key`;
}

/** The first problem with a registered `jwks` value, or undefined if every key in it may be registered. */
export function jwksProblem(jwks: unknown): string | undefined {
  if (typeof jwks !== "object" || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    return "jwks must be an object with a keys array";
  }
  const { keys } = jwks as { keys: unknown[] };
  if (keys.length === 0) return "jwks must contain at least one key";
  for (const [index, jwk] of keys.entries()) {
    const problem = jwkProblem(jwk, `jwks.keys[${index}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
