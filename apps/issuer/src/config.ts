import { z } from "zod";
import { CorsOrigins, IssuerUrl } from "@parts/authorization-server";

export const IssuerConfig = z
  .object({
    ISSUER_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    /** Loopback by default; 0.0.0.0 to serve other machines (then ISSUER_URL must be https). */
    ISSUER_HOST: z.string().min(1).default("127.0.0.1"),
    /** Defaults to http://<ISSUER_HOST>:<ISSUER_PORT>. */
    ISSUER_URL: IssuerUrl.optional(),
    AUDIENCE: z.string().min(1).default("api://parts"),
    ISSUER_DATABASE_FILE: z.string().min(1).default("./data/issuer.db"),
    ACCESS_TOKEN_TTL: z.coerce.number().int().min(60).max(86_400).default(3600),
    /** Initial access token for RFC 7591 registration; registration is closed when unset. */
    REGISTRATION_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
    /** Browser origins allowed CORS access to the issuer; none (CORS closed) when unset. */
    ISSUER_CORS_ORIGINS: CorsOrigins.default([]),
    /** PEM files; with an https ISSUER_URL and no certificate, a TLS-terminating proxy is assumed. */
    ISSUER_TLS_CERT_FILE: z.string().min(1).optional(),
    ISSUER_TLS_KEY_FILE: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .refine((env) => !env.ISSUER_TLS_CERT_FILE === !env.ISSUER_TLS_KEY_FILE, {
    message: "set both ISSUER_TLS_CERT_FILE and ISSUER_TLS_KEY_FILE, or neither",
    path: ["ISSUER_TLS_CERT_FILE"],
  });

export type IssuerConfig = z.infer<typeof IssuerConfig>;

/** Parses the environment, or throws one line per problem: `ISSUER_URL: must be an https URL …`. */
export function loadConfig(env: NodeJS.ProcessEnv): IssuerConfig {
  const result = IssuerConfig.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new Error(`invalid configuration\n${lines.join("\n")}`);
}
