import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchToken, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./server-process.ts";

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** The real issuer and server processes, with client-credentials clients registered at the issuer. */
export interface RestStack {
  issuer: IssuerProcess;
  server: ServerProcess;
  /** Scopes parts:read and parts:write. */
  writer: ClientCredentials;
  /** Scope parts:read only. */
  reader: ClientCredentials;
  writeToken(): Promise<string>;
  readToken(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the issuer (apps/issuer) and the server (apps/server, with `serverEnv`) on ephemeral ports. */
export async function startRestStack(options: { serverEnv?: Record<string, string> } = {}): Promise<RestStack> {
  const dir = mkdtempSync(join(tmpdir(), "parts-it-rest-"));
  const issuerDb = join(dir, "issuer.db");
  const issuer = await startIssuerProcess({ port: await freePort(), databaseFile: issuerDb });
  const admin = await openIssuerAdmin({ databaseFile: issuerDb, accessTokenTtl: 600 });
  const credentials = async (name: string, scope: string): Promise<ClientCredentials> => {
    const { clientId, clientSecret } = await admin.clients.create({ name, scope });
    return { clientId, clientSecret: clientSecret! };
  };
  const writer = await credentials("rest writer", "parts:read parts:write");
  const reader = await credentials("rest reader", "parts:read");
  admin.close();
  const server = await startServer({ issuer: issuer.url, env: options.serverEnv });
  return {
    issuer,
    server,
    writer,
    reader,
    writeToken: () => fetchToken(issuer.url, writer, "parts:read parts:write"),
    readToken: () => fetchToken(issuer.url, reader, "parts:read"),
    async stop() {
      await disposeServer(server);
      await issuer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
