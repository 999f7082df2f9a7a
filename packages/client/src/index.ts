export { createPartsClient, isInvalidTokenError, maxBatchItems, type PartsClient, type PartsClientConfig } from "./client.ts";
export {
  createTokenProvider,
  refreshMarginMs,
  type AccessToken,
  type ClientPrivateKey,
  type FetchLike,
  type TokenProvider,
  type TokenProviderConfig,
} from "./token-provider.ts";
export { TokenRequestError, tokenRequestErrorOf, type TokenRequestErrorCode } from "./errors.ts";
export { TRPCClientError, isTRPCClientError } from "@trpc/client";
export type { AppRouter, RouterInputs, RouterOutputs } from "@parts/router";
