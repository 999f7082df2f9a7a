import type { AppRouter } from "@parts/router";
import {
  createTRPCClient,
  httpBatchLink,
  retryLink,
  TRPCClientError,
  type Operation,
  type TRPCClient,
} from "@trpc/client";
import { createTokenProvider, type FetchLike, type TokenProvider, type TokenProviderConfig } from "./token-provider.ts";

/** The server rejects batches of more than 50 calls; the link splits larger batches. */
export const maxBatchItems = 50;

export type PartsClient = TRPCClient<AppRouter>;

export type PartsClientConfig = {
  /** The API's tRPC endpoint, e.g. `https://parts.example.com/trpc`. */
  url: string;
  /** Used for API requests, and for issuer requests unless `tokens` is given. */
  fetch?: FetchLike;
} & (TokenProviderConfig | { tokens: TokenProvider });

const tokenKey = "parts.accessToken";

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
 * cache; a call rejected with `invalid_token` drops that token, gets a new one and is retried once.
 *
 * @example
 * const parts = createPartsClient({ url: "https://parts.example.com/trpc", issuer, clientId, clientSecret, scope: "parts:read" });
 * const page = await parts.parts.list.query({ limit: 10 });
 */
export function createPartsClient(config: PartsClientConfig): PartsClient {
  const tokens = "tokens" in config ? config.tokens : createTokenProvider(config);
  return createTRPCClient<AppRouter>({
    links: [
      retryLink({
        retry({ op, error, attempts }) {
          if (attempts > 1 || !isInvalidTokenError(error)) return false;
          tokens.invalidate(op.context[tokenKey] as string | undefined);
          return true;
        },
      }),
      httpBatchLink({
        url: config.url,
        maxItems: maxBatchItems,
        ...(config.fetch ? { fetch: config.fetch } : {}),
        async headers({ opList }: { opList: readonly Operation[] }) {
          const token = await tokens.getAccessToken();
          // Remember which token each call carried, so a rejection invalidates that token and no newer one.
          for (const op of opList) op.context[tokenKey] = token;
          return { authorization: `Bearer ${token}` };
        },
      }),
    ],
  });
}
