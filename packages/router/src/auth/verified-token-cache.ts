/**
 * Remembers verified tokens until they expire, so a client that reuses its token does not pay a signature
 * check per request. Bounded; the oldest entry is evicted first. Keyed by the whole token, so a token that
 * differs in any byte is verified afresh.
 */
export function createVerifiedTokenCache<T>(maxEntries: number, now: () => number = Date.now) {
  const entries = new Map<string, { value: T; expiresAtMs: number }>();
  return {
    get(token: string): T | undefined {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      if (now() >= entry.expiresAtMs) {
        entries.delete(token);
        return undefined;
      }
      return entry.value;
    },
    set(token: string, value: T, expiresAtMs: number): void {
      if (maxEntries <= 0) return;
      entries.delete(token);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(token, { value, expiresAtMs });
    },
    get size(): number {
      return entries.size;
    },
  };
}
