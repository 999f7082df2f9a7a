export const Scopes = {
  read: "parts:read",
  write: "parts:write",
} as const;

export type Scope = (typeof Scopes)[keyof typeof Scopes];

/** `scope` is RFC 9068's space-delimited string; `scp` is Okta's (array) and Entra's delegated scopes. */
export const defaultScopeClaims = ["scope", "scp"] as const;

/**
 * Scopes from the given claims, each a space-delimited string or an array of strings (Entra puts
 * application permissions in `roles`). Whole words only: `parts:readonly` never grants `parts:read`.
 */
export function scopesOf(claims: Record<string, unknown>, claimNames: readonly string[] = defaultScopeClaims): string[] {
  const words = (value: unknown): string[] =>
    typeof value === "string"
      ? value.split(" ").filter(Boolean)
      : Array.isArray(value)
        ? value.filter((s): s is string => typeof s === "string")
        : [];
  return [...new Set(claimNames.flatMap((name) => words(claims[name])))];
}
