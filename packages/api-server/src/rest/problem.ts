import type { ServerResponse } from "node:http";
import { z } from "zod";

/**
 * RFC 9457 problem details, the body of every REST error (`application/problem+json`). `code` is the tRPC error
 * code the same failure has on `/trpc` (callers of both see one vocabulary); `errors` is tRPC's
 * `zodError.fieldErrors`: field name → messages.
 */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string(),
  code: z.string(),
  errors: z.record(z.string(), z.array(z.string())).optional(),
});
export type Problem = z.infer<typeof Problem>;

export const problemContentType = "application/problem+json";

/**
 * The problem types: stable names, documented in docs/api.md ("REST"). The `type` member is a URN, not a URL:
 * RFC 9457 allows any URI, and a URL would promise a page this API does not host.
 */
export const problemTypes = {
  "validation-failed": { status: 400, code: "BAD_REQUEST", title: "The request's input is invalid" },
  "malformed-json": { status: 400, code: "PARSE_ERROR", title: "The body is not valid JSON" },
  "bad-request": { status: 400, code: "BAD_REQUEST", title: "Bad request" },
  "invalid-request": { status: 400, code: "BAD_REQUEST", title: "Malformed Authorization header" },
  "missing-token": { status: 401, code: "UNAUTHORIZED", title: "An access token is required" },
  "invalid-token": { status: 401, code: "UNAUTHORIZED", title: "The access token was rejected" },
  "insufficient-scope": { status: 403, code: "FORBIDDEN", title: "The access token lacks the required scope" },
  "not-found": { status: 404, code: "NOT_FOUND", title: "No such part" },
  "no-such-route": { status: 404, code: "NOT_FOUND", title: "No such route" },
  "method-not-allowed": { status: 405, code: "METHOD_NOT_SUPPORTED", title: "Method not allowed on this route" },
  conflict: { status: 409, code: "CONFLICT", title: "Conflicts with a stored part" },
  "precondition-failed": { status: 412, code: "PRECONDITION_FAILED", title: "The part is not at the version If-Match names" },
  "payload-too-large": { status: 413, code: "PAYLOAD_TOO_LARGE", title: "The request is too large" },
  "unsupported-media-type": { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", title: "The body must be JSON" },
  "rate-limited": { status: 429, code: "TOO_MANY_REQUESTS", title: "Too many requests; retry after Retry-After seconds" },
  "precondition-required": { status: 428, code: "PRECONDITION_REQUIRED", title: "This server requires If-Match on changes" },
  "internal-error": { status: 500, code: "INTERNAL_SERVER_ERROR", title: "Internal server error" },
  "issuer-unavailable": { status: 503, code: "SERVICE_UNAVAILABLE", title: "The token issuer cannot be reached" },
  "database-unavailable": { status: 503, code: "SERVICE_UNAVAILABLE", title: "The database is unavailable" },
  unavailable: { status: 503, code: "SERVICE_UNAVAILABLE", title: "The server cannot serve now" },
} as const satisfies Record<string, { status: number; code: string; title: string }>;

export type ProblemName = keyof typeof problemTypes;

export const problemTypeUri = (name: ProblemName) => `urn:parts:problem:${name}`;

export function problem(name: ProblemName, detail: string, errors?: Record<string, string[]>): Problem {
  const { status, code, title } = problemTypes[name];
  return { type: problemTypeUri(name), title, status, detail, code, ...(errors ? { errors } : {}) };
}

export function sendProblem(res: ServerResponse, body: Problem, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res
    .writeHead(body.status, { "content-type": problemContentType, "content-length": String(Buffer.byteLength(json)), ...headers })
    .end(json);
}
