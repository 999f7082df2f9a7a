import { existsSync, readFileSync } from "node:fs";
import { loadConfig, poolSettings, postgresTarget, storeLocation } from "./config.ts";
import { createIssuerMetrics, createLogger, DatabaseError, startIssuer, startMetricsListener } from "@parts/authorization-server";

if (existsSync(".env")) process.loadEnvFile(".env");

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(`parts-issuer: ${(error as Error).message}`);
  process.exit(1);
}

const logger = createLogger(config.LOG_LEVEL);
const metrics = config.ISSUER_METRICS_PORT === undefined ? undefined : createIssuerMetrics();
const issuer = await startIssuer({
  ...storeLocation(config),
  databasePool: poolSettings(config),
  port: config.ISSUER_PORT,
  host: config.ISSUER_HOST,
  issuerUrl: config.ISSUER_URL,
  audience: config.AUDIENCE,
  accessTokenTtl: config.ACCESS_TOKEN_TTL,
  registrationToken: config.REGISTRATION_TOKEN,
  corsOrigins: config.ISSUER_CORS_ORIGINS,
  tokenRateLimit: { client: config.ISSUER_RATE_LIMIT_TOKEN, address: config.ISSUER_RATE_LIMIT_TOKEN_ADDRESS, trustedProxies: config.ISSUER_TRUSTED_PROXIES },
  metrics,
  logger,
  ...(config.ISSUER_TLS_CERT_FILE && config.ISSUER_TLS_KEY_FILE
    ? { tls: { cert: readFileSync(config.ISSUER_TLS_CERT_FILE), key: readFileSync(config.ISSUER_TLS_KEY_FILE) } }
    : {}),
}).catch((error: unknown) => {
  if (config.ISSUER_DATABASE_URL !== undefined && error instanceof DatabaseError) {
    // One line naming the variable and the reason (DatabaseError's message holds no URL and no password).
    logger.fatal(
      { variable: "ISSUER_DATABASE_URL", ...postgresTarget(config.ISSUER_DATABASE_URL), reason: error.message },
      `cannot open the database at ISSUER_DATABASE_URL: ${error.message}`,
    );
    process.exit(1);
  }
  logger.fatal({ err: error }, "issuer failed to start");
  process.exit(1);
});
logger.info(
  { url: issuer.url, audience: config.AUDIENCE, registration: config.REGISTRATION_TOKEN ? "initial access token" : "closed" },
  "issuer listening",
);
const metricsListener =
  metrics &&
  (await startMetricsListener(metrics.registry, config.ISSUER_METRICS_PORT ?? 0, config.ISSUER_METRICS_HOST).catch((error: unknown) => {
    logger.fatal({ code: (error as { code?: unknown }).code, variable: "ISSUER_METRICS_PORT" }, "cannot listen for metrics");
    return process.exit(1);
  }));
if (metricsListener) logger.info({ url: `${metricsListener.url}/metrics` }, "metrics listening");

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    Promise.all([issuer.close(), metricsListener?.close()]).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
