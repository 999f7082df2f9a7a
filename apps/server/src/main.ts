import { existsSync } from "node:fs";
import { createPartsRepository, openDatabase } from "@parts/db";
import { createTokenVerifier } from "@parts/router";
import { loadConfig } from "./config.ts";
import { createLoadShedder, createLogger, createPartsServer, defaultMaxHeapUsedBytes } from "@parts/api-server";

if (existsSync(".env")) process.loadEnvFile(".env");

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(`parts-server: ${(error as Error).message}`);
  process.exit(1);
}

const logger = createLogger(config.LOG_LEVEL);
let database;
try {
  database = openDatabase(config.DATABASE_FILE);
} catch (error) {
  // One line an operator can act on (which file, which SQLite/OS code); the stack adds nothing here.
  const { code, message } = error as { code?: unknown; message?: unknown };
  logger.fatal({ file: config.DATABASE_FILE, code: typeof code === "string" ? code : undefined, reason: String(message) }, "cannot open database");
  process.exit(1);
}
// Rows stored before part numbers were compared case- and width-insensitively that now collide are kept as they
// are, never merged: an operator renames or deletes them (SECURITY.md, "Text rules").
for (const collision of database.partNumberCollisions) {
  logger.warn(collision, "part number collides with another part's under the canonical comparison; rename or delete one of them");
}
const verifier = createTokenVerifier({
  issuer: config.ISSUER,
  audience: config.AUDIENCE,
  requireAccessTokenType: !config.ACCEPT_UNTYPED_TOKENS,
  ...(config.TOKEN_ALGORITHMS ? { algorithms: config.TOKEN_ALGORITHMS } : {}),
  ...(config.SCOPE_CLAIMS ? { scopeClaims: config.SCOPE_CLAIMS } : {}),
  keys: { cooldownMs: config.JWKS_COOLDOWN_MS },
});
const app = createPartsServer({
  database,
  verifier,
  parts: createPartsRepository(database.db),
  logger,
  loadShedder: createLoadShedder({
    maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: config.MAX_HEAP_USED_MB === undefined ? defaultMaxHeapUsedBytes() : config.MAX_HEAP_USED_MB * 1024 * 1024,
  }),
  headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
  requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
});
const url = await app.listen(config.PORT, config.HOST);
logger.info({ url, issuer: config.ISSUER, audience: config.AUDIENCE }, "parts server listening");

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
    app.close(config.SHUTDOWN_GRACE_MS).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
