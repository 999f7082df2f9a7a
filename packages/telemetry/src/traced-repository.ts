import { SpanKind, trace, type Tracer } from "@opentelemetry/api";
import { inChildSpan, recordingSpanActive } from "./child-span.ts";
import { instrumentationScope } from "./scope.ts";

/** `db.system.name` values (semantic conventions 1.33+) of the engines this project runs. */
export type DatabaseSystem = "sqlite" | "postgresql";

/**
 * The same repository (a plain object of async methods, such as `@parts/db`'s `PartsRepository`), each call in a
 * CLIENT span "db parts.<operation>" with the database system, collection and operation. Never the arguments:
 * they hold part ids, search text and the parts themselves. Every own method is wrapped, so an operation added to
 * the contract is traced without a change here.
 */
export function traceRepository<R extends object>(repository: R, system: DatabaseSystem, tracer: Tracer = trace.getTracer(instrumentationScope)): R {
  const traced: Record<string, unknown> = { ...(repository as Record<string, unknown>) };
  for (const [operation, method] of Object.entries(repository)) {
    if (typeof method !== "function") continue;
    const call = (method as (...args: unknown[]) => Promise<unknown>).bind(repository);
    const child = {
      name: `db parts.${operation}`,
      kind: SpanKind.CLIENT,
      attributes: {
        "db.system.name": system,
        // The attribute's name before semantic conventions 1.33, still the one many backends read.
        "db.system": system,
        "db.collection.name": "parts",
        "db.operation.name": operation,
      },
    };
    traced[operation] = (...args: unknown[]) => (recordingSpanActive() ? inChildSpan(tracer, child, () => call(...args)) : call(...args));
  }
  return traced as R;
}
