import { trace, type Tracer } from "@opentelemetry/api";
import { inChildSpan, recordingSpanActive } from "./child-span.ts";
import { instrumentationScope } from "./scope.ts";

/** What is traced of a token verifier (`@parts/router`'s `TokenVerifier`): `verify`, and its cache counters if any. */
interface Verifier {
  verify(token: string, hooks?: never): Promise<unknown>;
  readonly cacheStats?: { readonly hits: number };
}

/**
 * The same verifier, each `verify` in a "verify token" span: whether the verified-token cache answered
 * (`parts.auth.cache_hit`), and `error.type` (the AuthError code) when it refused. Never the token or its claims.
 */
export function traceVerifier<V extends Verifier>(verifier: V, tracer: Tracer = trace.getTracer(instrumentationScope)): V {
  const verify = verifier.verify.bind(verifier) as (token: string, hooks?: unknown) => Promise<unknown>;
  const traced = (token: string, hooks?: unknown) => {
    if (!recordingSpanActive()) return verify(token, hooks);
    const hitsBefore = verifier.cacheStats?.hits;
    return inChildSpan(tracer, { name: "verify token" }, () => verify(token, hooks), (span) => {
      // The cache is looked up synchronously at the start of verify, so its counter has moved by now.
      if (hitsBefore !== undefined) span.setAttribute("parts.auth.cache_hit", verifier.cacheStats!.hits !== hitsBefore);
    });
  };
  return { ...verifier, verify: traced as V["verify"] };
}
