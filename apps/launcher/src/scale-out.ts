import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startNginx, type TestNginx } from "@parts/test-nginx";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { loadConfig } from "./config.ts";
import { createDevClient, devScope } from "./dev-client.ts";
import { issuerCorsOrigins } from "./docs-cors.ts";
import { formatInstructions } from "./instructions.ts";
import { runStep, startService, stopAll, waitUntilReady, type Service } from "./processes.ts";

// `pnpm scale-out`: the scale-out set-up of docs/deployment.md on this machine. A throwaway PostgreSQL server
// (the installed binaries, removed on exit), both migrate steps, two issuers behind one nginx (the issuer URL),
// two parts servers behind another (the API URL). The balancers listen on ISSUER_PORT and PORT, as the two
// services of `pnpm start` do; the processes behind them on free ports.

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error(`scale-out: ${(error as Error).message}`);
  process.exit(1);
}

const root = fileURLToPath(new URL("../../../", import.meta.url));
const logDir = join(root, "data", "scale-out");
mkdirSync(logDir, { recursive: true, mode: 0o700 });
chmodSync(logDir, 0o700);
const logFile = (name: string) => join(logDir, `${name.replaceAll(" ", "-")}.log`);
const host = "127.0.0.1";

let postgres: TestPostgres | undefined;
const balancers: TestNginx[] = [];
const services: Service[] = [];
let stopping = false;

async function stop(exitCode: number): Promise<never> {
  stopping = true;
  await Promise.all(balancers.map((balancer) => balancer.stop()));
  const clean = await stopAll(services);
  await postgres?.stop();
  process.exit(clean ? exitCode : 1);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    console.log(`\n${signal}: stopping the balancers, parts servers, issuers and PostgreSQL…`);
    void stop(0);
  });
}

/** Starts one service per port and waits until each answers 200 at `readyPath`. */
async function startReplicas(kind: string, cwd: string, ports: number[], env: (port: number) => NodeJS.ProcessEnv, readyPath: string) {
  const started = ports.map((port, i) => startService(`${kind} ${i + 1}`, join(root, cwd), "src/main.ts", env(port), logFile(`${kind} ${i + 1}`)));
  services.push(...started);
  await Promise.all(started.map((service, i) => waitUntilReady(service, `http://${host}:${ports[i]}${readyPath}`)));
}

try {
  postgres = await startTestPostgres({ local: true });
  const databaseUrl = await postgres.createDatabase("parts");
  console.log(`PostgreSQL (throwaway) is up; migrating…`);
  // The deployment's migrate steps, before any process starts (the processes would also migrate, once, at start).
  const migrations = [
    startService("migrate parts", join(root, "apps/server"), "src/migrate.ts", { DATABASE_URL: databaseUrl }, logFile("migrate parts")),
    startService("migrate issuer", join(root, "apps/issuer"), "src/migrate.ts", { ISSUER_DATABASE_URL: databaseUrl }, logFile("migrate issuer")),
  ];
  services.push(...migrations);
  await Promise.all(migrations.map(runStep));

  const issuerPorts = [await freePort(), await freePort()];
  const partsPorts = [await freePort(), await freePort()];
  const issuerBalancer = await startNginx({ upstreams: issuerPorts.map((port) => `${host}:${port}`), port: config.ISSUER_PORT });
  balancers.push(issuerBalancer);
  const issuer = issuerBalancer.url;
  const audience = config.AUDIENCE;
  // The API's balancer will listen on PORT: the /docs page's origin, which the issuers must allow for "Authorize".
  const corsOrigins = issuerCorsOrigins(`http://${host}:${config.PORT}`, config.ISSUER_CORS_ORIGINS);
  console.log("Starting two issuers and two parts servers…");
  await startReplicas(
    "issuer",
    "apps/issuer",
    issuerPorts,
    (port) => ({ ISSUER_PORT: String(port), ISSUER_HOST: host, ISSUER_URL: issuer, AUDIENCE: audience, ISSUER_DATABASE_URL: databaseUrl, ISSUER_CORS_ORIGINS: corsOrigins }),
    "/.well-known/openid-configuration",
  );
  await startReplicas(
    "parts server",
    "apps/server",
    partsPorts,
    (port) => ({ PORT: String(port), HOST: host, DATABASE_URL: databaseUrl, ISSUER: issuer, AUDIENCE: audience }),
    "/readyz",
  );
  const partsBalancer = await startNginx({ upstreams: partsPorts.map((port) => `${host}:${port}`), port: config.PORT });
  balancers.push(partsBalancer);

  const client = await createDevClient({ databaseUrl });
  const footer = [
    `Behind ${partsBalancer.url}: parts servers ${partsPorts.map((port) => `http://${host}:${port}`).join(", ")} (/healthz, /readyz).`,
    `Behind ${issuer}: issuers ${issuerPorts.map((port) => `http://${host}:${port}`).join(", ")}.`,
    `PostgreSQL: ${postgres.url.replace(/\/postgres$/, "/parts")} (trust authentication, loopback only).`,
    `Logs: ${logDir}. nginx configs: ${partsBalancer.configFile}, ${issuerBalancer.configFile}.`,
    "Ctrl-C stops everything; the database is thrown away.",
  ].join("\n");
  console.log(formatInstructions({ issuer, clientId: client.clientId, clientSecret: client.clientSecret, scope: devScope, partsUrl: partsBalancer.url }, footer));
} catch (error) {
  console.error(`scale-out: ${(error as Error).message}`);
  await stop(1);
}

// A process dying on its own takes the rest down: a half-started set-up would mislead (migrations end by design).
for (const service of services.filter((s) => !s.name.startsWith("migrate"))) {
  void service.exited.then((code) => {
    if (stopping) return;
    console.error(`scale-out: ${service.name} exited (code ${code}); see ${service.logFile}`);
    void stop(1);
  });
}
