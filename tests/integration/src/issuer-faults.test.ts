/**
 * The real issuer (apps/issuer, oidc-provider) and the real server as processes: happy path with real
 * client-credentials tokens, key rotation picked up without a restart (and without a JWKS refetch, thanks to
 * the published next key), issuer outages.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, trpcError } from "./harness/http.ts";
import { eventually, fetchToken, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let dir: string;
let issuerDb: string;
let port: number;
let issuer: IssuerProcess | undefined;
let client: { clientId: string; clientSecret?: string };
const servers: ServerProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parts-it-issuer-"));
  issuerDb = join(dir, "issuer.db");
  port = await freePort();
  issuer = await startIssuerProcess({ port, databaseFile: issuerDb });
  const admin = await openIssuerAdmin({ databaseFile: issuerDb, accessTokenTtl: 600 });
  client = await admin.clients.create({ name: "integration writer", scope: "parts:read parts:write" });
  admin.close();
});
afterAll(async () => {
  for (const server of servers) await disposeServer(server);
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function server(env: Record<string, string> = {}) {
  const started = await startServer({ issuer: `http://127.0.0.1:${port}`, env });
  servers.push(started);
  return started;
}

const create = (base: string, token: string, n: string) =>
  call(base, "mutation", "parts.create", { partNumber: `ISS-${n}`, modelNumber: "M", name: n }, token);


/**
 * Rotates the signing key as the operator CLI does (on the issuer's database) and returns a token signed with
 * the new key: the running issuer re-reads its keys within a second.
 */
async function rotateAndFetchToken(): Promise<string> {
  const admin = await openIssuerAdmin({ databaseFile: issuerDb, accessTokenTtl: 600 });
  const { kid } = await admin.keys.rotate();
  admin.close();
  let token = "";
  const signsWithNewKey = await eventually(async () => {
    token = await fetchToken(issuer!.url, client, "parts:read parts:write");
    return decodeProtectedHeader(token).kid === kid;
  }, 10_000);
  expect(signsWithNewKey).toBe(true);
  return token;
}

describe("with the real issuer", () => {
  it("accepts its client-credentials tokens and keeps verifying with cached keys while it is down", async () => {
    const app = await server();
    const token = await fetchToken(issuer!.url, client, "parts:read parts:write");
    expect((await create(app.url, token, "happy")).status).toBe(200);
    const unseen = await fetchToken(issuer!.url, client, "parts:read parts:write");

    await issuer!.stop();
    issuer = undefined;
    expect((await create(app.url, token, "cached-1")).status).toBe(200);
    // A token the server has never seen is verified with the cached keys, not refused.
    expect((await create(app.url, unseen, "cached-2")).status).toBe(200);

    issuer = await startIssuerProcess({ port, databaseFile: issuerDb });
  });

  it("picks up a rotated signing key without a restart", async () => {
    const app = await server({ JWKS_COOLDOWN_MS: "2000" });
    const before = await fetchToken(issuer!.url, client, "parts:read parts:write");
    expect((await create(app.url, before, "pre-rotation")).status).toBe(200);

    const after = await rotateAndFetchToken();

    // Accepted once the server's unknown-kid refetch cooldown allows a refetch; no restart.
    const accepted = await eventually(async () => (await call(app.url, "query", "parts.list", {}, after)).status === 200, 10_000);
    expect(accepted).toBe(true);
    expect((await create(app.url, after, "post-rotation")).status).toBe(200);
    // Tokens signed with the retired key stay valid until they expire.
    expect((await call(app.url, "query", "parts.list", {}, before)).status).toBe(200);
    expect(app.alive()).toBe(true);
  });

  it("a server with the default 30 s cooldown that fetched the JWKS just before `keys rotate` accepts a token signed right after it", async () => {
    const app = await server(); // default JWKS_COOLDOWN_MS: an unknown kid could not be refetched for 30 s
    const before = await fetchToken(issuer!.url, client, "parts:read parts:write");
    // The server has loaded the JWKS (the call verified a token) just before the rotation.
    expect((await call(app.url, "query", "parts.list", {}, before)).status).toBe(200);

    const after = await rotateAndFetchToken();

    // First try, no waiting: the new signing key was published as the next key before the server fetched.
    expect((await create(app.url, after, "right-after-rotation")).status).toBe(200);
    expect((await call(app.url, "query", "parts.list", {}, before)).status).toBe(200);
  });

  it("answers 503 (not 401) while no keys were ever loaded, and recovers by itself when the issuer returns", async () => {
    const token = await fetchToken(issuer!.url, client, "parts:read parts:write");
    await issuer!.stop();
    issuer = undefined;
    const app = await server();

    const down = await create(app.url, token, "while-down");
    expect(down.status).toBe(503);
    expect(trpcError(down)).toMatchObject({ code: "SERVICE_UNAVAILABLE", authError: "issuer_unavailable" });
    expect(down.headers.get("www-authenticate")).toBeNull();
    expect((await fetch(`${app.url}/readyz`)).status).toBe(503);

    issuer = await startIssuerProcess({ port, databaseFile: issuerDb });
    const recovered = await eventually(async () => (await create(app.url, token, "after-recovery")).status === 200, 15_000);
    expect(recovered).toBe(true);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect(app.alive()).toBe(true);
  });
});
