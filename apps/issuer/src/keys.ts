import { randomUUID } from "node:crypto";
import { desc, isNull, lte } from "drizzle-orm";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import type { IssuerDb } from "./database.ts";
import { signingKeys } from "./schema.ts";

/**
 * RS256: resource servers verify it fastest with jose on this hardware (~6k/s vs ~3.7k/s for ES256), and it
 * is the one algorithm every OAuth library and hosted issuer supports.
 */
export const signingAlg = "RS256";

/** Retired public keys stay published this long past the token TTL, covering verifier clock skew. */
const retirementMarginSec = 60;

const epoch = () => Math.floor(Date.now() / 1000);

async function newSigningKey(db: IssuerDb): Promise<string> {
  const { privateKey } = await generateKeyPair(signingAlg, { modulusLength: 2048, extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: signingAlg, use: "sig" };
  db.insert(signingKeys).values({ kid, privateJwk: JSON.stringify(jwk), createdAt: epoch() }).run();
  return kid;
}

/** The key that signs new tokens, created on first start. */
export async function ensureSigningKey(db: IssuerDb): Promise<string> {
  const active = db.select({ kid: signingKeys.kid }).from(signingKeys).where(isNull(signingKeys.retiredAt)).get();
  return active ? active.kid : newSigningKey(db);
}

/** Starts signing with a new key; the previous one is kept (verify-only) until its tokens have expired. */
export async function rotateSigningKey(db: IssuerDb): Promise<{ kid: string }> {
  db.update(signingKeys).set({ retiredAt: epoch() }).where(isNull(signingKeys.retiredAt)).run();
  return { kid: await newSigningKey(db) };
}

/**
 * Private JWKs for oidc-provider, the active (signing) key first: oidc-provider signs with the first key
 * that fits the algorithm and publishes the public halves of all of them. Keys retired longer ago than
 * the token TTL are deleted, since no unexpired token can carry their `kid`.
 */
export function loadKeys(db: IssuerDb, accessTokenTtl: number): JWK[] {
  db.delete(signingKeys)
    .where(lte(signingKeys.retiredAt, epoch() - accessTokenTtl - retirementMarginSec))
    .run();
  const rows = db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).all();
  const active = rows.filter((row) => row.retiredAt === null);
  const retired = rows.filter((row) => row.retiredAt !== null);
  return [...active, ...retired].map((row) => JSON.parse(row.privateJwk) as JWK);
}
