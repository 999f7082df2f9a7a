import type { PartsRepository } from "@parts/db";
import { bearerTokenFrom } from "./auth/bearer.ts";
import type { Principal, TokenVerifier } from "./auth/verifier.ts";
import { limitVerification, type ApiRateLimits } from "./rate-limits.ts";

/** Per-request facts the host may want to log once the response is done. */
export interface RequestFacts {
  clientId?: string;
}

export interface ContextDeps {
  verifier: TokenVerifier;
  parts: PartsRepository;
  rateLimits?: ApiRateLimits;
}

/**
 * Builds the per-request context. Authentication is lazy (public procedures never touch the token) and
 * memoized, so a batch of calls verifies its token once.
 */
export function createContext(
  deps: ContextDeps,
  /** `sourceAddress` is read only when an uncached token is verified under an address limit. */
  request: { authorization: string | readonly string[] | undefined; facts?: RequestFacts; readonly sourceAddress?: string },
): Context {
  let principal: Promise<Principal> | undefined;
  const facts = request.facts ?? {};
  async function verifyCaller(): Promise<Principal> {
    const beforeSignatureCheck = limitVerification(deps.rateLimits, () => request.sourceAddress);
    const verified = await deps.verifier.verify(bearerTokenFrom(request.authorization), { beforeSignatureCheck });
    facts.clientId = verified.clientId;
    return verified;
  }
  return {
    parts: deps.parts,
    rateLimits: deps.rateLimits,
    facts,
    authenticate(): Promise<Principal> {
      principal ??= verifyCaller();
      return principal;
    },
  };
}

/** What every procedure gets: the repository, the limits to count calls against, and lazy authentication. */
export interface Context {
  parts: PartsRepository;
  rateLimits?: ApiRateLimits;
  facts: RequestFacts;
  authenticate(): Promise<Principal>;
}
