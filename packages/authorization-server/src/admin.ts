import { createClientAdmin, type ClientAdmin } from "./clients.ts";
import { openIssuerDatabase } from "./database.ts";
import { ensureSigningKeys, loadKeys, rotateSigningKey } from "./keys.ts";
import { createProvider } from "./provider.ts";

export interface IssuerAdmin {
  clients: ClientAdmin;
  keys: { rotate(): Promise<{ kid: string; next: string }> };
  close(): void;
}

/**
 * Client and key operations on an issuer's database without serving HTTP: what the CLI and the launcher
 * use. Safe while the issuer runs (SQLite WAL + busy timeout); it picks up key changes within a second.
 */
export async function openIssuerAdmin(options: { databaseFile: string; accessTokenTtl?: number }): Promise<IssuerAdmin> {
  const database = openIssuerDatabase(options.databaseFile);
  const { db } = database;
  try {
    await ensureSigningKeys(db);
    // Only used to validate client metadata with oidc-provider's own schema; never listens.
    const provider = createProvider(db, {
      issuer: "http://127.0.0.1",
      audience: "api://parts",
      accessTokenTtl: options.accessTokenTtl ?? 3600,
      keys: loadKeys(db, options.accessTokenTtl ?? 3600),
    });
    return {
      clients: createClientAdmin(db, () => provider),
      keys: { rotate: () => rotateSigningKey(db) },
      close: () => database.close(),
    };
  } catch (error) {
    database.close();
    throw error;
  }
}
