export const Scopes = {
  read: "parts:read",
  write: "parts:write",
} as const;

export type Scope = (typeof Scopes)[keyof typeof Scopes];

/**
 * Scopes from `scope` (RFC 8693/9068: space-delimited string) or `scp` (Okta/Entra: array or string).
 * Whole words only: `parts:readonly` never grants `parts:read`.
 */
export function scopesOf(claims: Record<string, unknown>): string[] {
  const words = (value: unknown): string[] =>
    typeof value === "string"
      ? value.split(" ").filter(Boolean)
      : Array.isArray(value)
        ? value.filter((s): s is string => typeof s === "string")
        : [];
  return [...new Set([...words(claims.scope), ...words(claims.scp)])];
}
