import { Scopes, type Scope } from "@parts/router/scopes";
import { errors, type Client, type KoaContextWithOIDC } from "oidc-provider";

/** Every scope this issuer grants (the parts API's, defined by it); anything else in a request is an error. */
export const knownScopes: readonly Scope[] = Object.values(Scopes);
export type KnownScope = Scope;

const known = new Set<string>(knownScopes);

/** Splits, de-duplicates and checks a space-separated scope list; throws `invalid_scope` on an unknown one. */
export function parseScope(value: string): string[] {
  const scopes = [...new Set(value.split(" ").filter(Boolean))];
  const unknown = scopes.find((scope) => !known.has(scope));
  if (unknown !== undefined) throw new errors.InvalidScope("requested scope is not supported", unknown);
  return scopes;
}

/**
 * Token-request scope rules oidc-provider does not have: an unknown scope is `invalid_scope` (it would drop
 * it), and no `scope` means the client's whole allowed set (it would issue a token without a scope claim).
 * Runs from `getResourceServerInfo`, the one hook that sees the request before scopes are resolved; scopes
 * outside the client's allowed set are then rejected by oidc-provider itself.
 */
export function applyScopePolicy(ctx: KoaContextWithOIDC, client: Client): void {
  if (ctx.oidc.route !== "token") return;
  const params = ctx.oidc.params as { scope?: string } | undefined;
  if (!params) return;
  if (params.scope === undefined || params.scope.trim() === "") {
    params.scope = client.scope;
    return;
  }
  parseScope(params.scope);
}
