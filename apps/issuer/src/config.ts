import { CorsOrigins, IssuerUrl, isLoopbackUrl, type IssuerPoolSettings } from "@parts/authorization-server";
import { absoluteUrl, integer, logLevels, maxTimerMs, oneOf, parseEnvironment, postgresUrl, text } from "@parts/env";
import { limitSpec, trustedProxiesVariable } from "@parts/rate-limit";
import { z } from "zod";

// ISSUER_CORS_ORIGINS is the one variable where empty has a meaning: a list in which blank entries are
// ignored, so empty means no origin, which is also its default (CORS closed).

/** The issuer's URL rules, after a check with `URL.parse` (null, never an exception) that it is a URL at all. */
const IssuerUrlText = absoluteUrl().pipe(IssuerUrl);

/** The variables the issuer and the operator CLI share (the CLI needs no issuer URL). */
const storeShape = {
  /** The SQLite file; not used when ISSUER_DATABASE_URL is set. */
  ISSUER_DATABASE_FILE: text().default("./data/issuer.db"),
  /**
   * A postgres:// or postgresql:// URL selects PostgreSQL instead of the SQLite file: several issuer processes
   * may share it (and it may be the parts API's database: the issuer keeps its own tables and migrations).
   */
  ISSUER_DATABASE_URL: postgresUrl().optional(),
  /** PostgreSQL pool: most connections per issuer process (token requests are few; keep processes x this below max_connections). */
  ISSUER_DATABASE_POOL_MAX: integer(1, 1000).default(5),
  /** How long a query waits for a connection before failing (the token request then gets 503). */
  ISSUER_DATABASE_CONNECT_TIMEOUT_MS: integer(100, maxTimerMs).default(2000),
  /** `statement_timeout` of every pooled connection; 0 = none. */
  ISSUER_DATABASE_STATEMENT_TIMEOUT_MS: integer(0, maxTimerMs).default(5000),
  /** How long an unused pooled connection stays open; 0 = until the pool closes it. */
  ISSUER_DATABASE_IDLE_TIMEOUT_MS: integer(0, maxTimerMs).default(30_000),
  /** Seconds. */
  ACCESS_TOKEN_TTL: integer(60, 86_400).default(3600),
};

export const IssuerConfig = z
  .object({
    /** 0 picks a free port. */
    ISSUER_PORT: integer(0, 65535).default(4000),
    /** Loopback by default; 0.0.0.0 to serve other machines (then ISSUER_URL must be https). */
    ISSUER_HOST: text().default("127.0.0.1"),
    /**
     * Port of the issuer's separate Prometheus listener (GET /metrics); no metrics when unset; 0 picks a free port.
     * Named apart from the parts server's METRICS_PORT: the launcher hands one environment to both processes.
     */
    ISSUER_METRICS_PORT: integer(0, 65535).optional(),
    /** Address of that listener; loopback by default. */
    ISSUER_METRICS_HOST: text().default("127.0.0.1"),
    /** Defaults to http://<ISSUER_HOST>:<ISSUER_PORT> (https with a certificate). */
    ISSUER_URL: IssuerUrlText.optional(),
    AUDIENCE: text().default("api://parts"),
    ...storeShape,
    /** Initial access token for RFC 7591 registration; registration is closed when unset. */
    REGISTRATION_TOKEN: text().min(32, "must be at least 32 characters").optional(),
    /** Browser origins allowed CORS access to the issuer; none (CORS closed) when unset or empty. */
    ISSUER_CORS_ORIGINS: CorsOrigins.default([]),
    /** PEM files; with an https ISSUER_URL and no certificate, a TLS-terminating proxy is assumed. */
    ISSUER_TLS_CERT_FILE: text().optional(),
    ISSUER_TLS_KEY_FILE: text().optional(),
    LOG_LEVEL: oneOf(logLevels).default("info"),
    /**
     * POST /token per claimed client id (`60/minute,burst=20`), counted before the client is authenticated; off when
     * unset. Shared by every issuer process through ISSUER_DATABASE_URL when set.
     */
    ISSUER_RATE_LIMIT_TOKEN: limitSpec().optional(),
    /** POST /token per source address; off when unset (on loopback every local tool is one address). */
    ISSUER_RATE_LIMIT_TOKEN_ADDRESS: limitSpec().optional(),
    /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For names the caller's address; none by default. */
    ISSUER_TRUSTED_PROXIES: trustedProxiesVariable().optional(),
  })
  .superRefine((env, ctx) => {
    if (!env.ISSUER_TLS_CERT_FILE !== !env.ISSUER_TLS_KEY_FILE) {
      const missing = env.ISSUER_TLS_CERT_FILE ? "ISSUER_TLS_KEY_FILE" : "ISSUER_TLS_CERT_FILE";
      ctx.addIssue({ code: "custom", path: [missing], message: "is required with the other of ISSUER_TLS_CERT_FILE and ISSUER_TLS_KEY_FILE" });
    }
    // Without ISSUER_URL the issuer derives its URL from the host; it must pass the same rules as ISSUER_URL.
    // zod may run this even when a field above failed, hence the type checks.
    // (The port is left out: ISSUER_PORT is checked on its own.)
    if (env.ISSUER_URL === undefined && typeof env.ISSUER_HOST === "string") {
      const host = env.ISSUER_HOST.includes(":") ? `[${env.ISSUER_HOST}]` : env.ISSUER_HOST;
      const derived = `http://${host}/`;
      if (URL.parse(derived) === null) {
        ctx.addIssue({ code: "custom", path: ["ISSUER_HOST"], message: "must be a host name or IP address" });
      } else if (!env.ISSUER_TLS_CERT_FILE && !isLoopbackUrl(derived)) {
        ctx.addIssue({
          code: "custom",
          path: ["ISSUER_URL"],
          message: "is required when ISSUER_HOST is not a loopback address (an https URL, or serve TLS with ISSUER_TLS_CERT_FILE)",
        });
      }
    }
  });

export type IssuerConfig = z.infer<typeof IssuerConfig>;

/**
 * Parses the environment, or throws one line naming each bad variable and why. Messages never contain a
 * variable's value except the offending entries of ISSUER_CORS_ORIGINS.
 */
export function loadConfig(env: NodeJS.ProcessEnv): IssuerConfig {
  return parseEnvironment(IssuerConfig, env);
}

/** Only the database variables, for the operator CLI (which needs no issuer URL). */
const IssuerStoreConfig = z.object(storeShape);

export function loadStoreConfig(env: NodeJS.ProcessEnv): z.infer<typeof IssuerStoreConfig> {
  return parseEnvironment(IssuerStoreConfig, env);
}

/** The database variables and the log level, for `migrate`. */
const IssuerMigrateConfig = z.object({ ...storeShape, LOG_LEVEL: oneOf(logLevels).default("info") });

export function loadMigrateConfig(env: NodeJS.ProcessEnv): z.infer<typeof IssuerMigrateConfig> {
  return parseEnvironment(IssuerMigrateConfig, env);
}

/** Where the database is, for log lines: host, port and database name, never the user or password. */
export function postgresTarget(databaseUrl: string): { host?: string; port?: string; database?: string } {
  const url = URL.parse(databaseUrl);
  return { host: url?.hostname || undefined, port: url?.port || undefined, database: url?.pathname.slice(1) || undefined };
}

/** The store the issuer and the CLI open: PostgreSQL when ISSUER_DATABASE_URL is set, else the SQLite file. */
export function storeLocation(config: { ISSUER_DATABASE_FILE: string; ISSUER_DATABASE_URL?: string | undefined }) {
  return config.ISSUER_DATABASE_URL !== undefined ? { databaseUrl: config.ISSUER_DATABASE_URL } : { databaseFile: config.ISSUER_DATABASE_FILE };
}

/** The PostgreSQL pool settings (unused with the SQLite file). */
export function poolSettings(config: z.infer<typeof IssuerStoreConfig>): IssuerPoolSettings {
  return {
    max: config.ISSUER_DATABASE_POOL_MAX,
    connectionTimeoutMillis: config.ISSUER_DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMillis: config.ISSUER_DATABASE_STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: config.ISSUER_DATABASE_IDLE_TIMEOUT_MS,
  };
}
