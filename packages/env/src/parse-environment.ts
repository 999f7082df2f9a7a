import type { z } from "zod";

/**
 * Parses the environment with `schema`, or throws one line naming each bad variable and why:
 * `invalid configuration: ISSUER: must not be empty; PORT: must be an integer from 0 to 65535`.
 * One reason per variable (the first is the one to fix first); the reasons are the schema's own words, which
 * must not contain a variable's value.
 */
export function parseEnvironment<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const reasons = new Map<string, string>();
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? "environment");
    if (!reasons.has(name)) reasons.set(name, issue.message);
  }
  throw new Error(`invalid configuration: ${[...reasons].map(([name, reason]) => `${name}: ${reason}`).join("; ")}`);
}
