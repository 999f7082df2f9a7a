/**
 * Micro-benchmarks, run by the harness in a process pinned to one core:
 *   verify '<{seconds, tokens}>'                      token verification per algorithm
 *   client '<{seconds, origin, issuer, clientId, clientSecret}>'  typed client vs raw fetch
 * Prints a JSON result on stdout.
 */
import { createPublicKey, verify as cryptoVerify, type JsonWebKey } from "node:crypto";
import { createPartsClient, createTokenProvider } from "@parts/client";
import { createTokenVerifier } from "@parts/router";
import { startFakeIssuer } from "@parts/fake-issuer";
import { importJWK, jwtVerify } from "jose";
import { byIdPath } from "./scenarios.ts";

export interface VerifyResult {
  alg: string;
  /** Operations per second on one core. */
  joseJwtVerify: number;
  verifierNoCache: number;
  verifierCachedToken: number;
  /** node:crypto signature check alone (no JSON, no claims): the ceiling for any verifier. */
  nodeCryptoSignatureOnly: number;
}

export interface ClientResult {
  typedCallsPerSec: number;
  rawFetchCallsPerSec: number;
  typedMeanUs: number;
  rawMeanUs: number;
  /** typed / raw mean latency − 1. */
  overhead: number;
  /** Calls made by the typed client, and the token requests it sent for them (1 expected: tokens live 1 h). */
  calls: number;
  tokenRequests: number;
  tokenRequestsPer1000Calls: number;
}

/** Calls `op` with `window` calls in flight for `seconds`; returns operations per second. */
async function rate(seconds: number, op: (i: number) => Promise<unknown> | unknown, window = 8): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let done = 0;
  while (performance.now() < end) {
    const batch: unknown[] = [];
    for (let k = 0; k < window; k++) batch.push(op(done + k));
    await Promise.all(batch);
    done += window;
  }
  return done / ((performance.now() - start) / 1000);
}

const nodeAlg: Record<string, { digest: string | null; dsaEncoding?: "ieee-p1363" }> = {
  RS256: { digest: "sha256" },
  ES256: { digest: "sha256", dsaEncoding: "ieee-p1363" },
  EdDSA: { digest: null },
};

async function verifyBench(seconds: number, count: number): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const alg of ["RS256", "ES256", "EdDSA"]) {
    const issuer = await startFakeIssuer({ alg });
    const tokens = await Promise.all(Array.from({ length: count }, () => issuer.sign()));
    const jwk = issuer.keys[0]!.publicJwk;
    const key = await importJWK(jwk, alg);
    const options = { issuer: issuer.issuer, audience: issuer.audience, algorithms: [alg], typ: "at+jwt" };
    const pick = (i: number) => tokens[i % tokens.length]!;

    const joseJwtVerify = await rate(seconds, (i) => jwtVerify(pick(i), key, options));
    const noCache = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, cacheSize: 0 });
    await noCache.ready();
    const verifierNoCache = await rate(seconds, (i) => noCache.verify(pick(i)));
    const cached = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    await cached.verify(tokens[0]!);
    const verifierCachedToken = await rate(seconds, () => cached.verify(tokens[0]!));

    const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
    const parts = tokens.map((t) => {
      const [h, p, s] = t.split(".");
      return { data: Buffer.from(`${h}.${p}`), signature: Buffer.from(s!, "base64url") };
    });
    const { digest, dsaEncoding } = nodeAlg[alg]!;
    const nodeCryptoSignatureOnly = await rate(seconds, (i) => {
      const { data, signature } = parts[i % parts.length]!;
      if (!cryptoVerify(digest, data, dsaEncoding ? { key: publicKey, dsaEncoding } : publicKey, signature)) throw new Error("bad signature");
    }, 64);

    results.push({ alg, joseJwtVerify, verifierNoCache, verifierCachedToken, nodeCryptoSignatureOnly });
    await issuer.close();
  }
  return results;
}

async function clientBench(args: { seconds: number; warmupSeconds: number; origin: string; issuer: string; clientId: string; clientSecret: string }): Promise<ClientResult> {
  // Token requests of the typed client only, counted from its first call. The counting wrapper sits on the
  // issuer side only, so both sides send their API requests through the same global fetch (same dispatcher,
  // keep-alive pool and per-request cost).
  let tokenRequests = 0;
  const countingFetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (new URL(url).pathname.endsWith("/token")) tokenRequests++;
    return fetch(input, init);
  };
  const credentials = { issuer: args.issuer, clientId: args.clientId, clientSecret: args.clientSecret, scope: "parts:read parts:write" };
  const client = createPartsClient({ url: `${args.origin}/trpc`, tokens: createTokenProvider({ ...credentials, fetch: countingFetch }) });
  const tokens = createTokenProvider(credentials);
  // The same request on both sides: a single (unbatched) GET of parts.byId with a cached bearer token, the
  // URL the typed client sends for a lone call; one call in flight, each awaited before the next.
  const url = `${args.origin}${byIdPath(1)}`;
  const typed = () => client.parts.byId.query({ id: 1 });
  const raw = async () => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${await tokens.getAccessToken()}` } });
    if (!response.ok) throw new Error(`raw fetch: HTTP ${response.status}`);
    return response.json();
  };
  // Check once that the typed client sends exactly this URL and authorization scheme for a lone call.
  const seen: Array<{ url: string; authorization: string | null }> = [];
  const probe = createPartsClient({
    url: `${args.origin}/trpc`,
    tokens,
    fetch: (input, init) => {
      seen.push({ url: input.toString(), authorization: new Headers(init?.headers).get("authorization") });
      return fetch(input, init);
    },
  });
  await probe.parts.byId.query({ id: 1 });
  const token = await tokens.getAccessToken();
  if (seen.length !== 1 || seen[0]!.url !== url || seen[0]!.authorization !== `Bearer ${token}`) {
    throw new Error(`typed and raw requests differ: typed sent ${seen.map((s) => s.url).join(", ")}, raw sends ${url}`);
  }
  // Warm up both sides alike (JIT, connection pool) until V8 has optimized the typed side's longer call path:
  // measured, per-call time kept falling for the first ~2,000 calls, so a short warm-up charged the typed side
  // for compiling, not for running.
  let warmupCalls = 0;
  const warmUntil = performance.now() + args.warmupSeconds * 1000;
  while (performance.now() < warmUntil) {
    await typed();
    await raw();
    warmupCalls++;
  }
  // Alternate short rounds (50 ms a side) so drift on a shared machine hits both sides alike; one call in flight
  // at a time.
  const rounds = Math.max(4, Math.round(args.seconds * 10));
  let typedCalls = 0;
  let typedMs = 0;
  let rawCalls = 0;
  let rawMs = 0;
  for (let round = 0; round < rounds; round++) {
    for (const side of ["typed", "raw"] as const) {
      const fn = side === "typed" ? typed : raw;
      const start = performance.now();
      const end = start + (args.seconds * 1000) / rounds / 2;
      let n = 0;
      while (performance.now() < end) {
        await fn();
        n++;
      }
      const ms = performance.now() - start;
      if (side === "typed") {
        typedCalls += n;
        typedMs += ms;
      } else {
        rawCalls += n;
        rawMs += ms;
      }
    }
  }
  const typedMeanUs = (typedMs * 1000) / typedCalls;
  const rawMeanUs = (rawMs * 1000) / rawCalls;
  const calls = typedCalls + warmupCalls + 1;
  return {
    typedCallsPerSec: typedCalls / (typedMs / 1000),
    rawFetchCallsPerSec: rawCalls / (rawMs / 1000),
    typedMeanUs,
    rawMeanUs,
    overhead: typedMeanUs / rawMeanUs - 1,
    calls,
    tokenRequests,
    tokenRequestsPer1000Calls: (tokenRequests * 1000) / calls,
  };
}

const [mode, json] = process.argv.slice(2);
const args = JSON.parse(json ?? "{}");
const result = mode === "verify" ? await verifyBench(args.seconds, args.tokens) : await clientBench(args);
process.stdout.write(JSON.stringify(result));
process.exit(0);
