import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { PostgresPoolOptions } from "@parts/db";
import { createPostgresRateLimitStore, createRateLimiters, memoryStore, throttledStoreErrorReport, type LimitSpec, type TrustedProxies } from "@parts/rate-limit";
import type Provider from "oidc-provider";
import pino from "pino";
import { createClientAdmin, type ClientSummary } from "./clients.ts";
import { openIssuerStore } from "./open-store.ts";
import { CorsOrigin, IssuerUrl } from "./settings.ts";
import { installHooks } from "./provider-hooks.ts";
import type { IssuerMetrics } from "./issuer-metrics.ts";
import { createProvider } from "./provider.ts";
import { installTokenRateLimit, type TokenRateLimits } from "./token-rate-limit.ts";
import type { IssuerStore, IssuerStoreLocation } from "./store.ts";

export type StartIssuerOptions = IssuerStoreLocation & IssuerServeOptions;

export interface IssuerServeOptions {
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
  /** Pool settings when the store is PostgreSQL (`databaseUrl`); connection errors are logged. */
  databasePool?: IssuerPoolSettings;
  /** Counts tokens, failures, registrations and key changes (`createIssuerMetrics`); none when absent. */
  metrics?: Pick<IssuerMetrics, "observe" | "signingKey">;
  /**
   * Limits on POST /token, per claimed client id and per source address; off when absent. Counted in the
   * PostgreSQL store when there is one (shared by every issuer process), in this process otherwise.
   */
  tokenRateLimit?: { client?: LimitSpec; address?: LimitSpec; trustedProxies?: TrustedProxies };
}

/** The token endpoint's limiters on the store's database (or in memory); store failures are logged, throttled. */
async function tokenRateLimits(options: IssuerServeOptions, pool: IssuerStore["pool"], logger: pino.Logger): Promise<TokenRateLimits> {
  const { client, address, trustedProxies } = options.tokenRateLimit ?? {};
  if (!client && !address) return {};
  const onStoreError = throttledStoreErrorReport(({ error, failures }) =>
    logger.warn({ reason: (error as Error).message, failures }, "rate-limit store unavailable; each process counts its own token requests until it answers again"),
  );
  const store = pool ? await createPostgresRateLimitStore(pool) : memoryStore;
  return { ...createRateLimiters({ client, address }, { store, onStoreError }), trustedProxies };
}

/** The pool settings an operator chooses (see `PostgresPoolOptions`). */
export type IssuerPoolSettings = Pick<PostgresPoolOptions, "max" | "connectionTimeoutMillis" | "statementTimeoutMillis" | "idleTimeoutMillis">;

export interface RunningIssuer {
  /** The issuer identifier, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The port it listens on (differs from the issuer URL's behind a proxy or load balancer). */
  port: number;
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

/**
 * How often a running issuer re-reads its key set, so a `keys rotate` from the CLI or another issuer process
 * is picked up. The re-read runs on a timer, off the request path: requests never wait on the database for it.
 */
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
 * Starts the OAuth 2.0 authorization server: opens (and migrates) its store (a SQLite file, or a PostgreSQL
 * database that several issuer processes share), makes sure a signing
 * key exists, and serves discovery, JWKS, the token endpoint and (with a registration token) RFC 7591/7592.
 */
export async function startIssuer(options: StartIssuerOptions): Promise<RunningIssuer> {
  const logger = options.logger ?? pino({ level: "info", base: { service: "parts-issuer" } });
  const host = options.host ?? "127.0.0.1";
  const audience = options.audience ?? "api://parts";
  const accessTokenTtl = options.accessTokenTtl ?? 3600;
  const corsOrigins = (options.corsOrigins ?? []).map((origin) => CorsOrigin.parse(origin));
  const store = await openIssuerStore(options, {
    ...options.databasePool,
    onError: (error) => logger.warn({ err: { message: error.message } }, "issuer database connection lost"),
  });

  let limits: TokenRateLimits;
  try {
    limits = await tokenRateLimits(options, store.pool, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  let provider: Provider | undefined;
  let handle: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  let publishedKids = "";
  let url = "";
  let port: number;

  /** Rebuilds the provider when the key set changed: oidc-provider fixes its keys at construction. */
  async function refreshKeys(): Promise<void> {
    const keys = await store.loadKeys(accessTokenTtl);
    const kids = keys.map((key) => key.kid).join(",");
    if (provider && kids === publishedKids) return;
    const next = createProvider(store, {
      issuer: url,
      audience,
      accessTokenTtl,
      registrationToken: options.registrationToken,
      keys,
      proxy: url.startsWith("https:") && !options.tls,
      corsOrigins,
    });
    installHooks(next, logger);
    if (options.metrics) {
      options.metrics.observe(next);
      options.metrics.signingKey(keys[0]!.kid!, await store.currentKeyActivatedAt());
    }
    installTokenRateLimit(next, limits);
    provider = next;
    handle = next.callback();
    publishedKids = kids;
  }

  let refreshing: Promise<void> | undefined;
  /** One re-read at a time; a failed one keeps serving the current keys. */
  function refreshInBackground(): Promise<void> {
    refreshing ??= refreshKeys()
      .catch((error: unknown) => logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, "reloading signing keys failed"))
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  }
  let keyTimer: NodeJS.Timeout | undefined;

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
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
    await store.purgeExpired();
    await store.ensureSigningKeys();
    port = await listen(server, options.port ?? 4000, host);
    const shownHost = host.includes(":") ? `[${host}]` : host;
    url = IssuerUrl.parse(options.issuerUrl ?? `${options.tls ? "https" : "http"}://${shownHost}:${port}`);
    if (!options.tls && url.startsWith("https:")) {
      logger.info({ url }, "https issuer URL without a certificate: trusting X-Forwarded-* from a TLS-terminating proxy");
    }
    await refreshKeys();
    keyTimer = setInterval(() => void refreshInBackground(), keyCheckIntervalMs);
    keyTimer.unref();
  } catch (error) {
    server.close();
    await store.close();
    throw error;
  }

  const clients = createClientAdmin(store, () => provider!);
  let closed: Promise<void> | undefined;

  return {
    url,
    port,
    clients,
    keys: {
      async rotate() {
        const rotated = await store.rotateSigningKey(accessTokenTtl);
        await refreshing;
        await refreshKeys();
        logger.info({ kid: rotated.kid, next: rotated.next }, "signing key rotated");
        return rotated;
      },
    },
    close() {
      clearInterval(keyTimer);
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Token requests are short; nothing is worth holding shutdown for.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      })
        .then(() => refreshing)
        .then(() => store.close());
      return closed;
    },
  };
}
