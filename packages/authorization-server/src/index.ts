export { startIssuer, type IssuerPoolSettings, type RunningIssuer, type StartIssuerOptions } from "./issuer.ts";
export { createIssuerMetrics, type IssuerMetrics } from "./issuer-metrics.ts";
export { startMetricsListener, type MetricsListener } from "@parts/metrics";
export { ClientAdminError, CreateClientInput, type ClientSummary } from "./clients.ts";
export { CorsOrigin, CorsOrigins, IssuerUrl, isLoopbackUrl, isOrigin } from "./settings.ts";
export { createLogger } from "./logger.ts";
export { knownScopes, type KnownScope } from "./scopes.ts";
export { signingAlg } from "./keys.ts";
export { openIssuerAdmin, type IssuerAdmin } from "./admin.ts";
export { migrateIssuerStore } from "./migrate.ts";
/** What opening the store throws when PostgreSQL cannot be reached or refuses (message without URL or password). */
export { DatabaseError } from "@parts/db";
export type { IssuerStoreLocation } from "./store.ts";
