/**
 * The form in which two part numbers are compared: `ＲＴ-ＰＮ-１`, ` rt-pn-1 ` and `RT-PN-1` are one part.
 *
 * NFKC folds compatibility characters (fullwidth letters and digits, ligatures, non-breaking spaces) into their
 * plain forms; whitespace runs collapse to one space and the ends are trimmed; upper-casing before lower-casing
 * approximates full Unicode case folding (`ß` → `SS` → `ss`), which `toLowerCase` alone does not do.
 *
 * The result is stored in `parts.part_number_key` under a unique index: changing this function changes which
 * stored rows collide, so it needs a migration that recomputes the keys.
 *
 * @example partNumberKey("  Ｐart\u00a0 No.ß ") === "part no.ss"
 */
export function partNumberKey(partNumber: string): string {
  return partNumber.normalize("NFKC").trim().replace(/\s+/gu, " ").toUpperCase().toLowerCase();
}
