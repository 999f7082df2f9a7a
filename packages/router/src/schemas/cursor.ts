import { z } from "zod";

// Cursors are opaque to callers so the keyset can change (e.g. to a composite sort) without breaking them.
const prefix = "id:";

export function encodeCursor(afterId: number): string {
  return Buffer.from(`${prefix}${afterId}`).toString("base64url");
}

/** Used as a zod transform: a cursor that was not produced by `encodeCursor` is a field error. */
export function decodeCursor(cursor: string, ctx: z.RefinementCtx): number {
  const text = Buffer.from(cursor, "base64url").toString();
  const id = text.startsWith(prefix) ? Number(text.slice(prefix.length)) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 0 || encodeCursor(id) !== cursor) {
    ctx.addIssue({ code: "custom", message: "invalid cursor; pass nextCursor from a previous page" });
    return z.NEVER;
  }
  return id;
}
