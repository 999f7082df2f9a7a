/**
 * Two real issuer processes on one PostgreSQL database (ISSUER_DATABASE_URL), answering as one issuer (the same
 * ISSUER_URL, as behind a load balancer), and a real API server on the same database: both issuers publish the
 * same JWKS, and a token from either is accepted by the API server, which fetched the JWKS from one of them; a
 * `keys rotate` through the operator CLI's admin on that database is picked up by both issuers, and their tokens
 * signed with the new key are accepted without a failed call.
 */
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFor } from "./harness/http.ts";
import { eventually, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let postgres: TestPostgres;
let issuers: IssuerProcess[] = [];
let ports: number[];
let server: ServerProcess;
let client: { clientId: string; clientSecret?: string };
let databaseUrl: string;

beforeAll(async () => {
  postgres = await startTestPostgres({ fsyncOff: true });
  databaseUrl = await postgres.createDatabase();
  ports = [await freePort(), await freePort()];
  const issuerUrl = `http://127.0.0.1:${ports[0]}`;
  // Started together on an empty database: they migrate once and agree on one key set.
  issuers = await Promise.all(
    ports.map((port) => startIssuerProcess({ port, databaseFile: "unused", env: { ISSUER_DATABASE_URL: databaseUrl, ISSUER_URL: issuerUrl } })),
  );
  const admin = await openIssuerAdmin({ databaseUrl });
  try {
    client = await admin.clients.create({ name: "Scale-out", scope: "parts:read" });
  } finally {
    await admin.close();
  }
  server = await startServer({ issuer: issuerUrl, env: { DATABASE_URL: databaseUrl } });
}, 120_000);
afterAll(async () => {
  await disposeServer(server);
  await Promise.all(issuers.map((issuer) => issuer.stop()));
  await postgres?.stop();
});

async function jwksAt(port: number): Promise<{ keys: { kid: string }[] }> {
  return (await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: { kid: string }[] };
}

/** The `kid` in a token's header. */
const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as { kid: string }).kid;

/** client_credentials at one issuer process's own port. */
async function tokenFrom(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", scope: "parts:read" }),
  });
  const body = (await response.json()) as { access_token?: string };
  expect(response.status).toBe(200);
  return body.access_token!;
}

describe("two issuer processes on one PostgreSQL database", () => {
  it("publish the same JWKS: the signing key and the next key", async () => {
    const sets = await Promise.all(ports.map(jwksAt));
    expect(sets[0]!.keys).toHaveLength(2);
    expect(sets[1]).toEqual(sets[0]);
  });

  it("issue tokens the API server accepts, from either process", async () => {
    for (const port of ports) {
      const answer = await clientFor(server.url, await tokenFrom(port)).query("parts.list", {});
      expect(answer.status).toBe(200);
    }
  });

  it("both honour a key rotation made on the shared database, and the API server accepts the new key's tokens at once", async () => {
    const admin = await openIssuerAdmin({ databaseUrl });
    let rotated;
    try {
      rotated = await admin.keys.rotate();
    } finally {
      await admin.close();
    }
    for (const port of ports) {
      expect(await eventually(async () => kidOf(await tokenFrom(port)) === rotated.kid, 5000)).toBe(true);
      expect((await jwksAt(port)).keys.map((key) => key.kid)).toEqual(expect.arrayContaining([rotated.kid, rotated.next]));
      // The new signing key was published as the next key before: the server already holds it.
      const answer = await clientFor(server.url, await tokenFrom(port)).query("parts.list", {});
      expect(answer.status).toBe(200);
    }
  });
});
