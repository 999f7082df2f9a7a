/** Fewest characters a search can have: the index is made of character trigrams. */
export const minSearchLength = 3;

/**
 * The user's text as one FTS5 string, so operators in it (`AND`, `NEAR`, `*`, `-`, column filters,
 * parentheses) are inert. With the trigram tokenizer a string is a phrase of consecutive trigrams, i.e. an
 * exact substring within one column, as `LIKE '%q%'` was.
 *
 * Throws RangeError for fewer than 3 characters (code points): no trigram can be formed, and FTS5 would
 * silently match nothing. The API refuses such input before it gets here.
 */
export function ftsPhrase(q: string): string {
  assertSearchLength(q);
  return `"${q.replaceAll('"', '""')}"`;
}

/** Throws RangeError when `q` has fewer than `minSearchLength` characters (code points); every engine checks it. */
export function assertSearchLength(q: string): void {
  const length = [...q].length;
  if (length < minSearchLength) {
    throw new RangeError(`a search needs at least ${minSearchLength} characters, got ${length}`);
  }
}

/**
 * The user's text as a PostgreSQL `ILIKE … ESCAPE '\'` pattern matching it as a substring: `%`, `_` and the
 * escape character itself are escaped, so they match literally. Same length rule as `ftsPhrase`.
 *
 * @example likeSubstringPattern("100%_x") === "%100\\%\\_x%"
 */
export function likeSubstringPattern(q: string): string {
  assertSearchLength(q);
  return `%${q.replace(/[\\%_]/gu, "\\$&")}%`;
}
