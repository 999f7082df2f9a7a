import { errors, type ClientMetadata, type KoaContextWithOIDC } from "oidc-provider";
import { jwksProblem } from "./client-keys.ts";
import { knownScopes } from "./scopes.ts";

/**
 * What a client may be registered with, and what an RFC 7592 update may change. Runs inside
 * oidc-provider's client schema (as the `extraClientMetadata` validator), so it covers registration,
 * updates, the operator CLI and clients loaded from the database alike, and a refusal is the RFC 7591
 * `invalid_client_metadata` error before anything is stored.
 *
 * oidc-provider's own `registration.policies` would be the other candidate, but they only exist for
 * adapter-backed initial access tokens; this issuer's registration token is a single configured string.
 */

const known = new Set<string>(knownScopes);

const split = (scope: string) => scope.split(" ").filter(Boolean);

/** The first rule a client's (full, defaults-applied) metadata breaks, whoever submits it. */
export function metadataProblem(metadata: ClientMetadata): string | undefined {
  const { scope } = metadata;
  if (typeof scope !== "string" || scope.trim() === "") {
    return `scope is required (space-separated, from: ${knownScopes.join(" ")})`;
  }
  const unknown = split(scope).find((value) => !known.has(value));
  if (unknown !== undefined) return `scope ${unknown} is not supported (supported: ${knownScopes.join(" ")})`;
  // The issuer would fetch a client-named URL (a request forgery vector) and could not check those keys now.
  if (metadata.jwks_uri !== undefined) return "jwks_uri is not supported; register the public keys inline as jwks";
  if (metadata.jwks !== undefined) return jwksProblem(metadata.jwks);
  return undefined;
}

/**
 * The first way an RFC 7592 update would let the client do more than it could before. The registration
 * access token only proves the caller is the client, so it may narrow its grants and replace its keys
 * (RFC 7592's key rotation) but not widen them; that is the operator's call (`clients …` CLI).
 */
export function wideningProblem(current: ClientMetadata, next: ClientMetadata): string | undefined {
  const currentScopes = new Set(split(current.scope ?? ""));
  const addedScope = split(next.scope ?? "").find((scope) => !currentScopes.has(scope));
  if (addedScope !== undefined) {
    return `scope cannot be widened by a client update: ${addedScope} is not in the client's current scope (only the issuer's operator can grant it)`;
  }
  const currentGrants = new Set(current.grant_types ?? []);
  const addedGrant = (next.grant_types ?? []).find((grant) => !currentGrants.has(grant));
  if (addedGrant !== undefined) {
    return `grant_types cannot be widened by a client update: ${addedGrant} is not among the client's current grant types`;
  }
  if (next.token_endpoint_auth_method !== current.token_endpoint_auth_method) {
    return `token_endpoint_auth_method cannot be changed by a client update (it is ${current.token_endpoint_auth_method})`;
  }
  return undefined;
}

/** The stored client an RFC 7592 update replaces, or undefined when `ctx` is not such an update. */
function clientBeingUpdated(ctx: KoaContextWithOIDC | undefined): ClientMetadata | undefined {
  if (ctx?.oidc?.route !== "client_update") return undefined;
  return ctx.oidc.client?.metadata();
}

/**
 * The `extraClientMetadata.validator`. oidc-provider calls it once per extra property with the whole
 * metadata; the checks span several properties, so they run once, on `scope`.
 */
export function validateClientMetadata(ctx: KoaContextWithOIDC | undefined, key: string, _value: unknown, metadata: ClientMetadata): void {
  if (key !== "scope") return;
  const current = clientBeingUpdated(ctx);
  const problem = metadataProblem(metadata) ?? (current ? wideningProblem(current, metadata) : undefined);
  if (problem !== undefined) throw new errors.InvalidClientMetadata(problem);
}
