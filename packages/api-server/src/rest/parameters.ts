/**
 * Path and query strings to procedure input, converted here and only here: the shared zod schemas stay strict
 * (`parts.byId` over tRPC keeps refusing `{ "id": "5" }`), and nothing is coerced loosely (`Number("0x10")` is 16,
 * `Number("1e3")` is 1000, `Number("")` is 0). A value that is not plain decimal digits is refused; the range
 * checks are the schema's own, run by the procedure.
 */

/** Field name → messages, as `errors` in a problem. */
export type FieldErrors = Record<string, string[]>;

export type Converted<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

const decimalDigits = /^[0-9]+$/;
/** Longer digit strings are out of every range anyway; stopping here keeps `Number` from rounding silently. */
const maxDigits = 16;
/** An unknown parameter's name is echoed back, bounded. */
const maxShownNameLength = 64;
const maxShownUnknown = 10;

function decimal(text: string): number | undefined {
  return decimalDigits.test(text) && text.length <= maxDigits ? Number(text) : undefined;
}

/** The `{id}` path segment, still percent-encoded as it came on the request line. */
export function partIdFromPath(segment: string): Converted<number> {
  let text: string | undefined;
  try {
    text = decodeURIComponent(segment);
  } catch {
    text = undefined;
  }
  const id = text === undefined ? undefined : decimal(text);
  return id === undefined ? { ok: false, errors: { id: ["must be a positive integer in decimal digits"] } } : { ok: true, value: id };
}

/** `GET /api/parts` parameters: each at most once; `limit` in decimal digits; the strings as given. */
export const listParameters = ["limit", "cursor", "q", "modelNumber", "createdBy", "updatedBy"] as const;
type ListParameter = (typeof listParameters)[number];
const isListParameter = (name: string): name is ListParameter => (listParameters as readonly string[]).includes(name);

export function listInputFromQuery(query: URLSearchParams): Converted<Partial<Record<ListParameter, string | number>>> {
  // No prototype: a parameter named `__proto__` is a key like any other.
  const errors: FieldErrors = Object.create(null) as FieldErrors;
  const input: Partial<Record<ListParameter, string | number>> = {};
  const unknown = new Set<string>();
  for (const [name, value] of query) {
    if (!isListParameter(name)) {
      unknown.add(name.slice(0, maxShownNameLength));
    } else if (name in input || name in errors) {
      errors[name] = ["may be given at most once"];
    } else if (name === "limit") {
      const limit = decimal(value);
      if (limit === undefined) errors.limit = ["must be an integer in decimal digits"];
      else input.limit = limit;
    } else {
      input[name] = value;
    }
  }
  for (const name of [...unknown].slice(0, maxShownUnknown)) errors[name] = [`unknown query parameter; known: ${listParameters.join(", ")}`];
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: input };
}
