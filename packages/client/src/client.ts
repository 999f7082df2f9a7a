import { context, propagation } from "@opentelemetry/api";
import type { AppRouter } from "@parts/router";
import {
  createTRPCClient,
  httpBatchLink,
  retryLink,
  splitLink,
  TRPCClientError,
  type Operation,
  type TRPCClient,
} from "@trpc/client";
import { requestLimits } from "@parts/router/limits";
import { singleRequestLink } from "./single-request-link.ts";
import { createTokenProvider, type FetchLike, type TokenProvider, type TokenProviderConfig } from "./token-provider.ts";

/** The server rejects larger batches; the link splits them. */
export const maxBatchItems = requestLimits.maxBatchCalls;
/** Sent one request per call, never batched (see the split link). */
const unbatchedPath = "parts.list";

export type PartsClient = TRPCClient<AppRouter>;

export type PartsClientConfig = {
  /** The API's tRPC endpoint, e.g. `https://parts.example.com/trpc`. */
  url: string;
  /** Used for API requests, and for issuer requests unless `tokens` is given. */
  fetch?: FetchLike;
} & (TokenProviderConfig | { tokens: TokenProvider });

const tokenKey = "parts.accessToken";
const retriedTokenKey = "parts.retriedToken";
const retriedConnectionKey = "parts.retriedConnection";

/**
 * True when the request never got a response (e.g. a keep-alive connection the server had just closed).
 * Only queries are retried on it: they have no side effects, while a mutation may have been applied.
 */
export function isConnectionLostError(error: unknown): boolean {
  return error instanceof TRPCClientError && error.data === undefined && error.cause instanceof TypeError;
}

/**
 * True for the first call of a synchronous run, false for the calls that follow it in the same run.
 * tRPC's batch link waits a timer tick (about 1 ms in Node) before sending, which would double the latency
 * of a caller making one call at a time on a fast network; concurrent calls still share batches.
 */
export function createFirstCallOfTick(): () => boolean {
  let open = true;
  return () => {
    if (!open) return false;
    open = false;
    queueMicrotask(() => {
      open = true;
    });
    return true;
  };
}

/** True when the API rejected the request's token itself (expired, revoked key, …): worth one new token. */
export function isInvalidTokenError(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const data = error.data as { authError?: unknown } | undefined;
  if (data?.authError === "invalid_token") return true;
  const response = error.meta?.response;
  const challenge = response instanceof Response ? response.headers.get("www-authenticate") : null;
  return challenge !== null && /error="invalid_token"/.test(challenge);
}

/**
 * A typed client for the parts API. Every call carries a bearer token from the client-credentials token
 * cache; a call rejected with `invalid_token` drops that token, gets a new one and is retried once, and a
 * query whose connection was lost before any response is retried once. A call made inside an active
 * OpenTelemetry span (an SDK registered by the application) carries its W3C `traceparent`, so the API's spans
 * join the caller's trace; a batch carries its first call's.
 *
 * @example
 * const parts = createPartsClient({ url: "https://parts.example.com/trpc", issuer, clientId, clientSecret, scope: "parts:read" });
 * const page = await parts.parts.list.query({ limit: 10 });
 */
export function createPartsClient(config: PartsClientConfig): PartsClient {
  const tokens = "tokens" in config ? config.tokens : createTokenProvider(config);
  const transport = { url: config.url, ...(config.fetch ? { fetch: config.fetch } : {}) };
  async function authorizationFor(ops: readonly Operation[]) {
    // The caller's trace, taken before any await: `traceparent` when the call runs inside an active span and the
    // application registered an OpenTelemetry SDK; nothing otherwise (the API alone propagates nothing).
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    const token = await tokens.getAccessToken();
    // Remember which token each call carried, so a rejection invalidates that token and no newer one.
    for (const op of ops) op.context[tokenKey] = token;
    headers.authorization = `Bearer ${token}`;
    return headers;
  }
  return createTRPCClient<AppRouter>({
    links: [
      retryLink({
        // Each kind of retry happens at most once per call.
        retry({ op, error }) {
          if (op.type === "query" && isConnectionLostError(error) && !op.context[retriedConnectionKey]) {
            op.context[retriedConnectionKey] = true;
            return true;
          }
          if (!isInvalidTokenError(error) || op.context[retriedTokenKey]) return false;
          op.context[retriedTokenKey] = true;
          tokens.invalidate(op.context[tokenKey] as string | undefined);
          return true;
        },
      }),
      splitLink({
        // List pages travel alone: the server's row budget per request is one full page, so batching pages
        // could turn calls that are each fine into a refused batch.
        condition: ((firstCallOfTick) => (op: Operation) => op.path === unbatchedPath || firstCallOfTick())(createFirstCallOfTick()),
        // Not httpLink: with one call in flight it costs noticeably more CPU per call (see singleRequestLink).
        true: singleRequestLink({ ...transport, headers: ({ op }) => authorizationFor([op]) }),
        false: httpBatchLink({
          ...transport,
          maxItems: maxBatchItems,
          headers: ({ opList }: { opList: readonly Operation[] }) => authorizationFor(opList),
        }),
      }),
    ],
  });
}
