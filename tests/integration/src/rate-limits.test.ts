/**
 * Rate limits across real processes (issue 14 point 3): two real issuer processes sharing one PostgreSQL
 * database and its token-endpoint limit; a parts server on SQLite with per-client and per-address limits counted
 * in memory; two parts servers on the PostgreSQL database sharing one per-client limit.
 */
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type CallResult } from "./harness/http.ts";
import { fetchToken, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

type Client = { clientId: string; clientSecret: string };

let postgres: TestPostgres;
let databaseUrl: string;
let issuerPorts: number[];
let issuers: IssuerProcess[] = [];
const servers: ServerProcess[] = [];
let clients: Record<"a" | "b" | "c", Client>;
let tokens: Record<"a" | "b", string>;

const tokenLimit = 3;

beforeAll(async () => {
  postgres = await startTestPostgres({ fsyncOff: true });
  databaseUrl = await postgres.createDatabase();
  issuerPorts = [await freePort(), await freePort()];
  // Both answer as the first one's URL: one issuer identity, as behind a balancer.
  const issuerUrl = `http://127.0.0.1:${issuerPorts[0]}`;
  issuers = await Promise.all(
    issuerPorts.map((port) =>
      startIssuerProcess({
        port,
        databaseFile: "unused",
        env: { ISSUER_DATABASE_URL: databaseUrl, ISSUER_URL: issuerUrl, ISSUER_RATE_LIMIT_TOKEN: `${tokenLimit}/minute` },
      }),
    ),
  );
  const admin = await openIssuerAdmin({ databaseUrl });
  try {
    const create = async (name: string) => (await admin.clients.create({ name, scope: "parts:read parts:write" })) as Client;
    clients = { a: await create("A"), b: await create("B"), c: await create("C") };
  } finally {
    await admin.close();
  }
  tokens = { a: await fetchToken(issuerUrl, clients.a, ""), b: await fetchToken(issuerUrl, clients.b, "") };
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => disposeServer(server)));
  await Promise.all(issuers.map((issuer) => issuer.stop()));
  await postgres?.stop();
});

function tokenRequest(port: number, client: Client) {
  return fetch(`http://127.0.0.1:${port}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
}

async function server(env: Record<string, string>): Promise<string> {
  const started = await startServer({ issuer: issuers[0]!.url, env });
  servers.push(started);
  return started.url;
}

const list = (base: string, token: string, headers: Record<string, string> = {}) => call(base, "query", "parts.list", {}, null, { authorization: `Bearer ${token}`, ...headers });

function expectRateLimited(result: CallResult | Response, policy: string, quota: string) {
  expect(result.status).toBe(429);
  expect(result.headers.get("retry-after")).toMatch(/^\d+$/);
  expect(result.headers.get("ratelimit-policy")).toBe(`"${policy}";${quota}`);
  expect(result.headers.get("ratelimit")).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
}

describe("the issuer's token endpoint", () => {
  it("holds one per-client limit across two issuer processes on one database; another client still gets tokens", async () => {
    const responses = [];
    for (let i = 0; i < 8; i++) responses.push(await tokenRequest(issuerPorts[i % 2]!, clients.c));
    const statuses = responses.map((response) => response.status);
    expect(statuses).toEqual([...Array(tokenLimit).fill(200), ...Array(8 - tokenLimit).fill(429)]);
    const refused = responses[tokenLimit]!;
    expectRateLimited(refused, "client", `q=${tokenLimit};w=60`);
    expect(await refused.json()).toMatchObject({ error: "temporarily_unavailable" });
    expect((await tokenRequest(issuerPorts[1]!, clients.b)).status).toBe(200);
  });
});

describe("a parts server with per-client and per-address limits", () => {
  let base: string;
  beforeAll(async () => {
    base = await server({ RATE_LIMIT_READ: "5/minute", RATE_LIMIT_UNAUTHENTICATED: "4/minute" });
  }, 60_000);

  it("answers 429 TOO_MANY_REQUESTS with Retry-After and the RateLimit fields to the client over its limit, while another client is served", async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await list(base, tokens.a)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await list(base, tokens.a);
    expectRateLimited(refused, "read", "q=5;w=60");
    expect(refused.body.error.data.code).toBe("TOO_MANY_REQUESTS");
    const rest = await fetch(`${base}/api/parts`, { headers: { authorization: `Bearer ${tokens.a}` } });
    expectRateLimited(rest, "read", "q=5;w=60");
    expect(await rest.json()).toMatchObject({ type: "urn:parts:problem:rate-limited", status: 429 });
    expect((await list(base, tokens.b)).status).toBe(200);
  });

  it("stops a flood of forged tokens after the per-address limit, before their signatures are checked, whatever X-Forwarded-For says", async () => {
    const forged = (i: number) => `${tokens.b.slice(0, -8)}${String(i).padStart(8, "A")}`;
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await list(base, forged(i), { "x-forwarded-for": `198.51.100.${i}` }));
    // A 401 says the signature was checked and failed; a 429 comes from the limit, which runs before the check.
    // This server verified two tokens from this address before (clients A's and B's, each counted at first use).
    const checked = results.filter((result) => result.status === 401);
    expect(checked.length).toBe(2);
    for (const result of checked) expect(result.headers.get("www-authenticate")).toContain('error_description="signature verification failed"');
    expect(results.slice(2).every((result) => result.status === 429)).toBe(true);
    expectRateLimited(results[19]!, "address", "q=4;w=60");
    expect(results[19]!.headers.get("www-authenticate")).toBeNull();
    // A token the server has already verified costs no check and is not held back by the flood.
    expect((await list(base, tokens.b)).status).toBe(200);
  });
});

describe("two parts servers on one PostgreSQL database", () => {
  it("enforce one limit for both: a client's calls through either sum to at most limit + burst", async () => {
    const env = { DATABASE_URL: databaseUrl, RATE_LIMIT_READ: "4/minute,burst=2" };
    const replicas = [await server(env), await server(env)];
    // Client B's first calls warm each replica's pool and token cache, so the burst below meets a ready store.
    for (const replica of replicas) expect((await list(replica, tokens.b)).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => list(replicas[i % 2]!, tokens.a)));
    // Had the store been slower than its timeout, a replica would have counted alone (and said so).
    const fallbacks = servers.flatMap((started) => started.logs.filter((line) => line.msg.startsWith("rate-limit store unavailable")));
    expect(fallbacks).toEqual([]);
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(6);
    expect(statuses.filter((status) => status === 429)).toHaveLength(18);
    const refused = results.find((result) => result.status === 429)!;
    expect(refused.headers.get("ratelimit-policy")).toBe('"read";q=4;w=60, "read-burst";q=2;w=600');
    // Client B's allowance is its own.
    expect((await list(replicas[0]!, tokens.b)).status).toBe(200);
  }, 60_000);
});
