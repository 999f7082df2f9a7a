import type { Client, KoaContextWithOIDC } from "oidc-provider";

type Next = () => Promise<unknown>;

/**
 * CORS is closed unless an origin is on the allow-list (`ISSUER_CORS_ORIGINS`). oidc-provider answers every
 * preflight, and every discovery and JWKS request, with `Access-Control-Allow-Origin` echoing the caller's
 * origin; its `clientBasedCORS` setting only governs actual (non-preflight) requests to client-authenticated
 * endpoints such as /token. So both are used: `clientBasedCORS` refuses a token request from an origin not
 * on the list, and `corsGate` strips every `Access-Control-*` header the provider set for any other origin
 * (or for a request with no Origin, where the provider sends `*`).
 */
export function corsPolicy(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  const isAllowed = (origin: string) => allowed.has(origin);

  function clientBasedCORS(_ctx: KoaContextWithOIDC, origin: string, _client: Client): boolean {
    return isAllowed(origin);
  }

  async function corsGate(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    try {
      await next();
    } finally {
      if (!isAllowed(ctx.get("origin"))) {
        for (const header of Object.keys(ctx.response.headers)) {
          if (header.toLowerCase().startsWith("access-control-")) ctx.remove(header);
        }
      }
    }
  }

  return { clientBasedCORS, corsGate };
}
