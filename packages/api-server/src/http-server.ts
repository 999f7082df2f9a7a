import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  appRouter,
  errorResponseHeaders,
  createContext,
  enforceRequestBudget,
  requestLimits,
  type ContextDeps,
  type PendingCall,
  type RequestFacts,
} from "@parts/router";
import { sourceAddress, type TrustedProxies } from "@parts/rate-limit";
import type { RequestSpans } from "@parts/telemetry";
import type { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { listenAt } from "@parts/metrics";
import { createAccessLog } from "./access-log.ts";
import { auditLog } from "./audit-log.ts";
import { createDocsHandler, isDocsPath } from "./docs-page/docs-handler.ts";
import type { Logger } from "./logger.ts";
import { createLeanTrpcHandler } from "./lean-trpc/lean-trpc-handler.ts";
import type { LoadShedder } from "./load-shedder.ts";
import type { ApiMetrics } from "./metrics/api-metrics.ts";
import { createOpenApiHandler, isOpenApiPath } from "./rest/openapi-route.ts";
import { problem, sendProblem } from "./rest/problem.ts";
import { createRestHandler, isRestPath } from "./rest/rest-handler.ts";
import { serverSpanRequest } from "./tracing/server-span-request.ts";

export const { maxBodyBytes, maxBatchCalls } = requestLimits;

/** Where the tRPC procedures are mounted, with both slashes: `/trpc/parts.list`. A client's URL is `<origin>/trpc`. */
export const trpcBasePath = "/trpc/";

/** Every value of the Authorization header: node:http keeps only the first of repeated ones. */
function authorizationOf(req: IncomingMessage): string | string[] | undefined {
  const raw = req.rawHeaders;
  let values: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === "authorization") (values ??= []).push(raw[i + 1]!);
  }
  return values?.length === 1 ? values[0] : values;
}

/** Headers on every answer: API responses are per caller and JSON only. */
const commonHeaders = Object.entries({ "cache-control": "no-store", "x-content-type-options": "nosniff" });

/** What the server needs of a database engine besides its repository: a readiness check, and closing at shutdown. */
export interface ServedDatabase {
  /** True while the database can serve (SQLite answers at once, a pool runs `select 1`); must not hang for long. */
  ping(): boolean | Promise<boolean>;
  close(): void | Promise<void>;
}

/** How long `/readyz` waits for the database's ping before reporting it not ready: the probe never hangs. */
export const readinessPingTimeoutMs = 1000;

/** The database's readiness: false when the ping fails, throws, or takes longer than `readinessPingTimeoutMs`. */
async function databaseReady(database: ServedDatabase): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(resolve, readinessPingTimeoutMs, false)));
  try {
    return await Promise.race([Promise.resolve().then(() => database.ping()), timedOut]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface PartsServerOptions extends ContextDeps {
  database: ServedDatabase;
  logger: Logger;
  /** Refuses new API requests (503 + Retry-After) while the process is overloaded; health probes always answer. */
  loadShedder?: Pick<LoadShedder, "overloaded" | "retryAfterSeconds">;
  /** Slow clients (slow-loris) are cut off after these. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * Answer plain JSON calls on the lean path (default true). False sends every request through tRPC's own
   * adapter: the comparison baseline in tests, and a switch should the lean path ever be in doubt.
   */
  leanPath?: boolean;
  /** REST PATCH and DELETE without `If-Match` are answered 428 (`REQUIRE_IF_MATCH`); default false. */
  requireIfMatch?: boolean;
  /** Proxies whose `X-Forwarded-For` names the caller's address for the per-address limit; none by default. */
  trustedProxies?: TrustedProxies;
  /**
   * Counts requests and authentication outcomes (`createApiMetrics`); none when absent. Repository calls are
   * counted when `parts` was opened with the same metrics' `database.observeQuery`.
   */
  metrics?: Pick<ApiMetrics, "requests" | "auth" | "issuerKeys">;
  /**
   * Handles each request inside a server span (`@parts/telemetry`'s `createRequestSpans`); when absent, nothing
   * is traced and no request does any tracing work. The host wraps the verifier and repository itself.
   */
  tracing?: Pick<RequestSpans, "traced">;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/**
 * The parts API over node:http: tRPC under `trpcBasePath`, liveness at `/healthz`, readiness at `/readyz`,
 * REST under `/api`, its OpenAPI document at `/openapi.json` and a docs page on it at `/docs`.
 * The standalone adapter was chosen over fastify: no extra dependencies, and fewer layers per request.
 */
export function createPartsServer(options: PartsServerOptions) {
  const { logger, database, verifier, loadShedder, metrics, tracing } = options;
  const facts = new WeakMap<IncomingMessage, RequestFacts>();
  /** What a request's context reads; the source address is a getter, computed only when a limit needs it. */
  const requestOf = (req: IncomingMessage) => ({
    authorization: authorizationOf(req),
    facts: facts.get(req),
    get sourceAddress() {
      return sourceAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], options.trustedProxies);
    },
  });
  let stopping = false;
  metrics?.issuerKeys.watchVerifier(verifier);
  const audited = { ...options, audit: options.audit ?? auditLog(logger) };
  // Repository calls are timed by the engine itself (`metrics.database.observeQuery`, given where it is opened).
  const deps = metrics ? { ...audited, authOutcomes: metrics.auth.outcomes } : audited;
  const contextFor = (req: IncomingMessage) => createContext(deps, requestOf(req));

  const trpcOptions = {
    router: appRouter,
    basePath: trpcBasePath,
    maxBodySize: maxBodyBytes,
    maxBatchSize: maxBatchCalls,
    // The request's budget is checked before the context exists, so an over-budget batch runs no procedure.
    createContext: (req: IncomingMessage, calls: readonly PendingCall[]) => {
      const context = () => contextFor(req);
      const budget = enforceRequestBudget(calls);
      return budget ? budget.then(context) : context();
    },
    responseHeaders: errorResponseHeaders,
    onError: ({ error, path }: { error: TRPCError; path: string | undefined }) => {
      metrics?.auth.callFailed(error);
      if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ err: error.cause ?? error, path }, "procedure failed");
    },
  };
  // Plain JSON calls take the lean path; streaming and everything unusual go through tRPC's own adapter.
  const lean = options.leanPath === false ? () => undefined : createLeanTrpcHandler(trpcOptions);
  const trpc = createHTTPHandler({
    ...trpcOptions,
    createContext: ({ req, info }) => trpcOptions.createContext(req, info.calls),
    responseMeta: ({ errors }) => ({ headers: trpcOptions.responseHeaders(errors) }),
  });

  // REST over the same procedures and context (rest/README.md); the document describing it at /openapi.json.
  const rest = createRestHandler({
    contextFor,
    onError: ({ error, path }) => trpcOptions.onError({ error, path }),
    requireIfMatch: options.requireIfMatch,
  });
  const openApi = createOpenApiHandler(verifier);
  // Swagger UI on that document (docs-page/README.md); its files are read on the first request, not here.
  const docs = createDocsHandler(verifier);

  /** A 503 before routing; REST callers get it as a problem, like every other REST error. */
  function unavailable(res: ServerResponse, url: string, message: string, headers: Record<string, string>) {
    if (isRestPath(url)) return sendProblem(res, problem("unavailable", message), headers);
    sendJson(res, 503, { error: message }, headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? "/";
    if (stopping) return unavailable(res, url, "server is shutting down", { connection: "close" });
    if (url === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (loadShedder?.overloaded && url !== "/readyz") {
      return unavailable(res, url, "server overloaded; retry later", { "retry-after": String(loadShedder.retryAfterSeconds) });
    }
    if (url.startsWith(trpcBasePath)) return lean(req, res) ?? trpc(req, res);
    if (url === "/readyz") {
      const [databaseOk, issuerKeys] = await Promise.all([databaseReady(database), verifier.ready()]);
      const checks = { database: databaseOk, issuerKeys };
      return sendJson(res, checks.database && checks.issuerKeys ? 200 : 503, checks);
    }
    if (isRestPath(url)) return rest(req, res);
    if (isOpenApiPath(url)) return openApi(req, res);
    if (isDocsPath(url)) return docs(req, res);
    sendJson(res, 404, { error: "not found" });
  }

  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Node checks these timeouts only every `connectionsCheckingInterval` (default 30 s), so a 10 s
  // headers timeout really let a slow-loris client hold its connection for up to 40 s.
  const connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)));

  const accessLog = createAccessLog(logger, trpcBasePath);

  const server: Server = createServer({ connectionsCheckingInterval }, (req, res) => {
    const started = performance.now();
    const requestId = (req.headers["x-request-id"] as string | undefined)?.slice(0, 128) || randomUUID();
    const requestFacts: RequestFacts = {};
    facts.set(req, requestFacts);
    res.setHeader("x-request-id", requestId);
    for (const [name, value] of commonHeaders) res.setHeader(name, value);
    metrics?.requests.started();
    // One listener per request for everything done after the answer: each costs, at every request.
    res.once("close", () => {
      const durationMs = performance.now() - started;
      const url = req.url ?? "/";
      const status = res.writableFinished ? res.statusCode : "aborted";
      metrics?.requests.finished(url, req.method, status, durationMs / 1000);
      if (status !== "aborted") accessLog.write({ reqId: requestId, method: req.method, url, status, durationMs, clientId: requestFacts.clientId });
      // server.close() ended only the connections idle at that moment; this one is idle now.
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
    const handled = tracing ? tracing.traced(req, res, serverSpanRequest, () => handle(req, res)) : handle(req, res);
    handled.catch((err: unknown) => {
      logger.error({ err, reqId: requestId }, "unhandled request failure");
      if (!res.headersSent) sendJson(res, 500, { error: "internal server error" });
      else res.destroy();
    });
  });
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;

  return {
    server,
    /** Resolves with the URL bound, `http://127.0.0.1:<port>` (IPv6 hosts in brackets). */
    listen: (port: number, host: string): Promise<string> => listenAt(server, port, host),
    /**
     * Stops accepting connections, lets in-flight requests finish (new requests on open connections get
     * 503), then closes the database. Connections still busy after `graceMs` are cut.
     */
    async close(graceMs = 10_000): Promise<void> {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await database.close();
    },
  };
}

export type PartsServer = ReturnType<typeof createPartsServer>;
