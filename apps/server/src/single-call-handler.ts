import type { IncomingMessage, ServerResponse } from "node:http";
import {
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  transformTRPCResponse,
  TRPCError,
  type AnyTRPCRouter,
  type TRPCProcedureType,
} from "@trpc/server";
import { getHTTPStatusCode } from "@trpc/server/http";

export interface SingleCallHandlerOptions<TContext> {
  router: AnyTRPCRouter;
  /** Where procedures are mounted, with both slashes: `/trpc/`. */
  basePath: string;
  maxBodySize: number;
  createContext(req: IncomingMessage): TContext;
  /** Extra response headers for the errors of a response (tRPC's `responseMeta` headers). */
  responseHeaders(errors: readonly TRPCError[]): Record<string, string>;
  onError?(failure: { error: TRPCError; path: string; type: TRPCProcedureType; input: unknown }): void;
}

const methodFor: Partial<Record<TRPCProcedureType, string>> = { query: "GET", mutation: "POST" };
// Decodes like fetch's `Request.text()`, which the official adapter uses: a leading BOM is dropped.
const utf8 = new TextDecoder();

/**
 * Answers the common tRPC request, one query over GET or one mutation over POST with a JSON body of declared
 * length, straight from node:http. tRPC's node adapters turn every request into a fetch `Request` and every
 * answer into a web-stream `Response`; profiled, that conversion was most of the CPU of a cached-token
 * `parts.byId`. The call, error shape, status and headers come from the same public tRPC functions the
 * official `resolveResponse` uses, so callers cannot tell the two apart (a test compares them request by
 * request). Everything else (batches, streaming, subscriptions, unknown paths, wrong methods, bodies without
 * a length) is not taken: the function returns `undefined` and the caller hands the request to the adapter.
 */
export function createSingleCallHandler<TContext>(options: SingleCallHandlerOptions<TContext>) {
  const { router, basePath, maxBodySize } = options;
  const config = router._def._config;
  const procedures = router._def.procedures as Record<string, { _def: { type: TRPCProcedureType } } | undefined>;

  async function answer(req: IncomingMessage, res: ServerResponse, path: string, type: TRPCProcedureType, rawInput: () => Promise<string | null>) {
    let input: unknown;
    let inputRead = false;
    const getRawInput = async () => {
      if (!inputRead) {
        try {
          const text = await rawInput();
          input = text ? config.transformer.input.deserialize(JSON.parse(text)) : undefined;
        } catch (cause) {
          // As the adapter does: unreadable input is the caller's mistake (400), with the parser's message.
          throw cause instanceof TRPCError ? cause : new TRPCError({ code: "BAD_REQUEST", message: cause instanceof Error ? cause.message : "Invalid input", cause });
        }
        inputRead = true;
      }
      return input;
    };
    const ctx = options.createContext(req);
    let body;
    let error: TRPCError | undefined;
    try {
      body = { result: { data: await callTRPCProcedure({ router, path, getRawInput, ctx, type, signal: undefined, batchIndex: 0 }) } };
    } catch (cause) {
      error = getTRPCErrorFromUnknown(cause);
      options.onError?.({ error, path, type, input });
      body = { error: getErrorShape({ config, ctx, error, input, path, type }) };
    }
    const errors = error ? [error] : [];
    const json = JSON.stringify(transformTRPCResponse(config, body));
    res
      .writeHead(getHTTPStatusCode(body, errors), {
        vary: "trpc-accept, accept",
        "content-type": "application/json",
        "content-length": Buffer.byteLength(json),
        ...options.responseHeaders(errors),
      })
      .end(json);
  }

  /** Handles the request and resolves when answered, or returns `undefined` when it is not a single call. */
  return function handleSingleCall(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const url = req.url!;
    if (!url.startsWith(basePath) || req.headers["trpc-accept"] !== undefined) return undefined;
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url.slice(basePath.length) : url.slice(basePath.length, queryAt);
    // Percent-encoded or comma-separated (batch) paths are rare; the adapter decodes and splits them.
    if (path.includes("%") || path.includes(",")) return undefined;
    const type = procedures[path]?._def.type;
    if (type === undefined || methodFor[type] !== req.method) return undefined;
    const query = queryAt === -1 ? "" : url.slice(queryAt + 1);

    if (type === "query") {
      const params = new URLSearchParams(query);
      for (const key of params.keys()) if (key !== "input") return undefined;
      const text = params.get("input");
      return answer(req, res, path, type, () => Promise.resolve(text));
    }

    const length = Number(req.headers["content-length"]);
    if (
      query !== "" ||
      !req.headers["content-type"]?.startsWith("application/json") ||
      req.headers["transfer-encoding"] !== undefined ||
      !Number.isSafeInteger(length) ||
      length > maxBodySize
    ) {
      return undefined;
    }
    return answer(req, res, path, type, () => readBody(req, length));
  };
}

/** The body of a request whose `content-length` node:http has already checked against the bytes received. */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length))));
    req.once("error", reject);
  });
}
