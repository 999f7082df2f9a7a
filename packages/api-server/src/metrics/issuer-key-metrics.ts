import { Counter, fastCounter, Gauge, type Registry } from "@parts/metrics";
import type { TokenVerifier } from "@parts/router";

/** Which issuer document a fetch was for: discovery metadata or the key set. */
function documentOf(url: string): "discovery" | "jwks" {
  return url.includes("/.well-known/") ? "discovery" : "jwks";
}

/**
 * What the verifier fetches from the issuer (discovery and JWKS, each ok or failed), how old the key set it holds
 * is, and its verified-token cache hits and misses.
 */
export function createIssuerKeyMetrics(registry: Registry, now: () => number = Date.now) {
  const fetches = fastCounter(registry, {
    name: "parts_api_issuer_fetches_total",
    help: "Fetches of the issuer's discovery metadata and key set (JWKS); failed = no answer or not 200.",
    labelNames: ["document", "result"],
  });
  const startedAt = now();
  let keysFetchedAt: number | undefined;
  new Gauge({
    name: "parts_api_jwks_age_seconds",
    help: "Seconds since the key set was last fetched successfully (since start while it never was).",
    registers: [registry],
    collect() {
      this.set((now() - (keysFetchedAt ?? startedAt)) / 1000);
    },
  });

  return {
    /** `fetch` for the verifier: the same requests and answers, counted; a failure is rethrown as it came. */
    fetch: (async (input, init) => {
      const document = documentOf(input instanceof Request ? input.url : String(input));
      let response: Response;
      try {
        response = await fetch(input, init);
      } catch (error) {
        fetches(document, "failed").inc();
        throw error;
      }
      fetches(document, response.ok ? "ok" : "failed").inc();
      if (response.ok && document === "jwks") keysFetchedAt = now();
      return response;
    }) as typeof fetch,

    /** Reads the verifier's cache counts at each scrape: the verifier counts in plain numbers, nothing more. */
    watchVerifier(verifier: Pick<TokenVerifier, "cacheStats">): void {
      new Counter({
        name: "parts_api_token_cache_lookups_total",
        help: "Verified-token cache lookups: a hit skips the signature check, a miss verifies the token.",
        labelNames: ["result"],
        registers: [registry],
        collect() {
          this.reset();
          this.inc({ result: "hit" }, verifier.cacheStats.hits);
          this.inc({ result: "miss" }, verifier.cacheStats.misses);
        },
      });
    },
  };
}
