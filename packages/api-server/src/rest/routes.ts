import type { AppRouter, RouterInputs } from "@parts/router";
import { listInputFromQuery, type Converted, type FieldErrors } from "./parameters.ts";

type Caller = ReturnType<AppRouter["createCaller"]>;
type Inputs = RouterInputs["parts"];

/** What a route takes from the request once the path, query and body have been read. */
export interface RouteRequest {
  /** The `{id}` path segment, converted (`parameters.ts`). */
  id: number | undefined;
  query: URLSearchParams;
  body: unknown;
  /** The version `If-Match` names (`preconditions.ts`); undefined without a condition or with `*`. */
  expectedVersion: number | undefined;
}

export const partsPath = "/api/parts";
export const partPath = "/api/parts/{id}";
export type RoutePath = typeof partsPath | typeof partPath;
export type RouteMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** One REST operation: which procedure it calls and how its input and answer are shaped. */
export interface RestRoute {
  method: RouteMethod;
  path: RoutePath;
  /** The tRPC procedure that does the work; its scope, validation and errors are the route's. */
  procedure: "parts.list" | "parts.byId" | "parts.create" | "parts.update" | "parts.delete";
  type: "query" | "mutation";
  operationId: string;
  summary: string;
  /** 200 with a body, 201 with a body and `Location`, or 204 without a body. */
  success: 200 | 201 | 204;
  /** The success body's component schema (none for 204). */
  returns?: "Part" | "PartPage";
  /** Takes `If-Match` (as the procedure's `expectedVersion`): answers 412 on a mismatch, 428 when required and absent. */
  conditional?: true;
  /** The request body's component schema and the media types it may come as. */
  body?: { schema: "NewPart" | "PartPatch"; mediaTypes: readonly string[] };
  /** The procedure's input, or the fields that cannot become one. */
  input(request: RouteRequest): Converted<unknown>;
  call(caller: Caller, input: unknown): Promise<unknown>;
}

const ok = (value: unknown): Converted<unknown> => ({ ok: true, value });
const fieldError = (errors: FieldErrors): Converted<unknown> => ({ ok: false, errors });
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `expectedVersion` only when `If-Match` names one: the procedure's input has no key for "no condition". */
const condition = (expectedVersion: number | undefined) => (expectedVersion === undefined ? {} : { expectedVersion });

/**
 * A merge patch for the part the path names. `id` belongs to the path and `expectedVersion` to `If-Match`: in the
 * body they are refused (taking either would silently ignore the other). A body that is not an object goes to the
 * procedure as it is, whose schema refuses it.
 */
function patchInput({ id, body, expectedVersion }: RouteRequest): Converted<unknown> {
  if (!isPlainObject(body)) return ok(body);
  if (Object.hasOwn(body, "id")) return fieldError({ id: ["is taken from the path; leave it out of the body"] });
  if (Object.hasOwn(body, "expectedVersion")) return fieldError({ expectedVersion: ["is taken from If-Match; leave it out of the body"] });
  return ok({ ...body, id, ...condition(expectedVersion) });
}

const jsonBody = ["application/json"] as const;
// RFC 7396 names the merge-patch media type; plain JSON is accepted too, as most clients send it.
const mergePatchBody = ["application/json", "application/merge-patch+json"] as const;

/** The REST routes, in the order the OpenAPI document lists them. */
export const restRoutes: readonly RestRoute[] = [
  {
    method: "GET",
    path: partsPath,
    procedure: "parts.list",
    type: "query",
    operationId: "listParts",
    summary: "List or search parts, one page at a time",
    success: 200,
    returns: "PartPage",
    input: ({ query }) => listInputFromQuery(query),
    call: (caller, input) => caller.parts.list(input as Inputs["list"]),
  },
  {
    method: "POST",
    path: partsPath,
    procedure: "parts.create",
    type: "mutation",
    operationId: "createPart",
    summary: "Create a part",
    success: 201,
    returns: "Part",
    body: { schema: "NewPart", mediaTypes: jsonBody },
    input: ({ body }) => ok(body),
    call: (caller, input) => caller.parts.create(input as Inputs["create"]),
  },
  {
    method: "GET",
    path: partPath,
    procedure: "parts.byId",
    type: "query",
    operationId: "getPart",
    summary: "Read one part",
    success: 200,
    returns: "Part",
    input: ({ id }) => ok({ id }),
    call: (caller, input) => caller.parts.byId(input as Inputs["byId"]),
  },
  {
    method: "PATCH",
    path: partPath,
    procedure: "parts.update",
    type: "mutation",
    operationId: "updatePart",
    summary: "Change some fields of a part (JSON merge patch: absent fields stay, null clears the description)",
    success: 200,
    returns: "Part",
    conditional: true,
    body: { schema: "PartPatch", mediaTypes: mergePatchBody },
    input: patchInput,
    call: (caller, input) => caller.parts.update(input as Inputs["update"]),
  },
  {
    method: "DELETE",
    path: partPath,
    procedure: "parts.delete",
    type: "mutation",
    operationId: "deletePart",
    summary: "Delete a part",
    success: 204,
    conditional: true,
    input: ({ id, expectedVersion }) => ok({ id, ...condition(expectedVersion) }),
    call: (caller, input) => caller.parts.delete(input as Inputs["delete"]),
  },
];

/** The routes of one path. */
export function routesAt(path: RoutePath): RestRoute[] {
  return restRoutes.filter((route) => route.path === path);
}

/** The `Allow` header of a path: its routes' methods, HEAD wherever GET is, and OPTIONS. */
export function allowedMethods(path: RoutePath): string {
  const methods = routesAt(path).map((route) => route.method);
  return [...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
}
