import type { KoaContextWithOIDC } from "oidc-provider";

type Next = () => Promise<unknown>;

/**
 * This issuer issues Bearer tokens only (oidc-provider's DPoP feature is off, and the parts API checks no
 * proof). With the feature off oidc-provider would ignore a `DPoP` header and answer with a Bearer token,
 * which a client asking for a sender-constrained token might not notice; refusing says so plainly.
 */
export const dpopRefusal = {
  error: "invalid_request",
  error_description: "DPoP is not supported: this issuer issues Bearer tokens only; send the token request without a DPoP header",
} as const;

export async function refuseDpop(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
  if (ctx.path === "/token" && ctx.get("dpop") !== "") {
    ctx.status = 400;
    ctx.set("cache-control", "no-store");
    ctx.body = { ...dpopRefusal };
    return;
  }
  await next();
}
