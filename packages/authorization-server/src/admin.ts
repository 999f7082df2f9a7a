import { createClientAdmin, type ClientAdmin } from "./clients.ts";
import { openIssuerStore } from "./open-store.ts";
import type { IssuerPoolSettings } from "./issuer.ts";
import { createProvider } from "./provider.ts";
import type { IssuerStoreLocation } from "./store.ts";

export interface IssuerAdmin {
  clients: ClientAdmin;
  keys: { rotate(): Promise<{ kid: string; next: string }> };
  close(): Promise<void>;
}

/**
 * Client and key operations on an issuer's database without serving HTTP: what the CLI and the launcher
 * use. Safe while issuers run (SQLite WAL + busy timeout; on PostgreSQL key changes take a lock); running
 * issuers pick up key changes within a second or two.
 */
export async function openIssuerAdmin(options: IssuerStoreLocation & { accessTokenTtl?: number; databasePool?: IssuerPoolSettings }): Promise<IssuerAdmin> {
  const store = await openIssuerStore(options, options.databasePool);
  try {
    await store.ensureSigningKeys();
    // Only used to validate client metadata with oidc-provider's own schema; never listens.
    const provider = createProvider(store, {
      issuer: "http://127.0.0.1",
      audience: "api://parts",
      accessTokenTtl: options.accessTokenTtl ?? 3600,
      keys: await store.loadKeys(options.accessTokenTtl ?? 3600),
    });
    return {
      clients: createClientAdmin(store, () => provider),
      keys: { rotate: () => store.rotateSigningKey(options.accessTokenTtl ?? 3600) },
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
