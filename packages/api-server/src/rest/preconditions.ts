/**
 * Optimistic concurrency over HTTP (RFC 9110 §8.8.3, §13.1.1): a part's strong entity tag is `"<id>-<version>"`,
 * sent as `ETag` with every part a route answers; `If-Match` on PATCH and DELETE becomes the procedure's
 * `expectedVersion`, so the check and the write are the repository's one atomic statement.
 *
 * What this API accepts in `If-Match` (docs/api.md, "Versions and ETags"): `*` (any current version: the part
 * must exist, as without the header) or exactly one strong entity tag. Anything else cannot name a version of
 * the part atomically and is answered 412 before the procedure runs: a list of tags, a weak tag (`W/"…"`, which
 * never matches under the strong comparison If-Match uses), an unquoted value, or another part's tag.
 */
export interface VersionedPart {
  id: number;
  version: number;
}

export const entityTag = (part: VersionedPart): string => `"${part.id}-${part.version}"`;

/** The `ETag` value's pattern, for the OpenAPI document. */
export const entityTagPattern = '^"[0-9]+-[0-9]+"$';

export type IfMatch =
  /** No header: no condition (unless the server requires one: 428). */
  | { kind: "absent" }
  /** `*`: the part must exist, at any version. */
  | { kind: "any" }
  | { kind: "version"; expectedVersion: number }
  /** Nothing the part can match; `reason` is the problem's detail. */
  | { kind: "unmatchable"; reason: string };

/** The 428 problem's detail. */
export const ifMatchRequiredDetail = 'send If-Match with the part\'s ETag (e.g. "42-3"), or * to change it at any version';

const oneStrongTag = /^"([0-9]{1,15})-([0-9]{1,15})"$/;
const accepted = 'If-Match takes * or one entity tag as sent in ETag, e.g. "42-3"';

/** `If-Match` of a request for part `id`: `header` as node:http gives it (repeated fields joined with ", "). */
export function parseIfMatch(header: string | undefined, id: number): IfMatch {
  if (header === undefined) return { kind: "absent" };
  const value = header.trim();
  if (value === "*") return { kind: "any" };
  const match = oneStrongTag.exec(value);
  if (match === null) return { kind: "unmatchable", reason: accepted };
  const version = Number(match[2]);
  if (Number(match[1]) !== id || version < 1) return { kind: "unmatchable", reason: `${value} is not an entity tag of part ${id}` };
  return { kind: "version", expectedVersion: version };
}
