import { existsSync } from "node:fs";
import { createPostgresPartsRepository, createSqlitePartsRepository, DatabaseError, openDatabase, openPostgresDatabase, startSqliteWriter, type PartsRepository } from "@parts/db";
import { createTokenVerifier } from "@parts/router";
import { loadConfig } from "./config.ts";
import { metricsFor, serveMetrics } from "./metrics.ts";
import { createApiRateLimits } from "./rate-limits.ts";
import { tracingFor } from "./tracing.ts";
import { createLoadShedder, createLogger, createPartsServer, defaultMaxHeapUsedBytes, type ServedDatabase } from "@parts/api-server";
import { traceRepository, traceVerifier } from "@parts/telemetry";

if (existsSync(".env")) process.loadEnvFile(".env");

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(`parts-server: ${(error as Error).message}`);
  process.exit(1);
}

const logger = createLogger(config.LOG_LEVEL);
const metrics = metricsFor(config);
// Started before anything else is opened, so the first requests are traced too.
const tracing = await tracingFor(config);
if (tracing) logger.info({ serviceName: config.OTEL_SERVICE_NAME, sampler: config.OTEL_TRACES_SAMPLER }, "tracing on");

/** Where the PostgreSQL server is, for log lines: host, port and database, never the user or password. */
function postgresTarget(databaseUrl: string) {
  const url = URL.parse(databaseUrl);
  return { host: url?.hostname || undefined, port: url?.port || undefined, database: url?.pathname.slice(1) || undefined };
}

let database: ServedDatabase;
/** The pool rate limits share with the parts (PostgreSQL only). */
let rateLimitPool: Parameters<typeof createApiRateLimits>[1];
let parts: PartsRepository;
if (config.DATABASE_URL !== undefined) {
  const databaseUrl = config.DATABASE_URL;
  try {
    const postgres = await openPostgresDatabase(databaseUrl, {
      max: config.DATABASE_POOL_MAX,
      connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMillis: config.DATABASE_STATEMENT_TIMEOUT_MS,
      idleTimeoutMillis: config.DATABASE_IDLE_TIMEOUT_MS,
      applicationName: "parts-server",
      // An idle pooled connection lost (server restart, network): node-postgres drops it and reconnects on demand.
      onError: (error) => logger.warn({ code: (error as { code?: unknown }).code }, "idle database connection lost"),
    });
    database = postgres;
    metrics?.database.watchPool(postgres.pool);
    rateLimitPool = postgres.pool;
    parts = createPostgresPartsRepository(postgres.db, { observe: metrics?.database.observeQuery });
  } catch (error) {
    // One line naming the variable and the reason (DatabaseError's message holds no URL and no password).
    const reason = error instanceof DatabaseError ? error.message : "cannot open the database";
    logger.fatal({ variable: "DATABASE_URL", ...postgresTarget(databaseUrl), reason }, `cannot open the database at DATABASE_URL: ${reason}`);
    process.exit(1);
  }
  logger.info({ engine: "postgres", ...postgresTarget(databaseUrl), poolMax: config.DATABASE_POOL_MAX }, "database open");
} else {
  let sqlite, writer;
  try {
    sqlite = openDatabase(config.DATABASE_FILE);
    // Writes (their commits, fsync and WAL checkpoints) run on a thread of their own; reads stay on this one.
    writer = await startSqliteWriter(config.DATABASE_FILE);
  } catch (error) {
    // One line an operator can act on (which file, which SQLite/OS code); the stack adds nothing here.
    const { code, message } = error as { code?: unknown; message?: unknown };
    logger.fatal({ file: config.DATABASE_FILE, code: typeof code === "string" ? code : undefined, reason: String(message) }, "cannot open database");
    process.exit(1);
  }
  // Rows stored before part numbers were compared case- and width-insensitively that now collide are kept as they
  // are, never merged: an operator renames or deletes them (SECURITY.md, "Text rules").
  for (const collision of sqlite.partNumberCollisions) {
    logger.warn(collision, "part number collides with another part's under the canonical comparison; rename or delete one of them");
  }
  const reader = sqlite;
  const sqliteWriter = writer;
  database = {
    ping: () => reader.ping() && sqliteWriter.ping(),
    // Writes already sent commit and answer first; the reader's connection, closed last, checkpoints the WAL.
    close: async () => {
      await sqliteWriter.close();
      reader.close();
    },
  };
  parts = createSqlitePartsRepository(sqlite.db, { writer, observe: metrics?.database.observeQuery });
}
const tokenVerifier = createTokenVerifier({
  issuer: config.ISSUER,
  audience: config.AUDIENCE,
  requireAccessTokenType: !config.ACCEPT_UNTYPED_TOKENS,
  ...(config.TOKEN_ALGORITHMS ? { algorithms: config.TOKEN_ALGORITHMS } : {}),
  ...(config.SCOPE_CLAIMS ? { scopeClaims: config.SCOPE_CLAIMS } : {}),
  keys: { cooldownMs: config.JWKS_COOLDOWN_MS },
  ...(metrics ? { fetch: metrics.issuerKeys.fetch } : {}),
});
// Spans around token verification and repository calls, from outside: the router and engines know nothing of them.
const verifier = tracing ? traceVerifier(tokenVerifier) : tokenVerifier;
if (tracing) parts = traceRepository(parts, config.DATABASE_URL === undefined ? "sqlite" : "postgresql");
let rateLimits;
try {
  rateLimits = await createApiRateLimits(config, rateLimitPool, logger);
} catch (error) {
  // The counters' table could not be created (permissions, the database gone since it opened).
  logger.fatal({ code: (error as { code?: unknown }).code, reason: (error as Error).message }, "cannot set up the rate-limit store");
  process.exit(1);
}
const app = createPartsServer({
  database,
  metrics,
  verifier,
  parts,
  logger,
  rateLimits,
  trustedProxies: config.TRUSTED_PROXIES,
  loadShedder: createLoadShedder({
    maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: config.MAX_HEAP_USED_MB === undefined ? defaultMaxHeapUsedBytes() : config.MAX_HEAP_USED_MB * 1024 * 1024,
  }),
  headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
  requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  requireIfMatch: config.REQUIRE_IF_MATCH,
  tracing: tracing?.requests,
});
const url = await app.listen(config.PORT, config.HOST);
logger.info({ url, issuer: config.ISSUER, audience: config.AUDIENCE }, "parts server listening");
const metricsListener = metrics && (await serveMetrics(metrics, config, logger));

// Warm discovery and keys so the first caller does not pay for them; failure here is not fatal.
void verifier.ready().then((ready) => {
  if (!ready) logger.warn({ issuer: config.ISSUER }, "issuer keys not loaded yet; will retry on demand");
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    // Spans still queued are exported after the last request has finished, before the process exits.
    Promise.all([app.close(config.SHUTDOWN_GRACE_MS).then(() => tracing?.shutdown()), metricsListener?.close()]).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
