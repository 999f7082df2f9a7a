import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { appRouter, errorResponseHeaders, requestLimits } from "@parts/router";
import { initTRPC, TRPCError, type AnyTRPCRouter, type TRPCProcedureType } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trpcBasePath } from "../http-server.ts";
import { createLeanTrpcHandler, type LeanTrpcHandlerOptions } from "./lean-trpc-handler.ts";

/**
 * A `createContext` that fails (throws, or returns a promise that rejects; a TRPCError or anything else) makes
 * every call of the request answer that error, and the lean path must answer it exactly as tRPC's standalone
 * adapter does: same status, same headers, same body, same `onError` reports. The handler module is tested
 * directly against the adapter, each behind its own node:http server, with a context chosen by a request header.
 */

const failures = {
  "throws an Error": () => {
    throw new Error("context exploded");
  },
  "rejects with an Error": () => Promise.reject(new Error("context exploded later")),
  "throws a TRPCError (413)": () => {
    throw new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: "request too large" });
  },
  "rejects with a TRPCError (413)": () => Promise.reject(new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: "request too large" })),
  "throws a TRPCError with a cause (401)": () => {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "who are you", cause: new Error("no token") });
  },
  "throws something that is not an Error": () => {
    throw "a bare string";
  },
  "rejects with undefined": () => Promise.reject(undefined),
  "returns a thenable (not a Promise) that rejects": () => ({
    then: (_resolve: unknown, reject: (reason: unknown) => void) => reject(new TRPCError({ code: "FORBIDDEN", message: "not you" })),
  }),
} as const;
type Failure = keyof typeof failures;

/** A router with tRPC's own error shape (no errorFormatter), so every message reaches the body. */
const t = initTRPC.create({ isDev: false });
const bareRouter = t.router({
  echo: t.procedure.input((value) => value).query(({ input }) => input),
  store: t.procedure.input((value) => value).mutation(({ input }) => input),
});

interface Report {
  code: string;
  message: string;
  path: string | undefined;
  type: TRPCProcedureType | "unknown";
  input: unknown;
}

interface Served {
  origin: string;
  reports: Report[];
  server: Server;
}

const createContext = (req: IncomingMessage) => {
  const failure = req.headers["x-context"] as Failure | undefined;
  if (failure !== undefined) return failures[failure]();
  return {};
};

/** One server: the lean handler first (falling back to the adapter) when `lean`, the adapter alone otherwise. */
async function serve(router: AnyTRPCRouter, lean: boolean): Promise<Served> {
  const reports: Report[] = [];
  const onError = ({ error, path, type, input }: { error: TRPCError; path: string | undefined; type: TRPCProcedureType | "unknown"; input: unknown }) =>
    reports.push({ code: error.code, message: error.message, path, type, input });
  const options: LeanTrpcHandlerOptions<object> = {
    router,
    basePath: trpcBasePath,
    maxBodySize: requestLimits.maxBodyBytes,
    maxBatchSize: requestLimits.maxBatchCalls,
    createContext,
    responseHeaders: errorResponseHeaders,
    onError,
  };
  const leanHandler = lean ? createLeanTrpcHandler(options) : () => undefined;
  const adapter = createHTTPHandler({
    router,
    basePath: trpcBasePath,
    maxBodySize: options.maxBodySize,
    maxBatchSize: options.maxBatchSize,
    createContext: ({ req }) => createContext(req),
    responseMeta: ({ errors }) => ({ headers: errorResponseHeaders(errors) }),
    onError,
  });
  const server = createServer((req, res) => void (leanHandler(req, res) ?? adapter(req, res)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reports, server };
}

interface Exchange {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(origin: string, exchange: Exchange, failure: Failure | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = failure === undefined ? {} : { "x-context": failure };
    if (exchange.body !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": String(Buffer.byteLength(exchange.body)) });
    const req = httpRequest(`${origin}${exchange.path}`, { method: exchange.method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(exchange.body);
  });
}

/** As in the parity test of the whole server: every header but the date, the connection's and the framing. */
const framingAndTransport = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length"]);
const observable = (answer: Answer) => ({
  status: answer.status,
  headers: Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !framingAndTransport.has(name))),
  body: answer.body,
});
const tookLeanPath = (answer: Answer) => answer.headers["content-length"] !== undefined && answer.headers["transfer-encoding"] === undefined;

const input = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify(value))}`;
const batchInput = (values: unknown[]) => input(Object.fromEntries(values.map((value, i) => [i, value])));

const routers: Array<{ name: string; router: AnyTRPCRouter; exchanges: Record<string, Exchange> }> = [
  {
    name: "tRPC's default error shape",
    router: bareRouter,
    exchanges: {
      "a query": { method: "GET", path: `${trpcBasePath}echo${input({ a: 1 })}` },
      "a mutation": { method: "POST", path: `${trpcBasePath}store`, body: JSON.stringify({ a: 1 }) },
      "a batch of queries": { method: "GET", path: `${trpcBasePath}echo,echo?batch=1&${batchInput([1, 2]).slice(1)}` },
      "a batch of mutations": { method: "POST", path: `${trpcBasePath}store,store?batch=1`, body: JSON.stringify({ 0: 1, 1: 2 }) },
    },
  },
  {
    name: "the API's router (its errorFormatter)",
    router: appRouter,
    exchanges: {
      "a query": { method: "GET", path: `${trpcBasePath}parts.byId${input({ id: 1 })}` },
      "a mutation": { method: "POST", path: `${trpcBasePath}parts.delete`, body: JSON.stringify({ id: 1 }) },
      "a batch of queries": { method: "GET", path: `${trpcBasePath}parts.byId,parts.list?batch=1&${batchInput([{ id: 1 }, { limit: 1 }]).slice(1)}` },
    },
  },
];

describe.each(routers)("a failing createContext with $name: the lean path answers as tRPC's adapter", ({ router, exchanges }) => {
  let lean: Served;
  let adapter: Served;
  beforeAll(async () => {
    [lean, adapter] = await Promise.all([serve(router, true), serve(router, false)]);
  });
  afterAll(async () => {
    await Promise.all([lean, adapter].map(({ server }) => new Promise((resolve) => server.close(resolve))));
  });

  const cases = Object.keys(failures).flatMap((failure) => Object.keys(exchanges).map((exchange) => [failure as Failure, exchange] as const));

  it.each(cases)("createContext %s, for %s", async (failure, name) => {
    const exchange = exchanges[name]!;
    lean.reports.length = 0;
    adapter.reports.length = 0;
    const [fromLean, fromAdapter] = [await send(lean.origin, exchange, failure), await send(adapter.origin, exchange, failure)];
    expect(tookLeanPath(fromLean), "the lean path answered").toBe(true);
    expect(fromLean.status).toBeGreaterThanOrEqual(400);
    expect(observable(fromLean)).toEqual(observable(fromAdapter));
    expect(lean.reports).toEqual(adapter.reports);
  });

  if (router === bareRouter) {
    it("a working context answers the same too (the harness itself)", async () => {
      for (const exchange of Object.values(exchanges)) {
        const [fromLean, fromAdapter] = [await send(lean.origin, exchange, undefined), await send(adapter.origin, exchange, undefined)];
        expect(tookLeanPath(fromLean)).toBe(true);
        expect(fromLean.status).toBe(200);
        expect(observable(fromLean)).toEqual(observable(fromAdapter));
      }
    });
  }
});
