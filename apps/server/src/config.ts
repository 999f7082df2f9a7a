import { z } from "zod";

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https everywhere except loopback, where a local issuer may run on plain http. */
export const IssuerUrl = z.url().refine((value) => {
  const url = new URL(value);
  return url.protocol === "https:" || (url.protocol === "http:" && loopbackHosts.has(url.hostname));
}, "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])");

const booleanText = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1");

export const ServerConfig = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Loopback by default; set 0.0.0.0 (or a specific address) to serve other machines. */
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_FILE: z.string().min(1).default("./data/parts.db"),
  ISSUER: IssuerUrl,
  AUDIENCE: z.string().min(1).default("api://parts"),
  /** Okta and some other issuers do not set the RFC 9068 `typ: at+jwt` header. */
  ACCEPT_UNTYPED_TOKENS: booleanText.default(false),
  /** Comma-separated JWS algorithms to accept; asymmetric only. */
  TOKEN_ALGORITHMS: z
    .string()
    .transform((value) => value.split(",").map((alg) => alg.trim()).filter(Boolean))
    .optional(),
  /** Claims that carry scopes; Entra app permissions arrive in `roles`. */
  SCOPE_CLAIMS: z
    .string()
    .transform((value) => value.split(",").map((name) => name.trim()).filter(Boolean))
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * Minimum time between JWKS refetches triggered by an unknown `kid` (one refetch per window, however many
   * tokens arrive). Also bounds how long a freshly rotated issuer key can be rejected.
   */
  JWKS_COOLDOWN_MS: z.coerce.number().int().min(1000).default(30_000),
  /** A client must finish sending its request headers within this (slow-loris defence). */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** A client must finish sending its whole request (headers and body) within this. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** New API requests get 503 while the mean event-loop delay exceeds this (health probes still answer). */
  MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(10).default(500),
  /** New API requests get 503 while the V8 heap in use exceeds this; default 80% of the heap limit. */
  MAX_HEAP_USED_MB: z.coerce.number().int().min(16).optional(),
  /** How long in-flight requests may take to finish after SIGTERM. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
});

export type ServerConfig = z.infer<typeof ServerConfig>;

/** Parses the environment, or throws a one-line message naming each bad variable and why. */
export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const result = ServerConfig.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join(".");
    return `${name}: ${env[name] === undefined && issue.code === "invalid_type" ? "is required" : issue.message}`;
  });
  throw new Error(`invalid configuration: ${lines.join("; ")}`);
}
