/**
 * Two real issuer processes on one PostgreSQL database (ISSUER_DATABASE_URL), answering as one issuer (the same
 * ISSUER_URL, as behind a load balancer), and a real API server on the same database: both issuers publish the
 * same JWKS, and a token from either is accepted by the API server, which fetched the JWKS from one of them.
 */
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFor } from "./harness/http.ts";
import { freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let postgres: TestPostgres;
let issuers: IssuerProcess[] = [];
let ports: number[];
let server: ServerProcess;
let client: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  postgres = await startTestPostgres({ fsyncOff: true });
  const databaseUrl = await postgres.createDatabase();
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
    const sets = await Promise.all(ports.map(async (port) => (await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: { kid: string }[] }));
    expect(sets[0]!.keys).toHaveLength(2);
    expect(sets[1]).toEqual(sets[0]);
  });

  it("issue tokens the API server accepts, from either process", async () => {
    for (const port of ports) {
      const answer = await clientFor(server.url, await tokenFrom(port)).query("parts.list", {});
      expect(answer.status).toBe(200);
    }
  });
});
