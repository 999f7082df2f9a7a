import type { PartsRepository } from "@parts/db";
import { bearerTokenFrom } from "./auth/bearer.ts";
import type { Principal, TokenVerifier } from "./auth/verifier.ts";

/** Per-request facts the host may want to log once the response is done. */
export interface RequestFacts {
  clientId?: string;
}

export interface ContextDeps {
  verifier: TokenVerifier;
  parts: PartsRepository;
}

/**
 * Builds the per-request context. Authentication is lazy (public procedures never touch the token) and
 * memoized, so a batch of calls verifies its token once.
 */
export function createContext(deps: ContextDeps, request: { authorization: string | readonly string[] | undefined; facts?: RequestFacts }) {
  let principal: Promise<Principal> | undefined;
  const facts = request.facts ?? {};
  async function verifyCaller(): Promise<Principal> {
    const verified = await deps.verifier.verify(bearerTokenFrom(request.authorization));
    facts.clientId = verified.clientId;
    return verified;
  }
  return {
    parts: deps.parts,
    facts,
    authenticate(): Promise<Principal> {
      principal ??= verifyCaller();
      return principal;
    },
  };
}

export type Context = ReturnType<typeof createContext>;
