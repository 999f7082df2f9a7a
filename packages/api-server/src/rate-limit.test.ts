import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPartsRepository, openDatabase, type DatabaseHandle } from "@parts/db";
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import { createRateLimiter, trustedProxiesFrom, type LimitSpec } from "@parts/rate-limit";
import { createTokenVerifier, type ApiRateLimits } from "@parts/router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPartsServer, type PartsServer, type PartsServerOptions } from "./http-server.ts";
import { createLogger } from "./logger.ts";

let issuer: FakeIssuer;
let dir: string;
let database: DatabaseHandle;
const servers: PartsServer[] = [];

beforeAll(async () => {
  issuer = await startFakeIssuer();
  dir = mkdtempSync(join(tmpdir(), "parts-rate-limit-"));
  database = openDatabase(join(dir, "parts.db"));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close(1000)));
  database.close();
  rmSync(dir, { recursive: true, force: true });
  await issuer.close();
});

const perMinute = (points: number): LimitSpec => ({ points, windowSeconds: 60, burst: 0 });

async function serve(rateLimits: ApiRateLimits, extra: Partial<PartsServerOptions> = {}): Promise<string> {
  const app = createPartsServer({
    database: { ping: () => true, close: () => undefined },
    verifier: createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience }),
    parts: createPartsRepository(database.db),
    logger: createLogger("silent"),
    rateLimits,
    ...extra,
  });
  servers.push(app);
  return app.listen(0, "127.0.0.1");
}

const tokenFor = (client: string, scope = "parts:read parts:write") => issuer.sign({ client_id: client, sub: client, scope });
const get = async (url: string, token: string, headers: Record<string, string> = {}) => fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers } });

function expectRateLimitFields(response: Response, policy: string, quota: number) {
  expect(response.status).toBe(429);
  expect(response.headers.get("ratelimit-policy")).toBe(`"${policy}";q=${quota};w=60`);
  expect(response.headers.get("ratelimit")).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
}

describe("per-client limits on every path", () => {
  it.each([
    ["the lean tRPC path", true],
    ["tRPC's own adapter", false],
  ])("%s: 429 TOO_MANY_REQUESTS with the headers for the client over its limit; another client is served", async (_path, leanPath) => {
    const base = await serve({ read: createRateLimiter({ name: "read", spec: perMinute(2) }) }, { leanPath });
    const a = await tokenFor("client-a");
    const url = `${base}/trpc/parts.list?input=${encodeURIComponent("{}")}`;
    expect((await get(url, a)).status).toBe(200);
    expect((await get(url, a)).status).toBe(200);
    const refused = await get(url, a);
    expectRateLimitFields(refused, "read", 2);
    expect(((await refused.json()) as { error: { data: { code: string } } }).error.data.code).toBe("TOO_MANY_REQUESTS");
    expect((await get(url, await tokenFor("client-b"))).status).toBe(200);
  });

  it("counts each call of a batch", async () => {
    const base = await serve({ read: createRateLimiter({ name: "read", spec: perMinute(3) }) });
    const batch = `${base}/trpc/parts.list,parts.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: {}, 1: {} }))}`;
    const token = await tokenFor("client-batch");
    expect((await get(batch, token)).status).toBe(200);
    const second = await get(batch, token);
    expect(second.status).toBe(207);
    const codes = ((await second.json()) as Array<{ error?: { data: { code: string } } }>).map((call) => call.error?.data.code ?? "OK");
    expect(codes).toEqual(["OK", "TOO_MANY_REQUESTS"]);
    expect(second.headers.get("ratelimit")).toMatch(/^"read";r=0;t=\d+$/);
  });

  it("REST: an RFC 9457 problem rate-limited with the headers; writes count apart from reads", async () => {
    const base = await serve({ read: createRateLimiter({ name: "read", spec: perMinute(1) }), write: createRateLimiter({ name: "write", spec: perMinute(5) }) });
    const token = await tokenFor("client-rest");
    expect((await get(`${base}/api/parts`, token)).status).toBe(200);
    const refused = await get(`${base}/api/parts`, token);
    expectRateLimitFields(refused, "read", 1);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(await refused.json()).toMatchObject({ type: "urn:parts:problem:rate-limited", status: 429, code: "TOO_MANY_REQUESTS" });
    const deleted = await fetch(`${base}/api/parts/999999`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    expect(deleted.status).toBe(404);
  });
});

describe("the per-address limit on signature checks", () => {
  const forged = async (n: number) => `${(await tokenFor("client-a")).slice(0, -6)}AAAA${String(n).padStart(2, "0")}`;

  it("is not bypassed by a spoofed X-Forwarded-For when no proxy is trusted", async () => {
    const base = await serve({ address: createRateLimiter({ name: "address", spec: perMinute(3) }) });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(`${base}/api/parts`, await forged(i), { "x-forwarded-for": `198.51.100.${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });

  it("reads X-Forwarded-For behind a trusted proxy: each forwarded caller has its own count", async () => {
    const base = await serve({ address: createRateLimiter({ name: "address", spec: perMinute(1) }) }, { trustedProxies: trustedProxiesFrom(["127.0.0.1"]) });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(`${base}/api/parts`, await forged(i), { "x-forwarded-for": `198.51.100.${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect((await get(`${base}/api/parts`, await forged(9), { "x-forwarded-for": "198.51.100.0" })).status).toBe(429);
  });
});
