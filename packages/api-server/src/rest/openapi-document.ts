import { CreatePartInput, ListPartsInput, ListPartsOutput, Part, PartIdInput, procedureScope, Scopes, UpdatePartInput, type Scope } from "@parts/router";
import { z } from "zod";
import { examplePage, examplePart, exampleNewPart, examplePatch, exampleProblems } from "./examples.ts";
import { listParameters } from "./parameters.ts";
import { entityTagPattern } from "./preconditions.ts";
import { Problem, problemContentType, problemTypes, problemTypeUri, type ProblemName } from "./problem.ts";
import { allowedMethods, partPath, partsPath, restRoutes, type RestRoute, type RoutePath } from "./routes.ts";

/**
 * The OpenAPI 3.1 document of the REST routes, generated from the route table and the router's zod schemas
 * (`z.toJSONSchema`, never a hand-kept copy): what the server serves at `/openapi.json`.
 */
type Json = Record<string, unknown>;

const componentRef = (kind: "schemas" | "responses" | "parameters", name: string) => ({ $ref: `#/components/${kind}/${name}` });
const schemaRef = (name: string) => componentRef("schemas", name);

/** Converts schemas registered under component names, with `$ref`s between them; drops per-schema `$schema`/`$id`. */
function componentSchemas(schemas: Record<string, z.ZodType>, io: "input" | "output"): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, { io, uri: (id) => schemaRef(id).$ref }).schemas as Record<string, Json>;
  return Object.fromEntries(Object.entries(converted).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema]));
}

/** One parameter's schema, inline (the JSON Schema dialect keyword belongs to the document, not to each schema). */
function parameterSchema(schema: z.ZodType): Json {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io: "input" }) as Json;
  return rest;
}

const scopeDescriptions: Record<Scope, string> = {
  [Scopes.read]: "List, search and read parts",
  [Scopes.write]: "Create, change and delete parts",
};

const listParameterDescriptions: Record<(typeof listParameters)[number], string> = {
  limit: "Parts per page, 1 to 100 (default 20).",
  cursor: "`nextCursor` of the previous page (opaque); omit for the first page.",
  q: "Case-insensitive substring of part number, model number, name or description; 3 to 100 characters.",
  modelNumber: "Only parts with exactly this model number (after Unicode NFKC normalisation and trimming).",
  createdBy: "Only parts created by exactly this client id (case-sensitive, after trimming). Parts written before the audit trail existed have none.",
  updatedBy: "Only parts last updated (or, if never updated, created) by exactly this client id (case-sensitive, after trimming).",
};

/** The error responses, one component per status, each with an example of every problem type it can carry. */
const errorResponses = {
  BadRequest: { status: 400, description: "The request's path, query, body or Authorization header is invalid" },
  Unauthorized: { status: 401, description: "No access token, or one that failed verification" },
  Forbidden: { status: 403, description: "The access token lacks the operation's scope" },
  NotFound: { status: 404, description: "No part with this id" },
  Conflict: { status: 409, description: "The part number is taken (compared without case, width and repeated spaces)" },
  PreconditionFailed: {
    status: 412,
    description: "If-Match names another version of the part (or is not `*` or one entity tag): nothing was changed; read the part again",
  },
  PayloadTooLarge: { status: 413, description: "The body is over 1 MiB" },
  UnsupportedMediaType: { status: 415, description: "The body is not sent as JSON" },
  TooManyRequests: { status: 429, description: "The caller is over a rate limit (when the server has limits configured); retry after Retry-After seconds" },
  PreconditionRequired: { status: 428, description: "The server requires If-Match on changes (REQUIRE_IF_MATCH) and none was sent" },
  InternalError: { status: 500, description: "An unexpected failure; the details are in the server's log only" },
  ServiceUnavailable: { status: 503, description: "The token issuer's keys or the database cannot be reached now; retry later" },
} as const;
type ErrorResponse = keyof typeof errorResponses;

const challengeHeader = {
  "WWW-Authenticate": { description: "RFC 6750 challenge, as on the tRPC routes", schema: { type: "string" } },
};

/** Fields of a 429, in the syntax of draft-ietf-httpapi-ratelimit-headers-10. */
const rateLimitHeaders = {
  "Retry-After": { description: "Seconds until the limit lets the caller through again", schema: { type: "integer" } },
  "RateLimit-Policy": { description: 'The limit\'s quota policies, e.g. `"read";q=600;w=60, "read-burst";q=100;w=600`', schema: { type: "string" } },
  RateLimit: { description: 'What is left of the limiting policy, e.g. `"read";r=0;t=42`', schema: { type: "string" } },
};

function errorResponse({ status, description }: { status: number; description: string }): Json {
  const names = (Object.keys(problemTypes) as ProblemName[]).filter((name) => problemTypes[name].status === status);
  const examples = Object.fromEntries(names.filter((name) => name !== "no-such-route").map((name) => [name, { value: exampleProblems[name] }]));
  const headers =
    status === 401 || status === 403
      ? challengeHeader
      : status === 503
        ? { "Retry-After": { description: "Seconds to wait (sent when the database is unavailable)", schema: { type: "integer" } } }
        : status === 429
          ? rateLimitHeaders
          : undefined;
  return { description, ...(headers ? { headers } : {}), content: { [problemContentType]: { schema: schemaRef("Problem"), examples } } };
}

function errorStatuses(route: RestRoute): ErrorResponse[] {
  return [
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    ...(route.path === partPath ? (["NotFound"] as const) : []),
    ...(route.body ? (["Conflict", "PayloadTooLarge", "UnsupportedMediaType"] as const) : []),
    ...(route.conditional ? (["PreconditionFailed", "PreconditionRequired"] as const) : []),
    // Every route is scoped, so every route counts against its caller's limit.
    "TooManyRequests",
    "InternalError",
    "ServiceUnavailable",
  ];
}

const etagHeader = {
  ETag: {
    description: 'The part\'s strong entity tag, `"<id>-<version>"`: send it back in `If-Match` to change the part only at this version',
    required: true,
    schema: { type: "string", pattern: entityTagPattern, example: '"42-1"' },
  },
};

function successResponse(route: RestRoute, withBody: boolean): Json {
  if (route.success === 204) return { description: "Deleted" };
  const example = route.returns === "PartPage" ? examplePage : examplePart;
  const location = { Location: { description: "The new part's URL", required: true, schema: { type: "string", example: `${partsPath}/42` } } };
  const headers =
    route.returns === "PartPage"
      ? { Link: { description: 'The next page, `<…>; rel="next"`, when `nextCursor` is not null', schema: { type: "string" } } }
      : { ...(route.success === 201 ? location : {}), ...etagHeader };
  return {
    description: route.success === 201 ? "Created" : "OK",
    headers,
    ...(withBody ? { content: { "application/json": { schema: schemaRef(route.returns!), example } } } : {}),
  };
}

function parameters(route: RestRoute): Json[] {
  if (route.conditional) return [componentRef("parameters", "PartId"), componentRef("parameters", "IfMatch")];
  if (route.path === partPath) return [componentRef("parameters", "PartId")];
  if (route.procedure !== "parts.list") return [];
  return listParameters.map((name) => ({
    name,
    in: "query",
    required: false,
    description: listParameterDescriptions[name],
    schema: parameterSchema(ListPartsInput.shape[name]),
  }));
}

function operation(route: RestRoute, head = false): Json {
  const scope = procedureScope(route.procedure);
  if (scope === undefined) throw new Error(`${route.procedure} has no scope: every REST route must be scoped`);
  const responses: Json = { [route.success]: successResponse(route, !head) };
  for (const name of errorStatuses(route)) {
    responses[errorResponses[name].status] = head ? { description: errorResponses[name].description } : componentRef("responses", name);
  }
  const requestBody = route.body && {
    required: true,
    content: Object.fromEntries(
      route.body.mediaTypes.map((type) => [type, { schema: schemaRef(route.body!.schema), example: route.body!.schema === "NewPart" ? exampleNewPart : examplePatch }]),
    ),
  };
  return {
    operationId: head ? `${route.operationId}Head` : route.operationId,
    summary: head ? `${route.summary} (headers only)` : route.summary,
    description: `Calls the \`${route.procedure}\` procedure; needs the \`${scope}\` scope.`,
    tags: ["parts"],
    security: [{ oauth2: [scope] }],
    parameters: parameters(route),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

function optionsOperation(path: RoutePath, operationId: string): Json {
  return {
    operationId,
    summary: "The methods this path allows",
    tags: ["parts"],
    security: [],
    ...(path === partPath ? { parameters: [componentRef("parameters", "PartId")] } : {}),
    responses: {
      204: {
        description: `No content; \`Allow: ${allowedMethods(path)}\``,
        headers: { Allow: { description: "The allowed methods", required: true, schema: { type: "string" } } },
      },
      400: componentRef("responses", "BadRequest"),
    },
  };
}

function paths(): Json {
  const result: Record<string, Json> = {};
  for (const route of restRoutes) {
    const item = (result[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route);
    if (route.method === "GET") item.head = operation(route, true);
  }
  result[partsPath]!.options = optionsOperation(partsPath, "partsOptions");
  result[partPath]!.options = optionsOperation(partPath, "partOptions");
  return result;
}

/** Everything except the token URL, converted once at start-up; `withTokenUrl` completes it. */
export function createOpenApiDocument() {
  const schemas = {
    ...componentSchemas({ Part, PartPage: ListPartsOutput, Problem }, "output"),
    ...componentSchemas({ NewPart: CreatePartInput, PartPatch: UpdatePartInput.omit({ id: true, expectedVersion: true }) }, "input"),
  };
  schemas.Problem!.description = `RFC 9457 problem details. \`type\` is one of: ${Object.keys(problemTypes)
    .map((name) => `\`${problemTypeUri(name as ProblemName)}\``)
    .join(", ")} (docs/api.md, "REST").`;
  const responses = Object.fromEntries(Object.entries(errorResponses).map(([name, response]) => [name, errorResponse(response)]));
  const base = {
    openapi: "3.1.1",
    info: {
      title: "Parts catalogue API",
      version: "1.0.0",
      description: "REST routes over the same procedures as the tRPC API at `/trpc`: same scopes, validation, limits and errors.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/", description: "The server this document was fetched from" }],
    tags: [{ name: "parts", description: "The parts catalogue" }],
    paths: paths(),
    components: {
      schemas,
      responses,
      parameters: {
        PartId: { name: "id", in: "path", required: true, description: "The part's id", schema: parameterSchema(PartIdInput.shape.id) },
        IfMatch: {
          name: "If-Match",
          in: "header",
          required: false,
          description:
            "The part's `ETag` (change it only at that version, else 412) or `*` (any version). Only `*` or one strong entity tag is accepted; anything else is answered 412. Required when the server sets REQUIRE_IF_MATCH (else 428).",
          schema: { type: "string", example: '"42-1"' },
        },
      },
    },
  };
  return {
    /** The complete document, with the client-credentials flow's token URL from the issuer's metadata. */
    withTokenUrl(tokenUrl: string) {
      const securitySchemes = {
        oauth2: {
          type: "oauth2",
          description: "OAuth 2.0 client credentials from the issuer the server trusts",
          flows: { clientCredentials: { tokenUrl, scopes: scopeDescriptions } },
        },
      };
      return { ...base, components: { ...base.components, securitySchemes } };
    },
  };
}
