import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";
import { DatabaseError } from "@parts/db";
import type { Logger } from "pino";
import { knownScopes } from "./scopes.ts";
import { isHashedSecret } from "./secrets.ts";

/** The only endpoints this issuer serves; oidc-provider's end-user routes (authorize, logout…) answer 404. */
const servedPaths = [
  /^\/\.well-known\/(openid-configuration|oauth-authorization-server)$/,
  /^\/jwks$/,
  /^\/token$/,
  /^\/reg(\/[^/]+)?$/,
];

type Next = () => Promise<unknown>;

/**
 * oidc-provider always advertises `openid` and its authorization endpoint; neither exists here, and clients
 * that read metadata should not be told otherwise.
 */
function trimDiscovery(body: Record<string, unknown>): void {
  body.scopes_supported = [...knownScopes];
  for (const key of ["authorization_endpoint", "response_modes_supported", "code_challenge_methods_supported", "claims_supported", "claim_types_supported", "claims_parameter_supported", "authorization_response_iss_parameter_supported", "request_uri_parameter_supported"]) {
    delete body[key];
  }
}

/** Client id of a token request, for logs: from the client, the form, or the Basic header's user part. */
function clientIdOf(ctx: KoaContextWithOIDC): string | undefined {
  const known = ctx.oidc?.client?.clientId ?? (ctx.oidc?.params?.client_id as string | undefined);
  if (known) return known.slice(0, 200);
  const header = ctx.get("authorization");
  if (!header.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const user = decoded.slice(0, Math.max(0, decoded.indexOf(":")));
  try {
    return decodeURIComponent(user).slice(0, 200);
  } catch {
    return user.slice(0, 200);
  }
}

export function installHooks(provider: Provider, logger: Logger): void {
  provider.use(async (ctx, next: Next) => {
    if (!servedPaths.some((pattern) => pattern.test(ctx.path))) {
      ctx.status = 404;
      ctx.body = { error: "not_found", error_description: "no such endpoint" };
      return;
    }
    await next();
    // The store could not serve (PostgreSQL down or restarting, pool exhausted): a retryable 503, not a 500.
    if (ctx.status === 500 && ctx.state.storeUnavailable === true) {
      ctx.status = 503;
      ctx.set("retry-after", "1");
      ctx.body = { error: "temporarily_unavailable", error_description: "the issuer's database is unavailable; retry shortly" };
      return;
    }
    // RFC 7592 read/update echo the stored client; its secret there is a hash, useless and not to be shown.
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.path.startsWith("/.well-known/") && ctx.status === 200 && body) trimDiscovery(body);
    if (ctx.path.startsWith("/reg/") && body && typeof body.client_secret === "string" && isHashedSecret(body.client_secret)) {
      delete body.client_secret;
      delete body.client_secret_expires_at;
    }
  });

  provider.on("grant.error", (ctx: KoaContextWithOIDC, error: { error?: string; error_detail?: string }) => {
    if (error.error === "invalid_client") {
      logger.warn({ clientId: clientIdOf(ctx), reason: error.error_detail }, "client authentication failed");
    }
  });
  const rejected = (event: string) => (_ctx: KoaContextWithOIDC, error: { error?: string; error_description?: string }) => {
    logger.warn({ event, error: error.error, reason: error.error_description }, "client registration request rejected");
  };
  provider.on("registration_create.error", rejected("registration_create.error"));
  provider.on("registration_read.error", rejected("registration_read.error"));
  provider.on("registration_update.error", rejected("registration_update.error"));
  provider.on("registration_delete.error", rejected("registration_delete.error"));
  provider.on("server_error", (ctx: KoaContextWithOIDC, error: unknown) => {
    if (error instanceof DatabaseError && error.code === "ERR_DATABASE_UNAVAILABLE") {
      ctx.state.storeUnavailable = true;
      logger.warn({ path: ctx.path, reason: error.message }, "issuer database unavailable");
      return;
    }
    logger.error({ err: error, path: ctx.path }, "issuer request failed");
  });
}
