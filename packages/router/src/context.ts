import type { PartsRepository } from "@parts/db";
import { bearerTokenFrom } from "./auth/bearer.ts";
import type { Principal, TokenVerifier } from "./auth/verifier.ts";
import { limitVerification, type ApiRateLimits } from "./rate-limits.ts";

/** Per-request facts the host may want to log once the response is done. */
export interface RequestFacts {
  clientId?: string;
}

/** One successful write, for an audit log: who (the verified token's client id), what, and the version it left. */
export interface AuditEvent {
  clientId: string;
  procedure: "parts.create" | "parts.update" | "parts.delete";
  partId: number;
  /** The version the write left; for a delete, the version the part had when deleted. */
  version: number;
}

export interface ContextDeps {
  verifier: TokenVerifier;
  parts: PartsRepository;
  rateLimits?: ApiRateLimits;
  /**
   * Called after each successful write, once it is stored (not for refused or failed ones). Must not throw: the
   * write is done, and the caller gets its answer either way.
   */
  audit?: (event: AuditEvent) => void;
  /**
   * Told how each request's authentication ended, once per request (a batch authenticates once): `verified`, or
   * `refused` with the error that refused it (AuthError, RateLimitedError, …). For metrics; must not throw.
   */
  authOutcomes?: AuthOutcomes;
}

export interface AuthOutcomes {
  verified(): void;
  refused(error: unknown): void;
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
    let verified: Principal;
    try {
      const beforeSignatureCheck = limitVerification(deps.rateLimits, () => request.sourceAddress);
      verified = await deps.verifier.verify(bearerTokenFrom(request.authorization), { beforeSignatureCheck });
    } catch (error) {
      deps.authOutcomes?.refused(error);
      throw error;
    }
    deps.authOutcomes?.verified();
    facts.clientId = verified.clientId;
    return verified;
  }
  return {
    parts: deps.parts,
    rateLimits: deps.rateLimits,
    audit: deps.audit,
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
  audit?: ContextDeps["audit"];
  facts: RequestFacts;
  authenticate(): Promise<Principal>;
}
