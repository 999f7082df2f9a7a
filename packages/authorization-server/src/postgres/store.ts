import { and, asc, desc, eq, gt, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { JWK } from "jose";
import type { Adapter, AdapterPayload, ClientMetadata } from "oidc-provider";
import { generateKey, retirementMarginSec, type NewKey } from "../keys.ts";
import { epochSeconds, payloadRow, replayModel, replayRefused, type IssuerStore } from "../store.ts";
import { mapStoreErrors, openIssuerPostgres, signingKeysLock, type IssuerPgDb, type OpenIssuerPostgresOptions } from "./database.ts";
import { oidcPayloads, signingKeys } from "./schema.ts";

/** oidc-provider's persistence contract over one PostgreSQL table; expired rows read as absent. */
export class PostgresAdapter implements Adapter {
  constructor(
    private readonly db: IssuerPgDb,
    private readonly model: string,
  ) {}

  private findWhere(where: SQL): Promise<AdapterPayload | undefined> {
    return mapStoreErrors(() => this.findRow(where));
  }

  private async findRow(where: SQL): Promise<AdapterPayload | undefined> {
    const [row] = await this.db
      .select()
      .from(oidcPayloads)
      .where(and(eq(oidcPayloads.model, this.model), where, or(isNull(oidcPayloads.expiresAt), gt(oidcPayloads.expiresAt, epochSeconds()))))
      .limit(1);
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumedAt ? { ...payload, consumed: row.consumedAt } : payload;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    return mapStoreErrors(() => this.save(id, payload, expiresIn));
  }

  private async save(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = payloadRow(this.model, id, payload, expiresIn);
    const target = [oidcPayloads.model, oidcPayloads.id];
    if (this.model === replayModel) {
      // INSERT … ON CONFLICT: the unique key decides between two issuers racing one assertion; only an
      // expired row may be replaced. No row written means the assertion was used already (see store.ts).
      const result = await this.db
        .insert(oidcPayloads)
        .values(row)
        .onConflictDoUpdate({ target, set: row, setWhere: lte(oidcPayloads.expiresAt, epochSeconds()) });
      if (result.rowCount === 0) throw replayRefused();
      return;
    }
    await this.db.insert(oidcPayloads).values(row).onConflictDoUpdate({ target, set: row });
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere(eq(oidcPayloads.id, id));
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere(eq(oidcPayloads.uid, uid));
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere(eq(oidcPayloads.userCode, userCode));
  }

  async consume(id: string): Promise<void> {
    await mapStoreErrors(() =>
      this.db
        .update(oidcPayloads)
        .set({ consumedAt: epochSeconds() })
        .where(and(eq(oidcPayloads.model, this.model), eq(oidcPayloads.id, id))),
    );
  }

  async destroy(id: string): Promise<void> {
    await mapStoreErrors(() => this.db.delete(oidcPayloads).where(and(eq(oidcPayloads.model, this.model), eq(oidcPayloads.id, id))));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await mapStoreErrors(() => this.db.delete(oidcPayloads).where(eq(oidcPayloads.grantId, grantId)));
  }
}

type Tx = Parameters<Parameters<IssuerPgDb["transaction"]>[0]>[0];

async function kidWithStatus(tx: Tx | IssuerPgDb, status: "current" | "next"): Promise<string | undefined> {
  const [row] = await tx.select({ kid: signingKeys.kid }).from(signingKeys).where(eq(signingKeys.status, status));
  return row?.kid;
}

/**
 * Key changes run in a transaction that first takes a transaction-scoped advisory lock, so two issuer
 * processes (or an issuer and the CLI) change the key set one after the other, each seeing the other's
 * result. The partial unique indexes on `status` are the backstop: even code that skipped the lock could
 * not leave two current or two next keys.
 */
async function underKeysLock<T>(db: IssuerPgDb, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${signingKeysLock[0]}, ${signingKeysLock[1]})`);
    return work(tx);
  });
}

async function ensureSigningKeys(db: IssuerPgDb): Promise<{ current: string; next: string }> {
  const missing = Number((await kidWithStatus(db, "current")) === undefined) + Number((await kidWithStatus(db, "next")) === undefined);
  // RSA generation is slow: done before taking the lock; keys another process created meanwhile win.
  const pool: NewKey[] = await Promise.all(Array.from({ length: missing }, generateKey));
  return underKeysLock(db, async (tx) => {
    const now = epochSeconds();
    const take = async () => pool.pop() ?? (await generateKey());
    let current = await kidWithStatus(tx, "current");
    if (current === undefined) {
      // With no signing key, the next key is promoted: it is the one verifiers may already hold.
      current = await kidWithStatus(tx, "next");
      if (current !== undefined) await tx.update(signingKeys).set({ status: "current", activatedAt: now }).where(eq(signingKeys.kid, current));
      else {
        const key = await take();
        await tx.insert(signingKeys).values({ ...key, status: "current", createdAt: now, activatedAt: now });
        current = key.kid;
      }
    }
    let next = await kidWithStatus(tx, "next");
    if (next === undefined) {
      const key = await take();
      await tx.insert(signingKeys).values({ ...key, status: "next", createdAt: now });
      next = key.kid;
    }
    return { current, next };
  });
}

/** `accessTokenTtl`: keys retired longer ago than this (plus a margin) are deleted, as no live token names them. */
async function rotateSigningKey(db: IssuerPgDb, accessTokenTtl: number): Promise<{ kid: string; next: string }> {
  await ensureSigningKeys(db);
  const fresh = await generateKey();
  return underKeysLock(db, async (tx) => {
    const now = epochSeconds();
    const promote = await kidWithStatus(tx, "next");
    if (promote === undefined) throw new Error("no next signing key to promote");
    // In this order, so no statement ever sees two current or two next keys.
    await tx.update(signingKeys).set({ status: "retired", retiredAt: now }).where(eq(signingKeys.status, "current"));
    await tx.update(signingKeys).set({ status: "current", activatedAt: now }).where(eq(signingKeys.kid, promote));
    await tx.insert(signingKeys).values({ ...fresh, status: "next", createdAt: now });
    await tx.delete(signingKeys).where(lte(signingKeys.retiredAt, now - accessTokenTtl - retirementMarginSec));
    return { kid: promote, next: fresh.kid };
  });
}

/**
 * Read-only, since every issuer process runs it every second: keys retired longer ago than a token TTL are left
 * out here and deleted by the next rotation (under the keys lock).
 */
async function loadKeys(db: IssuerPgDb, accessTokenTtl: number): Promise<JWK[]> {
  const cutoff = epochSeconds() - accessTokenTtl - retirementMarginSec;
  const rows = await db
    .select()
    .from(signingKeys)
    .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, cutoff)))
    .orderBy(desc(signingKeys.createdAt), asc(signingKeys.kid));
  const order = { current: 0, next: 1, retired: 2 } as const;
  // Stable sort: within a status, newest first.
  rows.sort((a, b) => order[a.status] - order[b.status]);
  return rows.map((row) => JSON.parse(row.privateJwk) as JWK);
}

/** The issuer's store in a PostgreSQL database, shared by any number of issuer processes and the CLI. */
export async function openPostgresStore(url: string, options: OpenIssuerPostgresOptions = {}): Promise<IssuerStore> {
  const { db, pool, close } = await openIssuerPostgres(url, options);
  return {
    adapter: (model) => new PostgresAdapter(db, model),
    listClients: () => mapStoreErrors(async () => {
      const rows = await db.select({ payload: oidcPayloads.payload }).from(oidcPayloads).where(eq(oidcPayloads.model, "Client"));
      return rows.map((row) => JSON.parse(row.payload) as ClientMetadata);
    }),
    deleteClient: (clientId) => mapStoreErrors(() =>
      db.transaction(async (tx) => {
        await tx
          .delete(oidcPayloads)
          .where(and(eq(oidcPayloads.model, "RegistrationAccessToken"), sql`(${oidcPayloads.payload})::jsonb ->> 'clientId' = ${clientId}`));
        const deleted = await tx
          .delete(oidcPayloads)
          .where(and(eq(oidcPayloads.model, "Client"), eq(oidcPayloads.id, clientId)))
          .returning({ id: oidcPayloads.id });
        return deleted.length > 0;
      }),
    ),
    ensureSigningKeys: () => mapStoreErrors(() => ensureSigningKeys(db)),
    rotateSigningKey: (accessTokenTtl) => mapStoreErrors(() => rotateSigningKey(db, accessTokenTtl)),
    loadKeys: (accessTokenTtl) => mapStoreErrors(() => loadKeys(db, accessTokenTtl)),
    currentKeyActivatedAt: () =>
      mapStoreErrors(async () => {
        const [row] = await db.select({ at: signingKeys.activatedAt }).from(signingKeys).where(eq(signingKeys.status, "current"));
        return row?.at ?? undefined;
      }),
    purgeExpired: () => mapStoreErrors(async () => {
      const deleted = await db.delete(oidcPayloads).where(lte(oidcPayloads.expiresAt, epochSeconds())).returning({ id: oidcPayloads.id });
      return deleted.length;
    }),
    pool,
    close,
  };
}
