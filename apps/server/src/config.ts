import { z } from "zod";
import { defaultAlgorithms } from "@parts/router";
import { isLoopbackUrl } from "@parts/router/loopback";

// Every variable goes through `text()` first, so an empty value (`ISSUER=`, or `PORT=` in a .env file) is an
// error of its own instead of a silent 0 (`Number("")`), an empty list or a URL parser's exception. No variable
// of the server gives the empty string a meaning: to get the default, leave the variable unset.

/** The longest delay Node's timers honour (2^31 - 1 ms, about 24.8 days); larger ones fire at once. */
const maxTimerMs = 2_147_483_647;

/** A set variable's value: absent is "is required" (unless a default or `.optional()` applies), empty is an error. */
const text = () =>
  z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be text") })
    .min(1, { error: "must not be empty", abort: true });

/** A whole number in decimal digits (no sign, exponent or fraction) from `min` to `max`. */
function integer(min: number, max: number) {
  const reason = `must be an integer from ${min} to ${max}`;
  return text().regex(/^\d+$/, reason).transform(Number).pipe(z.number().min(min, reason).max(max, reason));
}

/** A comma-separated list; blank entries are dropped, but the list must name at least one entry. */
function list(what: string) {
  return text()
    .transform((value) => value.split(",").map((entry) => entry.trim()).filter(Boolean))
    .refine((entries) => entries.length > 0, `must name at least one ${what}`);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return text().pipe(z.enum(values, { error: `must be one of ${values.join(", ")}` }));
}

/**
 * https everywhere except loopback, where a local issuer may run on plain http. The URL is parsed with
 * `URL.parse` (null, never an exception), so a malformed value is reported against its variable.
 */
export const IssuerUrl = text()
  .refine((value) => URL.parse(value) !== null, { error: "must be an absolute URL such as https://id.example.com", abort: true })
  .refine((value) => {
    const url = URL.parse(value);
    return url !== null && (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url)));
  }, "must be an https URL (plain http is accepted only for localhost/127.0.0.1/[::1])");

const booleanText = oneOf(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

/** JWS algorithms the verifier can check with a public key; `Ed25519` is the fully specified name of EdDSA. */
const asymmetricAlgorithms = new Set([...defaultAlgorithms, "Ed25519"]);

export const ServerConfig = z
  .object({
    /** 0 picks a free port. */
    PORT: integer(0, 65535).default(3000),
    /** Loopback by default; set 0.0.0.0 (or a specific address) to serve other machines. */
    HOST: text().default("127.0.0.1"),
    DATABASE_FILE: text().default("./data/parts.db"),
    ISSUER: IssuerUrl,
    AUDIENCE: text().default("api://parts"),
    /** Okta and some other issuers do not set the RFC 9068 `typ: at+jwt` header. */
    ACCEPT_UNTYPED_TOKENS: booleanText.default(false),
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
    LOG_LEVEL: oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
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
    /** How long in-flight requests may take to finish after SIGTERM. */
    SHUTDOWN_GRACE_MS: integer(0, maxTimerMs).default(10_000),
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
 * Parses the environment, or throws one line naming each bad variable and why:
 * `invalid configuration: ISSUER: must not be empty; PORT: must be an integer from 0 to 65535`.
 * Messages never contain a variable's value except the offending list entries of TOKEN_ALGORITHMS.
 */
export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const result = ServerConfig.safeParse(env);
  if (result.success) return result.data;
  // One reason per variable: the first is the one to fix first.
  const reasons = new Map<string, string>();
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? "environment");
    if (!reasons.has(name)) reasons.set(name, issue.message);
  }
  throw new Error(`invalid configuration: ${[...reasons].map(([name, reason]) => `${name}: ${reason}`).join("; ")}`);
}
