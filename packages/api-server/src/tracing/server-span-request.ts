import type { ServerSpanRequest } from "@parts/telemetry";
import { trpcBasePath } from "../http-server.ts";
import { methodLabel, otherRoute, routeLabel } from "../metrics/route-label.ts";

/** A batch of tRPC calls (`/trpc/parts.byId,parts.list`): one span for the request, whatever it holds. */
export const batchSpanName = "trpc batch";

/**
 * The server span of a request, named from the metrics' bounded route label: the procedure (`parts.byId`), the
 * method and route template for REST and fixed paths (`GET /api/parts/{id}`), or the method alone for a path the
 * server does not know. Never a raw path: part ids stay out of span names.
 */
export function serverSpanRequest(request: { method?: string | undefined; url?: string | undefined }): ServerSpanRequest {
  const route = routeLabel(request.url ?? "/");
  const methodName = methodLabel(request.method);
  if (route === otherRoute) return { name: methodName, method: methodName, route: undefined };
  if (route === "batch") return { name: batchSpanName, method: methodName, route: undefined };
  if (route.startsWith("/")) return { name: `${methodName} ${route}`, method: methodName, route };
  return { name: route, method: methodName, route: `${trpcBasePath}${route}` };
}
