import { z } from "zod";

// Every variable goes through `text()` first, so an empty value (`ISSUER=`, or `PORT=` in a .env file) is an
// error of its own instead of a silent 0 (`Number("")`), an empty list or a URL parser's exception. To get a
// default, leave the variable unset.

/** The longest delay Node's timers honour (2^31 - 1 ms, about 24.8 days); larger ones fire at once. */
export const maxTimerMs = 2_147_483_647;

/** The log levels pino knows. */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A set variable's value: absent is "is required" (unless a default or `.optional()` applies), empty is an error. */
export const text = () =>
  z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be text") })
    .min(1, { error: "must not be empty", abort: true });

/** A whole number in decimal digits (no sign, exponent or fraction) from `min` to `max`. */
export function integer(min: number, max: number) {
  const reason = `must be an integer from ${min} to ${max}`;
  return text().regex(/^\d+$/, reason).transform(Number).pipe(z.number().min(min, reason).max(max, reason));
}

/** A comma-separated list; blank entries are dropped, but the list must name at least one entry. */
export function list(what: string) {
  return text()
    .transform((value) => value.split(",").map((entry) => entry.trim()).filter(Boolean))
    .refine((entries) => entries.length > 0, `must name at least one ${what}`);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return text().pipe(z.enum(values, { error: `must be one of ${values.join(", ")}` }));
}

/** `true`/`false`/`1`/`0`. */
export const booleanText = () => oneOf(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

/** Text that `URL.parse` accepts (null, never an exception), so a malformed value is reported against its variable. */
export const absoluteUrl = () =>
  text().refine((value) => URL.parse(value) !== null, { error: "must be an absolute URL such as https://id.example.com", abort: true });

/** Decodes a URL's percent-encoded user name or password as node-postgres will, or undefined when it cannot. */
function decodedOrUndefined(component: string): string | undefined {
  try {
    return decodeURIComponent(component);
  } catch {
    return undefined;
  }
}

/**
 * A PostgreSQL connection URL (`postgres://` or `postgresql://`, as node-postgres reads it). The reasons never
 * quote the value: it usually holds a password.
 */
export const postgresUrl = () =>
  text()
    .refine((value) => URL.parse(value) !== null, {
      error: "must be a URL such as postgres://user:password@db.example.com:5432/parts (percent-encode special characters)",
      abort: true,
    })
    .refine((value) => ["postgres:", "postgresql:"].includes(URL.parse(value)!.protocol), {
      error: "must start with postgres:// or postgresql://",
      abort: true,
    })
    .refine(
      (value) => {
        const url = URL.parse(value)!;
        return decodedOrUndefined(url.username) !== undefined && decodedOrUndefined(url.password) !== undefined;
      },
      { error: "must percent-encode special characters in the user name and password (% as %25)" },
    );
