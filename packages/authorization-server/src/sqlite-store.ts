import { and, eq, sql } from "drizzle-orm";
import type { ClientMetadata } from "oidc-provider";
import { purgeExpired, SqliteAdapter } from "./adapter.ts";
import { openIssuerDatabase } from "./database.ts";
import { currentKeyActivatedAt, ensureSigningKeys, loadKeys, rotateSigningKey } from "./keys.ts";
import { oidcPayloads } from "./schema.ts";
import type { IssuerStore } from "./store.ts";

/** The issuer's store in one SQLite file (WAL; the CLI and a running issuer share it). */
export function openSqliteStore(file: string): IssuerStore {
  const database = openIssuerDatabase(file);
  const { db } = database;
  return {
    adapter: (model) => new SqliteAdapter(db, model),
    async listClients() {
      const rows = db.select({ payload: oidcPayloads.payload }).from(oidcPayloads).where(eq(oidcPayloads.model, "Client")).all();
      return rows.map((row) => JSON.parse(row.payload) as ClientMetadata);
    },
    async deleteClient(clientId) {
      return db.transaction((tx) => {
        tx.delete(oidcPayloads)
          .where(and(eq(oidcPayloads.model, "RegistrationAccessToken"), sql`json_extract(${oidcPayloads.payload}, '$.clientId') = ${clientId}`))
          .run();
        const { changes } = tx
          .delete(oidcPayloads)
          .where(and(eq(oidcPayloads.model, "Client"), eq(oidcPayloads.id, clientId)))
          .run();
        return changes > 0;
      });
    },
    ensureSigningKeys: () => ensureSigningKeys(db),
    // Its loadKeys deletes long-retired keys (SQLite has one process writing at a time anyway).
    rotateSigningKey: () => rotateSigningKey(db),
    async loadKeys(accessTokenTtl) {
      return loadKeys(db, accessTokenTtl);
    },
    async currentKeyActivatedAt() {
      return currentKeyActivatedAt(db);
    },
    async purgeExpired() {
      return purgeExpired(db);
    },
    async close() {
      database.close();
    },
  };
}
