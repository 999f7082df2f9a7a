import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type Provider from "oidc-provider";
import pino from "pino";
import { purgeExpired } from "./adapter.ts";
import { createClientAdmin, type ClientSummary } from "./clients.ts";
import { CorsOrigin, IssuerUrl } from "./settings.ts";
import { openIssuerDatabase, type IssuerDatabase } from "./database.ts";
import { ensureSigningKeys, loadKeys, rotateSigningKey } from "./keys.ts";
import { installHooks } from "./provider-hooks.ts";
import { createProvider } from "./provider.ts";

export interface StartIssuerOptions {
  databaseFile: string;
  /** 0 = ephemeral; default 4000. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default http://<host>:<port>; must be https unless loopback. */
  issuerUrl?: string;
  /** Default api://parts. */
  audience?: string;
  /** Seconds; default 3600. */
  accessTokenTtl?: number;
  /** Enables RFC 7591/7592 registration guarded by this initial access token; closed when unset. */
  registrationToken?: string;
  logger?: pino.Logger;
  /** Exact browser origins (`https://app.example`) that get CORS headers; none by default. */
  corsOrigins?: readonly string[];
  /** Serve https directly with this PEM certificate and key (otherwise an https issuer sits behind a TLS proxy). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface RunningIssuer {
  /** The issuer identifier, e.g. http://127.0.0.1:41234 */
  url: string;
  clients: {
    create(input: {
      name: string;
      scope: string;
      authMethod?: "client_secret_basic" | "private_key_jwt";
      jwks?: { keys: object[] };
    }): Promise<{ clientId: string; clientSecret?: string }>;
    list(): Promise<ClientSummary[]>;
    setScope(clientId: string, scope: string): Promise<ClientSummary>;
    delete(clientId: string): Promise<boolean>;
    rotateSecret(clientId: string): Promise<{ clientId: string; clientSecret: string }>;
  };
  keys: { rotate(): Promise<{ kid: string; next: string }> };
  close(): Promise<void>;
}

/** How often a running issuer re-reads its key set, so a `keys rotate` from the CLI is picked up. */
const keyCheckIntervalMs = 1000;

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts the OAuth 2.0 authorization server: opens (and migrates) the SQLite file, makes sure a signing
 * key exists, and serves discovery, JWKS, the token endpoint and (with a registration token) RFC 7591/7592.
 */
export async function startIssuer(options: StartIssuerOptions): Promise<RunningIssuer> {
  const logger = options.logger ?? pino({ level: "info", base: { service: "parts-issuer" } });
  const host = options.host ?? "127.0.0.1";
  const audience = options.audience ?? "api://parts";
  const accessTokenTtl = options.accessTokenTtl ?? 3600;
  const corsOrigins = (options.corsOrigins ?? []).map((origin) => CorsOrigin.parse(origin));
  const database: IssuerDatabase = openIssuerDatabase(options.databaseFile);
  const { db } = database;

  let provider: Provider | undefined;
  let handle: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  let publishedKids = "";
  let keysCheckedAt = 0;
  let url = "";

  /** Rebuilds the provider when the key set changed: oidc-provider fixes its keys at construction. */
  function refreshKeys(force = false): void {
    const now = Date.now();
    if (!force && now - keysCheckedAt < keyCheckIntervalMs) return;
    keysCheckedAt = now;
    const keys = loadKeys(db, accessTokenTtl);
    const kids = keys.map((key) => key.kid).join(",");
    if (provider && kids === publishedKids) return;
    const next = createProvider(db, {
      issuer: url,
      audience,
      accessTokenTtl,
      registrationToken: options.registrationToken,
      keys,
      proxy: url.startsWith("https:") && !options.tls,
      corsOrigins,
    });
    installHooks(next, logger);
    provider = next;
    handle = next.callback();
    publishedKids = kids;
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    try {
      refreshKeys();
    } catch (error) {
      // A failed re-read keeps serving the current keys rather than failing the request.
      logger.error({ err: error }, "reloading signing keys failed");
    }
    if (!handle) {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: "temporarily_unavailable" }));
      return;
    }
    handle(req, res);
  };
  const server = options.tls ? createHttpsServer(options.tls, onRequest) : createHttpServer(onRequest);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  try {
    purgeExpired(db);
    await ensureSigningKeys(db);
    const port = await listen(server, options.port ?? 4000, host);
    const shownHost = host.includes(":") ? `[${host}]` : host;
    url = IssuerUrl.parse(options.issuerUrl ?? `${options.tls ? "https" : "http"}://${shownHost}:${port}`);
    if (!options.tls && url.startsWith("https:")) {
      logger.info({ url }, "https issuer URL without a certificate: trusting X-Forwarded-* from a TLS-terminating proxy");
    }
    refreshKeys(true);
  } catch (error) {
    server.close();
    database.close();
    throw error;
  }

  const clients = createClientAdmin(db, () => provider!);
  let closed: Promise<void> | undefined;

  return {
    url,
    clients,
    keys: {
      async rotate() {
        const rotated = await rotateSigningKey(db);
        refreshKeys(true);
        logger.info({ kid: rotated.kid, next: rotated.next }, "signing key rotated");
        return rotated;
      },
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Token requests are short; nothing is worth holding shutdown for.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }).then(() => database.close());
      return closed;
    },
  };
}
