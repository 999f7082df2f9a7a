import { and, eq, gt, isNull, lte, or, type SQL } from "drizzle-orm";
import type { Adapter, AdapterFactory, AdapterPayload } from "oidc-provider";
import type { IssuerDb } from "./database.ts";
import { oidcPayloads } from "./schema.ts";
import { epochSeconds, payloadRow, replayModel, replayRefused } from "./store.ts";

/** oidc-provider's persistence contract over one SQLite table; expired rows read as absent. */
export class SqliteAdapter implements Adapter {
  constructor(
    private readonly db: IssuerDb,
    private readonly model: string,
  ) {}

  private live(where: SQL | undefined) {
    return and(eq(oidcPayloads.model, this.model), where, or(isNull(oidcPayloads.expiresAt), gt(oidcPayloads.expiresAt, epochSeconds())));
  }

  private findWhere(where: SQL): AdapterPayload | undefined {
    const row = this.db.select().from(oidcPayloads).where(this.live(where)).get();
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumedAt ? { ...payload, consumed: row.consumedAt } : payload;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = payloadRow(this.model, id, payload, expiresIn);
    const target = [oidcPayloads.model, oidcPayloads.id];
    if (this.model === replayModel) {
      // Insert-if-absent (an expired row may be replaced): a second use of one assertion is refused here
      // even when two requests both passed oidc-provider's find (see store.ts).
      const { changes } = this.db
        .insert(oidcPayloads)
        .values(row)
        .onConflictDoUpdate({ target, set: row, setWhere: lte(oidcPayloads.expiresAt, epochSeconds()) })
        .run();
      if (changes === 0) throw replayRefused();
      return;
    }
    this.db.insert(oidcPayloads).values(row).onConflictDoUpdate({ target, set: row }).run();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere(eq(oidcPayloads.id, id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere(eq(oidcPayloads.uid, uid));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere(eq(oidcPayloads.userCode, userCode));
  }

  async consume(id: string): Promise<void> {
    this.db
      .update(oidcPayloads)
      .set({ consumedAt: epochSeconds() })
      .where(and(eq(oidcPayloads.model, this.model), eq(oidcPayloads.id, id)))
      .run();
  }

  async destroy(id: string): Promise<void> {
    this.db.delete(oidcPayloads).where(and(eq(oidcPayloads.model, this.model), eq(oidcPayloads.id, id))).run();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.db.delete(oidcPayloads).where(eq(oidcPayloads.grantId, grantId)).run();
  }
}

export function createAdapterFactory(db: IssuerDb): AdapterFactory {
  return (model) => new SqliteAdapter(db, model);
}

/** Drops rows past their expiry (replay-detection entries, registration tokens); clients never expire. */
export function purgeExpired(db: IssuerDb): number {
  return db.delete(oidcPayloads).where(lte(oidcPayloads.expiresAt, epochSeconds())).run().changes;
}
