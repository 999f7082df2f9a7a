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
import { getHTTPStatusCode, getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { TRPCResponse } from "@trpc/server/rpc";

/** One call as `createContext` sees it before any procedure runs (the part of tRPC's `info.calls` used here). */
export interface PendingCall {
  path: string;
  getRawInput(): Promise<unknown>;
}

export interface LeanTrpcHandlerOptions<TContext> {
  router: AnyTRPCRouter;
  /** Where procedures are mounted, with both slashes: `/trpc/`. */
  basePath: string;
  maxBodySize: number;
  maxBatchSize: number;
  /**
   * tRPC's `createContext`, given what the adapter's `info.calls` gives (each call's path and raw input); it may
   * throw to refuse the whole request, and then every call answers that error, as in the adapter.
   */
  createContext(req: IncomingMessage, calls: readonly PendingCall[]): TContext | Promise<TContext>;
  /** Extra response headers for the errors of a response (tRPC's `responseMeta` headers). */
  responseHeaders(errors: readonly TRPCError[]): Record<string, string>;
  onError?(failure: { error: TRPCError; path: string; type: TRPCProcedureType; input: unknown }): void;
}

/** A JSON request the lean path takes: its procedures (one unless batched), their type, and its raw input. */
interface LeanCall {
  paths: string[];
  batch: boolean;
  type: TRPCProcedureType;
  rawInput: Promise<string | null>;
}

const methodFor: Partial<Record<TRPCProcedureType, string>> = { query: "GET", mutation: "POST" };
// Decodes like fetch's `Request.text()`, which the official adapter uses: a leading BOM is dropped.
const utf8 = new TextDecoder();
// The adapter's own checks, so the lean path takes exactly the requests the adapter treats as plain JSON.
const isObject = (value: unknown): value is Record<string, unknown> => !!value && !Array.isArray(value) && typeof value === "object";
const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
const isJson = (contentType: string | undefined) => contentType?.toLowerCase().split(";", 1)[0]!.trim() === "application/json";
const wantsStream = (req: IncomingMessage) =>
  req.headers["trpc-accept"] !== undefined ||
  (!!req.headers.accept?.includes("application/jsonl") && req.headers.accept.split(",").some((type) => type.trim() === "application/jsonl"));

/**
 * Answers plain JSON tRPC requests (one query over GET or one mutation over POST, or a batch of them) straight
 * from node:http. tRPC's node adapters turn every request into a fetch `Request` and every answer into a
 * web-stream `Response`; profiled, that conversion was most of the CPU of a cached-token `parts.byId`. Calls,
 * error shapes, statuses and headers come from the tRPC functions the official `resolveResponse` uses (some of
 * them internal: README.md lists each, and the upgrade checklist), so callers cannot tell the two apart (tests
 * compare them request by request). Anything else (streaming, subscriptions, unknown paths, wrong methods, mixed
 * batches, bodies without a length, extra parameters) is not taken: the function returns `undefined` and the
 * caller hands the request to the adapter.
 *
 * One difference is deliberate: procedures get no abort signal when the client disconnects (creating one per
 * request costs time, and no procedure here reads `signal`). A procedure that starts to needs one added here.
 */
export function createLeanTrpcHandler<TContext>(options: LeanTrpcHandlerOptions<TContext>) {
  const { router, basePath, maxBodySize, maxBatchSize } = options;
  const config = router._def._config;
  const procedures = router._def.procedures as Record<string, { _def: { type: TRPCProcedureType } } | undefined>;
  const deserialize = (value: unknown) => config.transformer.input.deserialize(value) as unknown;

  /** The inputs by call index, parsed once for all calls, with the adapter's rules and errors. */
  function inputsOf(call: LeanCall) {
    let parsed: Promise<Record<number, unknown>> | undefined;
    let value: Record<number, unknown> | undefined;
    const parse = async (): Promise<Record<number, unknown>> => {
      const text = await call.rawInput;
      const inputs: unknown = text ? JSON.parse(text) : undefined;
      if (inputs === undefined) return {};
      if (!call.batch) return { 0: deserialize(inputs) };
      if (!isObject(inputs)) throw new TRPCError({ code: "BAD_REQUEST", message: '"input" needs to be an object when doing a batch call' });
      const byIndex: Record<number, unknown> = {};
      call.paths.forEach((_, index) => {
        if (inputs[index] !== undefined) byIndex[index] = deserialize(inputs[index]);
      });
      return byIndex;
    };
    return {
      read(): Promise<Record<number, unknown>> {
        parsed ??= parse().then(
          (inputs) => (value = inputs),
          (cause: unknown) => {
            // Unreadable input is the caller's mistake (400), with the parser's message, as in the adapter.
            if (cause instanceof TRPCError) throw cause;
            throw new TRPCError({ code: "BAD_REQUEST", message: cause instanceof Error ? cause.message : "Invalid input", cause });
          },
        );
        return parsed;
      },
      /** An input already parsed, for error shapes and logs. */
      result: (index: number) => value?.[index],
    };
  }

  async function answer(req: IncomingMessage, res: ServerResponse, call: LeanCall) {
    const { type } = call;
    const inputs = inputsOf(call);
    const rawInputOf = (index: number) => async () => (await inputs.read())[index];
    // As the adapter's context manager does: a context that throws or rejects, with anything at all (even
    // `undefined`), becomes one TRPCError that every call of the request answers, and no procedure runs.
    let ctx: TContext | undefined;
    let contextError: TRPCError | undefined;
    try {
      const made = options.createContext(req, call.paths.map((path, index) => ({ path, getRawInput: rawInputOf(index) })));
      // Awaited only when it is a promise (or any thenable, which the adapter's `await` would also follow): a
      // synchronous context costs no extra turn of the microtask queue.
      ctx = isThenable(made) ? await made : made;
    } catch (cause) {
      contextError = getTRPCErrorFromUnknown(cause);
    }
    const callOne = async (path: string, index: number): Promise<[TRPCResponse, TRPCError | undefined]> => {
      try {
        if (contextError) throw contextError;
        const getRawInput = rawInputOf(index);
        const data: unknown = await callTRPCProcedure({ router, path, getRawInput, ctx, type, signal: undefined, batchIndex: index });
        return [{ result: { data } }, undefined];
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        const input = inputs.result(index);
        options.onError?.({ error, path, type, input });
        return [{ error: getErrorShape({ config, ctx, error, input, path, type }) }, error];
      }
    };
    let body: TRPCResponse | TRPCResponse[];
    let status: number;
    let errors: TRPCError[];
    if (call.batch) {
      const settled = await Promise.all(call.paths.map(callOne));
      body = settled.map(([answer]) => answer);
      status = getHTTPStatusCode(body, settled.map(([, error]) => error));
      errors = settled.flatMap(([, error]) => (error ? [error] : []));
    } else {
      const [answer, error] = await callOne(call.paths[0]!, 0);
      body = answer;
      errors = error ? [error] : [];
      status = getHTTPStatusCode(body, errors);
    }
    let json: string;
    try {
      json = JSON.stringify(transformTRPCResponse(config, body));
    } catch (cause) {
      // A result JSON cannot carry (a BigInt, a cycle): one error for the whole response, as the adapter answers.
      const error = getTRPCErrorFromUnknown(cause);
      options.onError?.({ error, path: call.paths.join(","), type, input: undefined });
      errors = [error];
      status = getHTTPStatusCodeFromError(error);
      json = JSON.stringify(transformTRPCResponse(config, { error: getErrorShape({ config, ctx, error, input: undefined, path: undefined, type }) }));
    }
    res
      .writeHead(status, {
        vary: "trpc-accept, accept",
        "content-type": "application/json",
        "content-length": Buffer.byteLength(json),
        ...options.responseHeaders(errors),
      })
      .end(json);
  }

  /** The request as a lean call, or undefined when the adapter should answer it. */
  function leanCallOf(req: IncomingMessage): LeanCall | undefined {
    const url = req.url!;
    // Streaming answers, and request targets with a fragment (which URL parsing drops), are the adapter's.
    if (!url.startsWith(basePath) || url.includes("#") || wantsStream(req)) return undefined;
    const queryAt = url.indexOf("?");
    const pathPart = queryAt === -1 ? url.slice(basePath.length) : url.slice(basePath.length, queryAt);
    // Percent-encoded paths are rare; the adapter decodes them.
    if (pathPart.includes("%")) return undefined;
    const params = new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1));
    const batch = params.get("batch") === "1";
    for (const key of params.keys()) if (!(key === "batch" && batch) && !(key === "input" && req.method === "GET")) return undefined;
    const paths = batch ? pathPart.split(",") : [pathPart];
    if (paths.length > maxBatchSize) return undefined;
    const type = procedures[paths[0]!]?._def.type;
    if (type === undefined || methodFor[type] !== req.method || paths.some((path) => procedures[path]?._def.type !== type)) return undefined;

    if (type === "query") {
      // A GET with a body type (multipart, octet-stream) gets the adapter's 405.
      if (req.headers["content-type"] !== undefined) return undefined;
      const text = params.get("input");
      return { paths, batch, type, rawInput: Promise.resolve(text) };
    }
    const length = Number(req.headers["content-length"]);
    if (!isJson(req.headers["content-type"]) || req.headers["transfer-encoding"] !== undefined || !Number.isSafeInteger(length) || length > maxBodySize) {
      return undefined;
    }
    // Read at once, as the adapter does: a body first read after authentication could belong to a client that
    // has gone meanwhile, and a destroyed request emits nothing to listeners attached late.
    const rawInput = readBody(req, length);
    rawInput.catch(() => undefined); // a rejection is reported to the call that reads the input, if any does
    return { paths, batch, type, rawInput };
  }

  /** Handles the request and resolves when answered, or returns `undefined` when it is not for the lean path. */
  return function handleLean(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const call = leanCallOf(req);
    return call && answer(req, res, call);
  };
}

/** The body of a request whose `content-length` node:http has already checked against the bytes received. */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length))));
    req.once("error", reject);
    req.once("close", () => {
      if (!req.complete) reject(new Error("the request body was cut off"));
    });
  });
}
