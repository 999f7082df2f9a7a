import { absoluteUrl, booleanText, integer, list, logLevels, maxTimerMs, oneOf, parseEnvironment, postgresUrl, text } from "@parts/env";
import { limitSpec, trustedProxiesVariable } from "@parts/rate-limit";
import { defaultAlgorithms } from "@parts/router";
import { isLoopbackUrl } from "@parts/router/loopback";
import { z } from "zod";

/**
 * https everywhere except loopback, where a local issuer may run on plain http. The URL is parsed with
 * `URL.parse` (null, never an exception), so a malformed value is reported against its variable.
 */
export const IssuerUrl = absoluteUrl().refine((value) => {
  const url = URL.parse(value);
  return url !== null && (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url)));
}, "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])");

/** JWS algorithms the verifier can check with a public key; `Ed25519` is the fully specified name of EdDSA. */
const asymmetricAlgorithms = new Set([...defaultAlgorithms, "Ed25519"]);

/** Where the parts live; also all that `migrate` reads. */
const databaseVariables = {
  /** The SQLite file; not used when DATABASE_URL is set. */
  DATABASE_FILE: text().default("./data/parts.db"),
  /** A postgres:// or postgresql:// URL selects PostgreSQL instead of the SQLite file. */
  DATABASE_URL: postgresUrl().optional(),
  /** PostgreSQL pool: most connections per process (processes x this must stay below max_connections). */
  DATABASE_POOL_MAX: integer(1, 1000).default(10),
  /** How long a query waits for a connection (a new one, or a free one from a full pool) before failing with 503. */
  DATABASE_CONNECT_TIMEOUT_MS: integer(100, maxTimerMs).default(2000),
  /** `statement_timeout` of every pooled connection; 0 = none. */
  DATABASE_STATEMENT_TIMEOUT_MS: integer(0, maxTimerMs).default(5000),
  /** How long an unused pooled connection stays open; 0 = until the pool closes it. */
  DATABASE_IDLE_TIMEOUT_MS: integer(0, maxTimerMs).default(30_000),
};

/**
 * Rate limits (`600/minute` or `600/minute,burst=100`), each off when unset, the development default. Shared through
 * PostgreSQL when DATABASE_URL is set, per process otherwise. The per-address limit is off by default too: on
 * loopback every local tool is one address, and behind a proxy (without TRUSTED_PROXIES) every caller is.
 */
const rateLimitVariables = {
  /** Calls of read procedures per client id (parts:read): list, byId; each call of a batch counts. */
  RATE_LIMIT_READ: limitSpec().optional(),
  /** Calls of write procedures per client id (parts:write): create, update, delete. */
  RATE_LIMIT_WRITE: limitSpec().optional(),
  /** Requests per source address whose token is not already verified, counted before its signature is checked. */
  RATE_LIMIT_UNAUTHENTICATED: limitSpec().optional(),
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For names the caller's address; none by default. */
  TRUSTED_PROXIES: trustedProxiesVariable().optional(),
};

/** `OTEL_TRACES_SAMPLER` values the OpenTelemetry SDK knows (its default: parentbased_always_on). */
const tracesSamplers = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;

/** An OTLP/HTTP endpoint: http or https (a bare `collector:4318` parses as a URL of scheme `collector:`). */
const otlpUrl = () =>
  absoluteUrl().refine((value) => /^https?:$/.test(URL.parse(value)!.protocol), "must be an http or https URL such as http://collector:4318");

/**
 * OpenTelemetry traces (docs/operations.md, "Traces"): the standard variables, validated here and read by the SDK
 * itself. Tracing is on only with an OTLP endpoint set (@parts/telemetry's `tracingEnabled`): otherwise the SDK is
 * never loaded.
 */
const tracingVariables = {
  /** OTLP/HTTP base URL of the collector; traces go to `<this>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl().optional(),
  /** The full traces URL, instead of the base URL above. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl().optional(),
  /** Headers for the collector (`key=value,…`, e.g. an API key): a secret, never logged. */
  OTEL_EXPORTER_OTLP_HEADERS: text().optional(),
  /** `true` turns tracing off whatever else is set. */
  OTEL_SDK_DISABLED: booleanText().default(false),
  /** `none` turns tracing off; `otlp` (OTLP/HTTP, JSON) is the one exporter this server ships. */
  OTEL_TRACES_EXPORTER: oneOf(["otlp", "none"]).default("otlp"),
  OTEL_TRACES_SAMPLER: oneOf(tracesSamplers).default("parentbased_always_on"),
  /** The ratio of the traceidratio samplers. */
  OTEL_TRACES_SAMPLER_ARG: text().regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "must be a number from 0 to 1").optional(),
  OTEL_SERVICE_NAME: text().default("parts-server"),
  /** More resource attributes, `key=value,…` (e.g. deployment.environment.name=prod). */
  OTEL_RESOURCE_ATTRIBUTES: text().optional(),
};

export const ServerConfig = z
  .object({
    /** 0 picks a free port. */
    PORT: integer(0, 65535).default(3000),
    /** Loopback by default; set 0.0.0.0 (or a specific address) to serve other machines. */
    HOST: text().default("127.0.0.1"),
    /** Port of the separate Prometheus listener (GET /metrics); no metrics when unset; 0 picks a free port. */
    METRICS_PORT: integer(0, 65535).optional(),
    /** Address of that listener: loopback by default, so only this machine (or a sidecar) can scrape it. */
    METRICS_HOST: text().default("127.0.0.1"),
    ...databaseVariables,
    ISSUER: IssuerUrl,
    AUDIENCE: text().default("api://parts"),
    /** Okta and some other issuers do not set the RFC 9068 `typ: at+jwt` header. */
    ACCEPT_UNTYPED_TOKENS: booleanText().default(false),
    /** Comma-separated JWS algorithms to accept; asymmetric only. */
    TOKEN_ALGORITHMS: list("algorithm")
      .superRefine((algorithms, ctx) => {
        const unknown = algorithms.filter((alg) => !asymmetricAlgorithms.has(alg));
        if (unknown.length > 0) {
          ctx.addIssue({
            code: "custom",
            message: `must list only asymmetric JWS algorithms (${[...asymmetricAlgorithms].join(", ")}), got ${unknown.join(", ")}`,
          });
        }
      })
      .optional(),
    /** Claims that carry scopes; Entra app permissions arrive in `roles`. */
    SCOPE_CLAIMS: list("claim").optional(),
    LOG_LEVEL: oneOf(logLevels).default("info"),
    /**
     * Minimum time between JWKS refetches triggered by an unknown `kid` (one refetch per window, however many
     * tokens arrive). Also bounds how long a freshly rotated issuer key can be rejected.
     */
    JWKS_COOLDOWN_MS: integer(1000, maxTimerMs).default(30_000),
    /** A client must finish sending its request headers within this (slow-loris defence). */
    HEADERS_TIMEOUT_MS: integer(100, maxTimerMs).default(10_000),
    /** A client must finish sending its whole request (headers and body) within this. */
    REQUEST_TIMEOUT_MS: integer(100, maxTimerMs).default(30_000),
    /** New API requests get 503 while the mean event-loop delay exceeds this (health probes still answer). */
    MAX_EVENT_LOOP_DELAY_MS: integer(10, maxTimerMs).default(500),
    /** New API requests get 503 while the V8 heap in use exceeds this; default 80% of the heap limit. */
    MAX_HEAP_USED_MB: integer(16, 1_048_576).optional(),
    /** REST PATCH and DELETE must carry If-Match (the part's ETag, or *), else 428: no change without a precondition. */
    REQUIRE_IF_MATCH: booleanText().default(false),
    /** How long in-flight requests may take to finish after SIGTERM. */
    SHUTDOWN_GRACE_MS: integer(0, maxTimerMs).default(10_000),
    ...rateLimitVariables,
    ...tracingVariables,
  })
  .superRefine((env, ctx) => {
    // Node's http server refuses a headers timeout longer than the request timeout. The types are checked
    // because zod may run this refinement even when a field above already failed.
    if (typeof env.HEADERS_TIMEOUT_MS === "number" && typeof env.REQUEST_TIMEOUT_MS === "number" && env.HEADERS_TIMEOUT_MS > env.REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: "custom", path: ["HEADERS_TIMEOUT_MS"], message: "must not exceed REQUEST_TIMEOUT_MS" });
    }
  });

export type ServerConfig = z.infer<typeof ServerConfig>;

/**
 * Parses the environment, or throws one line naming each bad variable and why. Messages never contain a
 * variable's value except the offending list entries of TOKEN_ALGORITHMS.
 */
export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  return parseEnvironment(ServerConfig, env);
}

/** The configuration of `migrate`: the database variables only (no issuer needed to migrate). */
export const MigrateConfig = z.object({ ...databaseVariables, LOG_LEVEL: oneOf(logLevels).default("info") });

export type MigrateConfig = z.infer<typeof MigrateConfig>;

export function loadMigrateConfig(env: NodeJS.ProcessEnv): MigrateConfig {
  return parseEnvironment(MigrateConfig, env);
}
