import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Marks a stored value as a hash, so an already-hashed secret is never hashed twice. */
const prefix = "sha256:";

/** 256 random bits, base64url: too much entropy to guess, so a fast hash is enough (no scrypt needed). */
export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function isHashedSecret(value: string): boolean {
  return value.startsWith(prefix);
}

/** What is stored in place of a client secret. */
function digest(secret: string): string {
  return prefix + createHash("sha256").update(secret, "utf8").digest("base64url");
}

/** What is stored in place of a client secret; idempotent so re-saving a loaded client keeps its hash. */
export function hashSecret(secret: string): string {
  return isHashedSecret(secret) ? secret : digest(secret);
}

/** Constant-time check of a presented secret against the stored hash (or a not-yet-stored plain value). */
export function secretMatches(stored: string | undefined, presented: string): boolean {
  if (!stored || !presented) return false;
  const expected = Buffer.from(hashSecret(stored));
  // Always hash what was presented: sending the stored hash itself must not authenticate.
  const actual = Buffer.from(digest(presented));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
