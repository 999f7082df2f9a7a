import { TRPCClientError, type Operation, type TRPCLink } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import type { FetchLike } from "./token-provider.ts";

export interface SingleRequestLinkOptions {
  /** The tRPC endpoint, e.g. `https://parts.example.com/trpc`. */
  url: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Headers for the operation's request (e.g. a bearer token from a cache). */
  headers?: (opts: { op: Operation }) => Record<string, string> | Promise<Record<string, string>>;
}

/** What tRPC puts on `TRPCClientError.meta` and on the result's `context`: the fetch Response and its parsed body. */
interface ResponseMeta {
  [key: string]: unknown;
  response?: Response;
  responseJSON?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/**
 * A terminating link that sends one query (GET `<url>/<path>?input=…`) or mutation (POST with a JSON body) per
 * HTTP request, on the wire exactly as tRPC's `httpLink` does with plain JSON (no transformer), with the same
 * results and `TRPCClientError`s (`data`, `shape`, `meta.response`).
 *
 * It exists for speed, for the promise API of a client whose link chain this package builds (createPartsClient).
 * Measured with one call in flight against the real server (bench/src/micro.ts; figures in bench/README.md), the
 * two things below were a large share of the CPU of a cached-token `parts.byId` round trip on loopback:
 * - `httpLink` creates two AbortControllers per call and always hands fetch a signal, which undici links to a
 *   controller of its own. This link passes fetch the caller's signal (`query(input, { signal })`) only when
 *   there is one. Without one, an operation unsubscribed before its answer still completes its request and
 *   the result is dropped (tRPC's promise API never unsubscribes before an answer).
 * - On success it emits the result and does not complete. tRPC's promise API (`observableToPromise`) resolves
 *   on the first value; a completion after it only aborts an AbortController nobody listens to any more, and
 *   that abort builds a DOMException with a stack trace. Failures still end the observable with an error.
 *   So do not use this link under a consumer that waits for completion (subscriptions, custom links).
 *
 * JSON only: no FormData or binary inputs, no subscriptions.
 */
export function singleRequestLink<TRouter extends AnyRouter>(options: SingleRequestLinkOptions): TRPCLink<TRouter> {
  const [base = "", query] = options.url.split("?");
  const prefix = `${base.replace(/\/$/, "")}/`;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));

  async function send(op: Operation, meta: ResponseMeta): Promise<unknown> {
    if (op.type === "subscription") throw new Error("subscriptions are not supported by singleRequestLink");
    const headers = options.headers ? await options.headers({ op }) : {};
    const init: RequestInit = { method: op.type === "query" ? "GET" : "POST", headers };
    let url = prefix + op.path;
    const params = query ? [query] : [];
    if (op.type === "query") {
      if (op.input !== undefined) params.push(`input=${encodeURIComponent(JSON.stringify(op.input))}`);
    } else {
      if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
        init.headers = { "content-type": "application/json", ...headers };
      }
      if (op.input !== undefined) init.body = JSON.stringify(op.input);
    }
    if (params.length > 0) url += `?${params.join("&")}`;
    if (op.signal) init.signal = op.signal;
    const response = await fetchFn(url, init);
    meta.response = response;
    const json: unknown = await response.json();
    meta.responseJSON = json;
    return json;
  }

  return () =>
    ({ op }) =>
      observable((observer) => {
        let done = false;
        const meta: ResponseMeta = {};
        send(op, meta).then(
          (json) => {
            if (done) return;
            done = true;
            if (isObject(json) && isObject(json.error) && typeof json.error.code === "number") {
              observer.error(TRPCClientError.from(json, { meta }));
            } else if (isObject(json) && isObject(json.result)) {
              // No observer.complete(): see above.
              observer.next({ context: meta, result: { type: "data", data: json.result.data } });
            } else {
              observer.error(TRPCClientError.from(new Error("Unable to transform response from server"), { meta }));
            }
          },
          (cause: unknown) => {
            if (done) return;
            done = true;
            observer.error(TRPCClientError.from(cause as Error, { meta }));
          },
        );
        return () => {
          done = true;
        };
      });
}
