import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "./config.ts";
import { devScope, ensureDevClient } from "./dev-client.ts";
import { issuerCorsOrigins } from "./docs-cors.ts";
import { formatInstructions } from "./instructions.ts";
import { startService, stopAll, waitUntilReady, type Service } from "./processes.ts";

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(`launcher: ${(error as Error).message}`);
  process.exit(1);
}

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dataDir = join(root, "data");
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
chmodSync(dataDir, 0o700);

const host = "127.0.0.1";
const issuerPort = String(config.ISSUER_PORT);
const partsPort = String(config.PORT);
const audience = config.AUDIENCE;
const issuer = `http://${host}:${issuerPort}`;
const partsUrl = `http://${host}:${partsPort}`;
const issuerDatabase = join(dataDir, "issuer.db");

const services: Service[] = [];
let stopping = false;

async function stop(exitCode: number): Promise<never> {
  stopping = true;
  const clean = await stopAll(services);
  process.exit(clean ? exitCode : 1);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    console.log(`\n${signal}: stopping issuer and parts server…`);
    void stop(0);
  });
}

try {
  services.push(
    startService(
      "issuer",
      join(root, "apps/issuer"),
      "src/main.ts",
      {
        ISSUER_PORT: issuerPort,
        ISSUER_HOST: host,
        ISSUER_URL: issuer,
        AUDIENCE: audience,
        ISSUER_DATABASE_FILE: issuerDatabase,
        ISSUER_CORS_ORIGINS: issuerCorsOrigins(partsUrl, config.ISSUER_CORS_ORIGINS),
      },
      join(dataDir, "issuer.log"),
    ),
  );
  await waitUntilReady(services[0]!, `${issuer}/.well-known/openid-configuration`);
  services.push(
    startService(
      "parts server",
      join(root, "apps/server"),
      "src/main.ts",
      { PORT: partsPort, HOST: host, DATABASE_FILE: join(dataDir, "parts.db"), ISSUER: issuer, AUDIENCE: audience },
      join(dataDir, "server.log"),
    ),
  );
  await waitUntilReady(services[1]!, `${partsUrl}/readyz`);
  const client = await ensureDevClient(issuer, issuerDatabase, join(dataDir, "dev-client.json"));
  console.log(formatInstructions({ issuer, clientId: client.clientId, clientSecret: client.clientSecret, scope: devScope, partsUrl }));
  console.log(`\nLogs: ${join(dataDir, "issuer.log")}, ${join(dataDir, "server.log")}`);
} catch (error) {
  console.error(`launcher: ${(error as Error).message}`);
  await stop(1);
}

// A service dying on its own takes the other one down too: half a system is not useful.
for (const service of services) {
  void service.exited.then((code) => {
    if (stopping) return;
    console.error(`launcher: ${service.name} exited (code ${code}); see ${service.logFile}`);
    void stop(1);
  });
}
