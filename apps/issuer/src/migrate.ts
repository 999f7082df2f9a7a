import { existsSync } from "node:fs";
import { createLogger, migrateIssuerStore } from "@parts/authorization-server";
import { loadMigrateConfig, postgresTarget, storeLocation } from "./config.ts";

// `migrate`: applies the issuer's pending migrations and exits, for deployments that migrate before rolling
// out new issuers. Issuers also migrate at start (under an advisory lock on PostgreSQL, so concurrent starts
// migrate once); with this step done first, they find nothing to do.

if (existsSync(".env")) process.loadEnvFile(".env");

let config;
try {
  config = loadMigrateConfig(process.env);
} catch (error) {
  console.error(`parts-issuer migrate: ${(error as Error).message}`);
  process.exit(1);
}
const logger = createLogger(config.LOG_LEVEL);
const url = config.ISSUER_DATABASE_URL;

try {
  await migrateIssuerStore(storeLocation(config), { connectionTimeoutMillis: config.ISSUER_DATABASE_CONNECT_TIMEOUT_MS });
  logger.info(url !== undefined ? { engine: "postgres", ...postgresTarget(url) } : { engine: "sqlite", file: config.ISSUER_DATABASE_FILE }, "database migrated");
} catch (error) {
  // DatabaseError's message holds no URL and no password; anything else is reported by its message only.
  const reason = error instanceof Error ? error.message : "unknown failure";
  const variable = url !== undefined ? "ISSUER_DATABASE_URL" : "ISSUER_DATABASE_FILE";
  logger.fatal({ variable, reason }, `cannot migrate the database at ${variable}: ${reason}`);
  process.exitCode = 1;
}
