import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPartsRepository, openDatabase, type DatabaseHandle, type PartsRepository } from "@parts/db";
import { createRateLimiter, RateLimitedError } from "@parts/rate-limit";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenVerifier, type TokenVerifier } from "./auth/verifier.ts";
import { createContext } from "./context.ts";
import { errorResponseHeaders } from "./http.ts";
import type { ApiRateLimits } from "./rate-limits.ts";
import { appRouter } from "./root.ts";
import { createCallerFactory } from "./trpc.ts";

let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
let parts: PartsRepository;
const createCaller = createCallerFactory(appRouter);

beforeAll(async () => {
  issuer = await startFakeIssuer();
  dir = mkdtempSync(join(tmpdir(), "parts-rate-limits-"));
  database = openDatabase(join(dir, "parts.db"));
  parts = createPartsRepository(database.db);
});
afterAll(async () => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
  await issuer.close();
});

const spec = (points: number) => ({ points, windowSeconds: 60, burst: 0 });

async function refusalOf(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("per-client limits in procedures", () => {
  it("refuses a client over its read limit with TOO_MANY_REQUESTS and the RateLimit fields; another client is unaffected", async () => {
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    const rateLimits: ApiRateLimits = { read: createRateLimiter({ name: "read", spec: spec(2) }) };
    const callerFor = async (client: string) =>
      createCaller(createContext({ verifier, parts, rateLimits }, { authorization: `Bearer ${await issuer.sign({ client_id: client, scope: "parts:read" })}` }));
    const a = await callerFor("client-a");
    await a.parts.list({});
    await a.parts.byId({ id: 1 }).catch(() => undefined);
    const error = await refusalOf(a.parts.list({}));
    expect(error.code).toBe("TOO_MANY_REQUESTS");
    expect(error.cause).toBeInstanceOf(RateLimitedError);
    const headers = errorResponseHeaders([error]);
    expect(headers["ratelimit-policy"]).toBe('"read";q=2;w=60');
    expect(headers.ratelimit).toMatch(/^"read";r=0;t=\d+$/);
    expect(headers["retry-after"]).toMatch(/^\d+$/);
    await expect((await callerFor("client-b")).parts.list({})).resolves.toBeDefined();
  });

  it("counts reads and writes apart", async () => {
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    const rateLimits: ApiRateLimits = { read: createRateLimiter({ name: "read", spec: spec(1) }), write: createRateLimiter({ name: "write", spec: spec(1) }) };
    const token = await issuer.sign({ client_id: "client-w", scope: "parts:read parts:write" });
    const caller = createCaller(createContext({ verifier, parts, rateLimits }, { authorization: `Bearer ${token}` }));
    await caller.parts.list({});
    await caller.parts.delete({ id: 999_999 }).catch((e: unknown) => expect((e as TRPCError).code).toBe("NOT_FOUND"));
    expect((await refusalOf(caller.parts.delete({ id: 999_999 }))).code).toBe("TOO_MANY_REQUESTS");
    expect((await refusalOf(caller.parts.list({}))).code).toBe("TOO_MANY_REQUESTS");
  });
});

describe("the per-address limit on signature checks", () => {
  it("refuses tokens beyond the limit before their signature is checked, and never for a token already verified", async () => {
    const real = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    let signatureChecks = 0;
    // The real verifier, with its uncached path counted: the hook runs only on a cache miss.
    const verifier: TokenVerifier = {
      ...real,
      verify: (token, hooks) =>
        real.verify(token, {
          beforeSignatureCheck: async () => {
            await hooks?.beforeSignatureCheck?.();
            signatureChecks++;
          },
        }),
    };
    const rateLimits: ApiRateLimits = { address: createRateLimiter({ name: "address", spec: spec(3) }) };
    const valid = await issuer.sign({ client_id: "client-a", scope: "parts:read" });
    const callWith = (token: string, sourceAddress = "192.0.2.7") =>
      createCaller(createContext({ verifier, parts, rateLimits }, { authorization: `Bearer ${token}`, sourceAddress })).parts.list({});
    await callWith(valid);
    const codes = [];
    for (let i = 0; i < 10; i++) codes.push((await refusalOf(callWith(`${valid.slice(0, -4)}AAA${i}`))).code);
    expect(codes.slice(0, 2)).toEqual(["UNAUTHORIZED", "UNAUTHORIZED"]);
    expect(codes.slice(2)).toEqual(Array(8).fill("TOO_MANY_REQUESTS"));
    expect(signatureChecks).toBe(3);
    // The token verified before the flood is still served from the cache: no new check, no refusal.
    await expect(callWith(valid)).resolves.toBeDefined();
    // Another address has its own count.
    expect((await refusalOf(callWith(`${valid.slice(0, -4)}BBBB`, "198.51.100.3"))).code).toBe("UNAUTHORIZED");
    expect(signatureChecks).toBe(4);
  });
});
