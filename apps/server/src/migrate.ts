import { existsSync } from "node:fs";
import { createLogger } from "@parts/api-server";
import { DatabaseError, migratePostgresDatabase, openDatabase } from "@parts/db";
import { loadMigrateConfig } from "./config.ts";

// `migrate`: applies pending migrations to the configured database and exits, for deployments that migrate
// before rolling out new servers. Servers also migrate at start (under an advisory lock on PostgreSQL, so
// concurrent starts migrate once); with this step done first, they find nothing to do.

if (existsSync(".env")) process.loadEnvFile(".env");

let config;
try {
  config = loadMigrateConfig(process.env);
} catch (error) {
  console.error(`parts-server migrate: ${(error as Error).message}`);
  process.exit(1);
}
const logger = createLogger(config.LOG_LEVEL);

try {
  if (config.DATABASE_URL !== undefined) {
    await migratePostgresDatabase(config.DATABASE_URL, { connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS, applicationName: "parts-server" });
    logger.info({ engine: "postgres" }, "database migrated");
  } else {
    const handle = openDatabase(config.DATABASE_FILE);
    for (const collision of handle.partNumberCollisions) {
      logger.warn(collision, "part number collides with another part's under the canonical comparison; rename or delete one of them");
    }
    handle.close();
    logger.info({ engine: "sqlite", file: config.DATABASE_FILE }, "database migrated");
  }
} catch (error) {
  // DatabaseError's message holds no URL and no password; anything else is reported by its kind only.
  const reason = error instanceof DatabaseError ? error.message : error instanceof Error ? error.message : "unknown failure";
  const variable = config.DATABASE_URL !== undefined ? "DATABASE_URL" : "DATABASE_FILE";
  logger.fatal({ variable, reason }, `cannot migrate the database at ${variable}: ${reason}`);
  process.exitCode = 1;
}
