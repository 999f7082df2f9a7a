import { errors, type KoaContextWithOIDC } from "oidc-provider";

/**
 * Extra rules for `private_key_jwt` client assertions, on top of oidc-provider's (signature, `iss`, `jti`,
 * `exp` present and not past, one of the accepted audiences). Each accepted assertion keeps a replay row
 * until its `exp`, so a long-lived one is both a long replay window and a row kept for years; and an
 * assertion also valid at other audiences could be replayed there.
 */
export const maxAssertionLifetimeSeconds = 300;

export interface AssertionRules {
  /** The only acceptable `aud` values: the issuer identifier and the token endpoint URL. */
  audiences: ReadonlySet<string>;
  /** Epoch seconds. */
  now: number;
  /** Seconds of clock difference allowed between client and issuer. */
  clockTolerance: number;
}

/** Why the assertion's claims are refused, or undefined if they are acceptable. */
export function assertionProblem(claims: Record<string, unknown>, rules: AssertionRules): string | undefined {
  const { iat, exp, aud } = claims;
  if (typeof iat !== "number") return "client assertion must have an iat (issued at) claim";
  if (typeof exp !== "number") return "client assertion must have an exp (expiration) claim";
  if (exp - iat > maxAssertionLifetimeSeconds) {
    return `client assertion lifetime (exp - iat) must not exceed ${maxAssertionLifetimeSeconds} seconds`;
  }
  // exp - iat alone is not enough: an iat far in the future would still give a far exp.
  if (exp - rules.now > maxAssertionLifetimeSeconds + rules.clockTolerance) {
    return `client assertion must expire within ${maxAssertionLifetimeSeconds} seconds`;
  }
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (audiences.length === 0 || !audiences.every((value) => typeof value === "string" && rules.audiences.has(value))) {
    return "client assertion aud must be exactly the issuer identifier or the token endpoint URL, with no other audience";
  }
  return undefined;
}

/** The `assertJwtClientAuthClaimsAndHeader` hook; oidc-provider calls it after verifying the signature. */
export function createAssertionCheck(clockTolerance: number) {
  return function assertJwtClientAuthClaimsAndHeader(ctx: KoaContextWithOIDC, claims: Record<string, unknown>): void {
    const problem = assertionProblem(claims, {
      audiences: new Set([ctx.oidc.issuer, ctx.oidc.urlFor("token")]),
      now: Math.floor(Date.now() / 1000),
      clockTolerance,
    });
    if (problem !== undefined) throw new errors.InvalidClientAuth(problem);
  };
}
