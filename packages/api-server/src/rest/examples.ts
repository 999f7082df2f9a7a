import type { Part } from "@parts/router";
import { ifMatchRequiredDetail } from "./preconditions.ts";
import { problem, type Problem, type ProblemName } from "./problem.ts";

/** Examples shown in the OpenAPI document; the tests parse each with the schema it illustrates. */
export const examplePart: Part = {
  id: 42,
  partNumber: "PN-1042",
  modelNumber: "M-7",
  name: "Hex bolt M8x40",
  description: "Zinc-plated steel, DIN 933",
  version: 1,
  createdAt: "2026-01-15T09:30:00.000Z",
  updatedAt: "2026-01-15T09:30:00.000Z",
  createdBy: "inventory-sync",
  updatedBy: "inventory-sync",
};

export const examplePage = { items: [examplePart], nextCursor: "aWQ6NDI" };

export const exampleNewPart = { partNumber: "PN-1042", modelNumber: "M-7", name: "Hex bolt M8x40", description: "Zinc-plated steel, DIN 933" };

export const examplePatch = { name: "Hex bolt M8x45", description: null };

/** One problem per name, with the detail a caller would really get. */
export const exampleProblems: Record<ProblemName, Problem> = {
  "validation-failed": problem("validation-failed", "name: Too big: expected string to have <=200 characters", {
    name: ["Too big: expected string to have <=200 characters"],
  }),
  "malformed-json": problem("malformed-json", "the body is not well-formed UTF-8 JSON"),
  "bad-request": problem("bad-request", "the request cannot be served as sent"),
  "invalid-request": problem("invalid-request", "Authorization header must be 'Bearer <token>'"),
  "missing-token": problem("missing-token", "no bearer token"),
  "invalid-token": problem("invalid-token", "token expired"),
  "insufficient-scope": problem("insufficient-scope", "this call requires the parts:write scope"),
  "not-found": problem("not-found", "no part with id 42"),
  "no-such-route": problem("no-such-route", "no route /api/part; the routes are described at /openapi.json"),
  "method-not-allowed": problem("method-not-allowed", "PUT is not allowed here; allowed: GET, PATCH, DELETE, HEAD, OPTIONS"),
  conflict: problem("conflict", "a part with this partNumber already exists"),
  "precondition-failed": problem("precondition-failed", "the part is at version 4, not 3; read it again and retry"),
  "precondition-required": problem("precondition-required", ifMatchRequiredDetail),
  "payload-too-large": problem("payload-too-large", "the body exceeds 1048576 bytes"),
  "unsupported-media-type": problem("unsupported-media-type", "send the body as application/json"),
  "rate-limited": problem("rate-limited", 'rate limit "read" exceeded; retry after 42 s'),
  "internal-error": problem("internal-error", "Internal server error"),
  "issuer-unavailable": problem("issuer-unavailable", "the issuer's signing keys are unavailable"),
  "database-unavailable": problem("database-unavailable", "the database is unavailable; retry later"),
  unavailable: problem("unavailable", "server overloaded; retry later"),
};
