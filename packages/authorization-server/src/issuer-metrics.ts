import { Counter, createMetricsRegistry, Gauge, type Registry } from "@parts/metrics";
import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";
import { knownScopes } from "./scopes.ts";

/** OAuth error codes a token request can fail with (RFC 6749 §5.2, RFC 8707, RFC 9449); others count as `other`. */
const tokenErrors = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "invalid_target",
  "invalid_dpop_proof",
  "use_dpop_nonce",
  "server_error",
  "temporarily_unavailable",
]);

/** A token's scopes as one bounded label value: the known scopes it carries, sorted; `none` for none. */
export function scopeSetLabel(scope: string | undefined): string {
  const granted = new Set((scope ?? "").split(" "));
  const known = knownScopes.filter((name) => granted.has(name)).sort();
  return known.length > 0 ? known.join(" ") : "none";
}

/**
 * The issuer's metrics (docs/operations.md, "Metrics"): tokens issued by client and scope set (client ids are
 * bounded by the client registry), token failures by OAuth error, registrations, key rotations this process has
 * seen, and the age of the current signing key. oidc-provider's events feed the counters, so every provider the
 * issuer builds (one per key set) is observed with `observe`.
 */
export function createIssuerMetrics(registry: Registry = createMetricsRegistry(), now: () => number = Date.now) {
  const issued = new Counter({
    name: "parts_issuer_tokens_issued_total",
    help: "Access tokens issued, by client id and the set of scopes granted.",
    labelNames: ["client", "scope"],
    registers: [registry],
  });
  const failures = new Counter({
    name: "parts_issuer_token_failures_total",
    help: "Token requests refused, by OAuth error code.",
    labelNames: ["error"],
    registers: [registry],
  });
  const registrations = new Counter({
    name: "parts_issuer_registrations_total",
    help: "Dynamic client registrations (RFC 7591): created, or refused.",
    labelNames: ["result"],
    registers: [registry],
  });
  const rotations = new Counter({
    name: "parts_issuer_key_rotations_total",
    help: "Signing key changes this process has taken up (a rotation by this process, another one or the CLI).",
    registers: [registry],
  });
  let activatedAtSeconds: number | undefined;
  new Gauge({
    name: "parts_issuer_signing_key_age_seconds",
    help: "Seconds since the current signing key started signing.",
    registers: [registry],
    collect() {
      if (activatedAtSeconds !== undefined) this.set(now() / 1000 - activatedAtSeconds);
    },
  });
  // Counters read 0 from the first scrape, so a rate over them starts at once.
  registrations.inc({ result: "created" }, 0);
  registrations.inc({ result: "refused" }, 0);
  rotations.inc(0);

  let currentKid: string | undefined;
  return {
    registry,
    observe(provider: Provider): void {
      provider.on("grant.success", (ctx: KoaContextWithOIDC) => {
        const client = ctx.oidc.client?.clientId;
        if (client === undefined) return;
        const token = ctx.oidc.entities.ClientCredentials as { scope?: string } | undefined;
        issued.inc({ client, scope: scopeSetLabel(token?.scope) });
      });
      provider.on("grant.error", (_ctx: KoaContextWithOIDC, error: { error?: string }) => {
        failures.inc({ error: error.error !== undefined && tokenErrors.has(error.error) ? error.error : "other" });
      });
      provider.on("registration_create.success", () => registrations.inc({ result: "created" }));
      provider.on("registration_create.error", () => registrations.inc({ result: "refused" }));
    },
    /** Told each time the issuer takes up a key set: the current key's kid and when it started signing. */
    signingKey(kid: string, activatedAt: number | undefined): void {
      if (currentKid !== undefined && kid !== currentKid) rotations.inc();
      currentKid = kid;
      activatedAtSeconds = activatedAt;
    },
  };
}

export type IssuerMetrics = ReturnType<typeof createIssuerMetrics>;
