import type { IncomingMessage, ServerResponse } from "node:http";
import { appRouter, createCallerFactory, enforceRequestBudget, type Context } from "@parts/router";
import { getTRPCErrorFromUnknown, type TRPCError } from "@trpc/server";
import { readJsonBody } from "./body.ts";
import { partIdFromPath, type FieldErrors } from "./parameters.ts";
import { entityTag, ifMatchRequiredDetail, parseIfMatch, type VersionedPart } from "./preconditions.ts";
import { problem, sendProblem } from "./problem.ts";
import { allowedMethods, partPath, partsPath, routesAt, type RestRoute, type RoutePath } from "./routes.ts";
import { problemFromTrpcError } from "./trpc-problem.ts";

/** Every REST route lives under this prefix; `isRestPath` decides which requests the REST handler answers. */
export const restPrefix = "/api";

export function isRestPath(url: string): boolean {
  return url.startsWith(restPrefix) && (url.length === restPrefix.length || url[restPrefix.length] === "/" || url[restPrefix.length] === "?");
}

export interface RestHandlerOptions {
  /** The same context a tRPC call gets for this request (authentication, repository, request facts). */
  contextFor(req: IncomingMessage): Context;
  /** Told of every failed call, as tRPC's `onError` is. */
  onError(failure: { error: TRPCError; path: string }): void;
  /** PATCH and DELETE without `If-Match` are answered 428 (`REQUIRE_IF_MATCH`); default false. */
  requireIfMatch?: boolean;
}

const createCaller = createCallerFactory(appRouter);
const shownFieldErrors = 3;

/** The request-line path against the route table, undecoded: `..`, `%2F` and empty segments match nothing. */
function matchPath(pathname: string): { path: RoutePath; idSegment?: string } | undefined {
  if (pathname === partsPath) return { path: partsPath };
  const prefix = `${partsPath}/`;
  if (!pathname.startsWith(prefix)) return undefined;
  const idSegment = pathname.slice(prefix.length);
  return idSegment === "" || idSegment.includes("/") ? undefined : { path: partPath, idSegment };
}

function validationProblem(errors: FieldErrors) {
  const lines = Object.entries(errors).map(([field, messages]) => `${field}: ${messages[0]}`);
  const more = lines.length > shownFieldErrors ? ` (and ${lines.length - shownFieldErrors} more)` : "";
  return problem("validation-failed", lines.slice(0, shownFieldErrors).join("; ") + more, errors);
}

/** Query parameters a route takes itself (only the list route has any); elsewhere each one is unknown. */
function unknownQueryErrors(route: RestRoute | undefined, query: URLSearchParams): FieldErrors | undefined {
  if (route?.procedure === "parts.list" || query.size === 0) return undefined;
  const names = [...new Set(query.keys())].slice(0, 10).map((name) => name.slice(0, 64));
  return Object.fromEntries(names.map((name) => [name, ["unknown query parameter; this route takes none"]]));
}

/** `Link: <…>; rel="next"` for a page with a `nextCursor`: the same query with the new cursor. */
function nextLink(query: URLSearchParams, nextCursor: string): string {
  const next = new URLSearchParams(query);
  next.set("cursor", nextCursor);
  return `<${partsPath}?${next.toString()}>; rel="next"`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>) {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(json)), ...headers }).end(json);
}

function successHeaders(route: RestRoute, query: URLSearchParams, result: unknown): Record<string, string> {
  if (route.returns === "Part") {
    const part = result as VersionedPart;
    return { etag: entityTag(part), ...(route.success === 201 ? { location: `${partsPath}/${part.id}` } : {}) };
  }
  const nextCursor = route.returns === "PartPage" ? (result as { nextCursor: string | null }).nextCursor : null;
  return nextCursor === null ? {} : { link: nextLink(query, nextCursor) };
}

/**
 * REST over the router's procedures: each route converts path, query and body to the procedure's input and
 * calls it through a server-side caller with the context a tRPC call gets, so authentication, scopes,
 * validation, the request budget and errors are the procedure's own. Failures are RFC 9457 problems.
 * Request syntax (route, method, media type, JSON, path and query strings) is checked first, as routing is.
 */
export function createRestHandler(options: RestHandlerOptions) {
  async function run(route: RestRoute, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, id: number | undefined) {
    let body: unknown;
    if (route.body) {
      const read = await readJsonBody(req, route.body.mediaTypes);
      if (!read.ok) return sendProblem(res, read.problem, read.closeConnection ? { connection: "close" } : {});
      body = read.value;
    }
    const unknownQuery = unknownQueryErrors(route, query);
    if (unknownQuery) return sendProblem(res, validationProblem(unknownQuery));
    let expectedVersion: number | undefined;
    if (route.conditional) {
      const ifMatch = parseIfMatch(req.headers["if-match"], id!);
      if (ifMatch.kind === "unmatchable") return sendProblem(res, problem("precondition-failed", ifMatch.reason));
      if (ifMatch.kind === "absent" && options.requireIfMatch) return sendProblem(res, problem("precondition-required", ifMatchRequiredDetail));
      if (ifMatch.kind === "version") expectedVersion = ifMatch.expectedVersion;
    }
    const input = route.input({ id, query, body, expectedVersion });
    if (!input.ok) return sendProblem(res, validationProblem(input.errors));

    let ctx: Context | undefined;
    try {
      await enforceRequestBudget([{ path: route.procedure, getRawInput: async () => input.value }]);
      ctx = options.contextFor(req);
      const result = await route.call(createCaller(ctx), input.value);
      if (route.success === 204) return void res.writeHead(204).end();
      sendJson(res, route.success, result, successHeaders(route, query, result));
    } catch (thrown) {
      const error = getTRPCErrorFromUnknown(thrown);
      options.onError({ error, path: route.procedure });
      const answer = problemFromTrpcError(error, { path: route.procedure, input: input.value, ctx, type: route.type });
      sendProblem(res, answer.body, answer.headers);
    }
  }

  return async function handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const queryStart = url.indexOf("?");
    const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
    const matched = matchPath(pathname);
    if (!matched) return sendProblem(res, problem("no-such-route", `no route ${pathname.slice(0, 200)}; the routes are described at /openapi.json`));

    const allow = allowedMethods(matched.path);
    const options = req.method === "OPTIONS";
    const method = req.method === "HEAD" ? "GET" : req.method;
    const route = routesAt(matched.path).find((candidate) => candidate.method === method);
    if (!route && !options) return sendProblem(res, problem("method-not-allowed", `${req.method} is not allowed here; allowed: ${allow}`), { allow });

    let id: number | undefined;
    if (matched.idSegment !== undefined) {
      const converted = partIdFromPath(matched.idSegment);
      if (!converted.ok) return sendProblem(res, validationProblem(converted.errors));
      id = converted.value;
    }
    const query = new URLSearchParams(queryStart === -1 ? "" : url.slice(queryStart + 1));
    if (route) return run(route, req, res, query, id);
    const unknownQuery = unknownQueryErrors(undefined, query);
    if (unknownQuery) return sendProblem(res, validationProblem(unknownQuery));
    res.writeHead(204, { allow }).end();
  };
}
