import { appRouter } from "@parts/router";
import { docsPath, isDocsPath } from "../docs-page/docs-handler.ts";
import { trpcBasePath } from "../http-server.ts";
import { isOpenApiPath, openApiPath } from "../rest/openapi-route.ts";
import { isRestPath } from "../rest/rest-handler.ts";
import { partPath, partsPath } from "../rest/routes.ts";

/** Label for anything that is not a known procedure or route: raw paths never become label values. */
export const otherRoute = "other";

const procedures = new Set(Object.keys(appRouter._def.procedures));
const methods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const fixedPaths = new Set(["/healthz", "/readyz"]);

/**
 * The `route` label of a request: a procedure name from the router (`parts.byId`; `batch` for a batch of calls),
 * a REST route template (`/api/parts/{id}`, never the id), a fixed path, or `other`. Bounded by construction.
 */
export function routeLabel(url: string): string {
  const queryAt = url.indexOf("?");
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (path.startsWith(trpcBasePath)) {
    const procedure = path.slice(trpcBasePath.length);
    if (procedures.has(procedure)) return procedure;
    return procedure.includes(",") ? "batch" : otherRoute;
  }
  if (isRestPath(path)) {
    if (path === partsPath) return partsPath;
    const id = path.slice(partsPath.length + 1);
    return path.startsWith(`${partsPath}/`) && id !== "" && !id.includes("/") ? partPath : otherRoute;
  }
  if (fixedPaths.has(path)) return path;
  if (isOpenApiPath(url)) return openApiPath;
  if (isDocsPath(url)) return docsPath;
  return otherRoute;
}

/** The `method` label: the standard methods by name, anything else `other`. */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && methods.has(method) ? method : otherRoute;
}

const statusTexts = Array.from({ length: 600 }, (_, status) => String(status));

/** The `status` label without a string built per request. */
export function statusLabel(status: number): string {
  return statusTexts[status] ?? otherRoute;
}
