import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { openIssuerAdmin, type IssuerStoreLocation } from "@parts/authorization-server";

export const devScope = "parts:read parts:write";

interface DevClient {
  clientId: string;
  clientSecret: string;
}

function readSaved(file: string): DevClient | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, "utf8")) as Partial<DevClient>;
    return saved.clientId && saved.clientSecret ? { clientId: saved.clientId, clientSecret: saved.clientSecret } : undefined;
  } catch {
    return undefined;
  }
}

/** True when the issuer still accepts these credentials (the client may have been deleted meanwhile). */
async function stillValid(issuer: string, client: DevClient): Promise<boolean> {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * The development client's credentials, created once and kept in an owner-only file so restarts reuse
 * them (the issuer itself stores only a hash of the secret).
 */
export async function ensureDevClient(issuer: string, databaseFile: string, file: string): Promise<DevClient> {
  const saved = readSaved(file);
  if (saved && (await stillValid(issuer, saved))) return saved;
  const client = await createDevClient({ databaseFile });
  writeFileSync(file, `${JSON.stringify({ ...client, scope: devScope }, null, 2)}\n`, { mode: 0o600 });
  return client;
}

/** A new development client in the issuer's store (as the operator CLI's `clients create` makes one). */
export async function createDevClient(store: IssuerStoreLocation): Promise<DevClient> {
  const admin = await openIssuerAdmin(store);
  try {
    const created = await admin.clients.create({ name: "Development client", scope: devScope });
    return { clientId: created.clientId, clientSecret: created.clientSecret! };
  } finally {
    await admin.close();
  }
}
