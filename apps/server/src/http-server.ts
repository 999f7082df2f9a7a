import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DatabaseHandle } from "@parts/db";
import { appRouter, authResponseHeaders, createContext, type RequestFacts, type ContextDeps } from "@parts/router";
import type { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Logger } from "./logger.ts";
import { createLeanTrpcHandler } from "./lean-trpc-handler.ts";

export const maxBodyBytes = 1024 * 1024;
export const maxBatchCalls = 50;

export interface PartsServerOptions extends ContextDeps {
  database: Pick<DatabaseHandle, "ping" | "close">;
  logger: Logger;
  /** Slow clients (slow-loris) are cut off after these. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * Answer plain JSON calls on the lean path (default true). False sends every request through tRPC's own
   * adapter: the comparison baseline in tests, and a switch should the lean path ever be in doubt.
   */
  leanPath?: boolean;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/**
 * The parts API over node:http: tRPC at `/trpc`, liveness at `/healthz`, readiness at `/readyz`.
 * The standalone adapter was chosen over fastify: no extra dependencies, and fewer layers per request.
 */
export function createPartsServer(options: PartsServerOptions) {
  const { logger, database, verifier } = options;
  const facts = new WeakMap<IncomingMessage, RequestFacts>();
  let stopping = false;

  const trpcOptions = {
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: maxBodyBytes,
    maxBatchSize: maxBatchCalls,
    createContext: (req: IncomingMessage) => createContext(options, { authorization: req.headers.authorization, facts: facts.get(req) }),
    responseHeaders: authResponseHeaders,
    onError: ({ error, path }: { error: TRPCError; path: string | undefined }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ err: error.cause ?? error, path }, "procedure failed");
    },
  };
  // Plain JSON calls take the lean path; streaming and everything unusual go through tRPC's own adapter.
  const lean = options.leanPath === false ? () => undefined : createLeanTrpcHandler(trpcOptions);
  const trpc = createHTTPHandler({
    ...trpcOptions,
    createContext: ({ req }) => trpcOptions.createContext(req),
    responseMeta: ({ errors }) => ({ headers: trpcOptions.responseHeaders(errors) }),
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? "/";
    if (stopping) {
      sendJson(res, 503, { error: "server is shutting down" }, { connection: "close" });
      return;
    }
    if (url.startsWith("/trpc/")) return lean(req, res) ?? trpc(req, res);
    if (url === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url === "/readyz") {
      const checks = { database: database.ping(), issuerKeys: await verifier.ready() };
      return sendJson(res, checks.database && checks.issuerKeys ? 200 : 503, checks);
    }
    sendJson(res, 404, { error: "not found" });
  }

  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Node checks these timeouts only every `connectionsCheckingInterval` (default 30 s), so a 10 s
  // headers timeout really let a slow-loris client hold its connection for up to 40 s.
  const connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)));

  const server: Server = createServer({ connectionsCheckingInterval }, (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = (req.headers["x-request-id"] as string | undefined)?.slice(0, 128) || randomUUID();
    const requestFacts: RequestFacts = {};
    facts.set(req, requestFacts);
    res.setHeader("x-request-id", requestId);
    res.once("finish", () => {
      const path = (req.url ?? "").split("?")[0]!;
      logger.info(
        {
          reqId: requestId,
          method: req.method,
          procedure: path.startsWith("/trpc/") ? path.slice(6) : undefined,
          path: path.startsWith("/trpc/") ? undefined : path,
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          clientId: requestFacts.clientId,
        },
        "request",
      );
    });
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, reqId: requestId }, "unhandled request failure");
      if (!res.headersSent) sendJson(res, 500, { error: "internal server error" });
      else res.destroy();
    });
  });
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;

  return {
    server,
    async listen(port: number, host: string): Promise<string> {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}`;
    },
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
      database.close();
    },
  };
}

export type PartsServer = ReturnType<typeof createPartsServer>;
