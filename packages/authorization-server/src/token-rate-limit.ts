import { Readable } from "node:stream";
import { addressKey, sourceAddress, type RateLimitDecision, type RateLimiter, type TrustedProxies, rateLimitHeaders } from "@parts/rate-limit";
import type Provider from "oidc-provider";

/** The part of Koa's context this middleware touches (provider.use hands a plain Koa context). */
type Ctx = Parameters<Parameters<Provider["use"]>[0]>[0];

/** The token endpoint's limits; each one is off when absent. */
export interface TokenRateLimits {
  /** Token requests per claimed client id. */
  client?: RateLimiter;
  /** Token requests per source address. */
  address?: RateLimiter;
  /** Proxies whose `X-Forwarded-For` names the caller's address; none by default. */
  trustedProxies?: TrustedProxies;
}

/** oidc-provider's own limit on a token request's body (lib/shared/selective_body.js). */
const maxBodyBytes = 56 * 1024;

/** `user` of a Basic header (RFC 6749 §2.3.1 form-encodes it), or undefined. */
function basicUser(header: string): string | undefined {
  if (!header.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
  } catch {
    return decoded.slice(0, colon);
  }
}

/** The `sub` of a client assertion (RFC 7523: the client id), read without verifying anything. */
function assertionSubject(assertion: string): string | undefined {
  const payload = assertion.split(".")[1];
  if (payload === undefined || payload.length > 8192) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client id a token request claims: the Basic header's user, else the form's `client_id`, else the
 * `sub` of its `client_assertion`. Nothing here is verified: it only picks the counter, and a caller naming
 * another client's id spends that client's allowance (the per-address limit bounds how fast).
 */
export function claimedClientId(authorization: string, form: URLSearchParams | undefined): string | undefined {
  const id = basicUser(authorization) ?? form?.get("client_id") ?? assertionSubject(form?.get("client_assertion") ?? "");
  return id ? id.slice(0, 200) : undefined;
}

/** Reads a form body once and hands oidc-provider a stream of the same bytes in place of the spent request. */
async function takeForm(ctx: Ctx): Promise<URLSearchParams | undefined> {
  const length = Number(ctx.get("content-length"));
  if (!ctx.is("application/x-www-form-urlencoded") || !Number.isSafeInteger(length) || length > maxBodyBytes) return undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > length) break;
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  // oidc-provider reads the body from `ctx.req` (a readable stream); everything else it needs of the request
  // (headers, method, URL, address) comes from `ctx.request`, which keeps the original message.
  ctx.req = Readable.from([body], { objectMode: false }) as unknown as typeof ctx.req;
  return new URLSearchParams(body.toString("utf8"));
}

function refuse(ctx: Ctx, decision: RateLimitDecision, what: string): void {
  ctx.status = 429;
  ctx.set(rateLimitHeaders(decision));
  ctx.set("cache-control", "no-store");
  // RFC 6749 has no code for this; temporarily_unavailable is the registered one that says "not now, retry".
  ctx.body = { error: "temporarily_unavailable", error_description: `too many token requests from this ${what}; retry after ${decision.resetSeconds} s` };
}

/**
 * Limits POST /token per source address (first: it needs no body), then per claimed client id, before
 * oidc-provider authenticates the client (a secret comparison or a client assertion's signature check).
 */
export function installTokenRateLimit(provider: Provider, limits: TokenRateLimits): void {
  if (!limits.client && !limits.address) return;
  provider.use(async (ctx, next: () => Promise<unknown>) => {
    if (ctx.path !== "/token" || ctx.method !== "POST") return next();
    if (limits.address) {
      const address = sourceAddress(ctx.request.socket.remoteAddress, ctx.get("x-forwarded-for") || undefined, limits.trustedProxies);
      const decision = await limits.address.consume(addressKey(address));
      if (!decision.allowed) return refuse(ctx, decision, "address");
    }
    if (limits.client) {
      const authorization = ctx.get("authorization");
      const form = basicUser(authorization) === undefined ? await takeForm(ctx) : undefined;
      const clientId = claimedClientId(authorization, form);
      if (clientId !== undefined) {
        const decision = await limits.client.consume(clientId);
        if (!decision.allowed) return refuse(ctx, decision, "client");
      }
    }
    return next();
  });
}
