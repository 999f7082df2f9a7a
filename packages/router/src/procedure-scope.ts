import type { Scope } from "./auth/scopes.ts";
import { appRouter } from "./root.ts";

/**
 * The scope a procedure requires (`parts.create` → `parts:write`), read from the metadata `scopedProcedure`
 * attaches where the procedure is defined: the check and every description of it share one value. Undefined for
 * a public procedure or an unknown path.
 */
export function procedureScope(path: string): Scope | undefined {
  // At run time `_def.procedures` is flat, keyed by dotted path (the lean tRPC path relies on the same).
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { scope?: Scope } } } | undefined>;
  return procedures[path]?._def.meta?.scope;
}
