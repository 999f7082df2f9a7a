import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, isNotNull, isNull, lte } from "drizzle-orm";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import type { IssuerDb } from "./database.ts";
import { signingKeys } from "./schema.ts";

/**
 * RS256: resource servers verify it fastest with jose on this hardware (~6k/s vs ~3.7k/s for ES256), and it
 * is the one algorithm every OAuth library and hosted issuer supports.
 */
export const signingAlg = "RS256";

/** Retired public keys stay published this long past the token TTL, covering verifier clock skew. */
export const retirementMarginSec = 60;

const epoch = () => Math.floor(Date.now() / 1000);

/*
 * Key life cycle: next (published, not signing) -> current (signing) -> retired (published until every
 * token it signed has expired) -> deleted. There is always one current and one next key, so a resource
 * server that refreshed its JWKS after the previous rotation already holds the key the next rotation
 * starts signing with, and never has to refetch for an unknown `kid` (which verifiers rate-limit).
 */

export interface NewKey {
  kid: string;
  privateJwk: string;
}

export async function generateKey(): Promise<NewKey> {
  const { privateKey } = await generateKeyPair(signingAlg, { modulusLength: 2048, extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: signingAlg, use: "sig" };
  return { kid, privateJwk: JSON.stringify(jwk) };
}

/** Reads go through the database or a transaction on it. */
type Reader = Pick<IssuerDb, "select">;

const currentWhere = and(isNotNull(signingKeys.activatedAt), isNull(signingKeys.retiredAt));
const nextWhere = and(isNull(signingKeys.activatedAt), isNull(signingKeys.retiredAt));

function currentKid(db: Reader): string | undefined {
  return db.select({ kid: signingKeys.kid }).from(signingKeys).where(currentWhere).orderBy(desc(signingKeys.activatedAt)).get()?.kid;
}

/** When the current key started signing (seconds since the epoch); the metrics report its age. */
export function currentKeyActivatedAt(db: Reader): number | undefined {
  return db.select({ at: signingKeys.activatedAt }).from(signingKeys).where(currentWhere).orderBy(desc(signingKeys.activatedAt)).get()?.at ?? undefined;
}

function nextKid(db: Reader): string | undefined {
  return db.select({ kid: signingKeys.kid }).from(signingKeys).where(nextWhere).orderBy(asc(signingKeys.createdAt)).get()?.kid;
}

/**
 * Makes sure a current (signing) key and a next key exist, creating both on first start; returns the kids.
 * Keys are generated outside the write transaction (RSA generation is slow) and inserted only if still
 * missing, so a CLI and a running issuer can both call this.
 */
export async function ensureSigningKeys(db: IssuerDb): Promise<{ current: string; next: string }> {
  const hasCurrent = currentKid(db) !== undefined;
  const hasNext = nextKid(db) !== undefined;
  const pool = await Promise.all(Array.from({ length: !hasCurrent && !hasNext ? 2 : Number(!hasCurrent || !hasNext) }, generateKey));
  return db.transaction(
    (tx) => {
      const now = epoch();
      const take = () => {
        const key = pool.pop();
        if (!key) throw new Error("signing keys changed concurrently; retry");
        return key;
      };
      let current = currentKid(tx);
      if (current === undefined) {
        // With no signing key, the next key is promoted: it is the one verifiers may already hold.
        current = nextKid(tx);
        if (current !== undefined) tx.update(signingKeys).set({ activatedAt: now }).where(eq(signingKeys.kid, current)).run();
        else {
          const key = take();
          tx.insert(signingKeys).values({ ...key, createdAt: now, activatedAt: now }).run();
          current = key.kid;
        }
      }
      let next = nextKid(tx);
      if (next === undefined) {
        const key = take();
        tx.insert(signingKeys).values({ ...key, createdAt: now }).run();
        next = key.kid;
      }
      return { current, next };
    },
    { behavior: "immediate" },
  );
}

/**
 * `keys rotate`: the next key starts signing, the current one is retired (still published until its tokens
 * have expired) and a new next key is published. Returns the kid that now signs and the new next kid.
 */
export async function rotateSigningKey(db: IssuerDb): Promise<{ kid: string; next: string }> {
  await ensureSigningKeys(db);
  const fresh = await generateKey();
  return db.transaction(
    (tx) => {
      const now = epoch();
      const promote = nextKid(tx);
      if (promote === undefined) throw new Error("no next signing key to promote");
      tx.update(signingKeys).set({ retiredAt: now }).where(currentWhere).run();
      tx.update(signingKeys).set({ activatedAt: now }).where(eq(signingKeys.kid, promote)).run();
      tx.insert(signingKeys).values({ ...fresh, createdAt: now }).run();
      return { kid: promote, next: fresh.kid };
    },
    { behavior: "immediate" },
  );
}

/**
 * Private JWKs for oidc-provider in the order current, next, retired: oidc-provider signs with the FIRST key
 * that fits the algorithm and publishes the public halves of all of them, so the next key must come after
 * the current one. Keys retired longer ago than the token TTL are deleted, since no unexpired token can
 * carry their `kid`.
 */
export function loadKeys(db: IssuerDb, accessTokenTtl: number): JWK[] {
  db.delete(signingKeys)
    .where(lte(signingKeys.retiredAt, epoch() - accessTokenTtl - retirementMarginSec))
    .run();
  const rows = db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).all();
  const current = rows.filter((row) => row.activatedAt !== null && row.retiredAt === null);
  current.sort((a, b) => b.activatedAt! - a.activatedAt!);
  const next = rows.filter((row) => row.activatedAt === null && row.retiredAt === null);
  const retired = rows.filter((row) => row.retiredAt !== null);
  return [...current, ...next, ...retired].map((row) => JSON.parse(row.privateJwk) as JWK);
}
