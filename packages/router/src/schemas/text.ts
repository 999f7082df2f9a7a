import { z } from "zod";

/**
 * Text rules shared by every string field (SECURITY.md, "Text rules"):
 * - well-formed Unicode: a lone surrogate has no UTF-8 encoding, so SQLite would store U+FFFD instead and the
 *   caller's acknowledged value would not be what is stored;
 * - no control (Cc) or format (Cf) characters: NUL, ESC, zero-width spaces and joiners, soft hyphens and
 *   bidirectional overrides make values that look alike but differ, or that rewrite how a log line or a
 *   terminal shows them. Descriptions may hold tab, line feed and carriage return.
 * - part and model numbers are identifiers: NFKC-normalised (fullwidth `ＰＮ` is `PN`), then printable ASCII
 *   only, so no other script can imitate a Latin letter (Cyrillic `Р`, Greek `Ο`) and no dash look-alike (U+2011)
 *   can pass for `-`. Case is kept but does not make a part number unique (the database compares keys).
 */

const describe = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

function firstMatch(pattern: RegExp, text: string): string | undefined {
  return pattern.exec(text)?.[0];
}

const loneSurrogate = /\p{Cs}/u;
const controlOrFormat = /[\p{Cc}\p{Cf}]/u;
// Cc other than tab, line feed and carriage return; all of Cf.
const controlOrFormatButLineBreaks = /[^\P{Cc}\t\n\r]|\p{Cf}/u;
const notPrintableAscii = /[^\x20-\x7E]/u;

function rejectWith(pattern: RegExp, reason: string) {
  return (text: string, ctx: z.RefinementCtx) => {
    const found = firstMatch(pattern, text);
    if (found !== undefined) ctx.addIssue({ code: "custom", message: `${reason} (found ${describe(found)})` });
  };
}

const wellFormed = rejectWith(loneSurrogate, "must be well-formed Unicode (no lone surrogates)");
const visible = rejectWith(controlOrFormat, "must not contain control or invisible formatting characters");
const visibleOrLineBreak = rejectWith(controlOrFormatButLineBreaks, "must not contain control or invisible formatting characters other than tab and line breaks");
const identifierCharacters = rejectWith(notPrintableAscii, "may contain only printable ASCII letters, digits, spaces and punctuation (after Unicode NFKC normalisation)");

/** Free text on one line: names and search terms. */
export const lineText = () => z.string().trim().superRefine(wellFormed).superRefine(visible);

/** Free text that may span lines: descriptions. */
export const multilineText = () => z.string().trim().superRefine(wellFormed).superRefine(visibleOrLineBreak);

/** Part and model numbers as stored: NFKC, trimmed, printable ASCII. */
export const identifierText = () =>
  z.string().superRefine(wellFormed).normalize("NFKC").trim().superRefine(visible).superRefine(identifierCharacters);

/** A value to look an identifier up by: the same normalisation, any script (rows stored before the ASCII rule). */
export const identifierLookupText = () => z.string().superRefine(wellFormed).normalize("NFKC").trim().superRefine(visible);

/** Length in characters (code points), as the trigram search counts them, not UTF-16 units. */
export const characterCount = (text: string) => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};
