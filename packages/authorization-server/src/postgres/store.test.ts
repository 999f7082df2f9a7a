import { randomUUID } from "node:crypto";
import { openPostgresDatabase } from "@parts/db";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIssuer, type RunningIssuer } from "../issuer.ts";
import { registrationToken, requestToken } from "../testing.ts";
import { openIssuerPostgres } from "./database.ts";
import { openPostgresStore } from "./store.ts";

let server: TestPostgres;
beforeAll(async () => {
  // Local even with PARTS_TEST_DATABASE_URL set: one test restarts the server.
  server = await startTestPostgres({ local: true });
}, 60_000);
afterAll(() => server?.stop());

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const silent = pino({ level: "silent" });

describe("the issuer's PostgreSQL store", () => {
  it("migrates exactly once when several processes start at once on an empty database", async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(url)));
    await Promise.all(stores.map((store) => store.close()));
    const rows = await query<{ n: string }>(url, "select count(*) as n from drizzle.issuer_migrations");
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it("shares a database with the parts API, each with its own migrations table", async () => {
    const url = await server.createDatabase();
    const parts = await openPostgresDatabase(url);
    const store = await openPostgresStore(url);
    await Promise.all([parts.close(), store.close()]);
    const tables = await query<{ table_name: string }>(url, "select table_name from information_schema.tables where table_schema in ('public', 'drizzle') order by table_name");
    expect(tables.map((row) => row.table_name)).toEqual(expect.arrayContaining(["issuer_migrations", "oidc_payloads", "parts", "parts_migrations", "signing_keys"]));
  });

  it("accepts one save of a replay-detection id and refuses the second, even when both raced past find", async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    const id = randomUUID();
    const results = await Promise.allSettled([a, b].map((store) => store.adapter("ReplayDetection").upsert(id, { jti: id, iss: "client" }, 60)));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((result) => result.status === "rejected");
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ error: "invalid_client" });
    await Promise.all([a.close(), b.close()]);
  });

  it("lets an expired replay-detection row be replaced", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    const id = randomUUID();
    await store.adapter("ReplayDetection").upsert(id, { jti: id }, 60);
    await query(url, "update oidc_payloads set expires_at = 0");
    await expect(store.adapter("ReplayDetection").upsert(id, { jti: id }, 60)).resolves.toBeUndefined();
    await store.close();
  });

  it("rotates keys from two processes at once one after the other: always one current and one next key", async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    await Promise.all([a.ensureSigningKeys(), b.ensureSigningKeys()]);
    const rotations = await Promise.all([...Array.from({ length: 3 }, () => a.rotateSigningKey(3600)), ...Array.from({ length: 3 }, () => b.rotateSigningKey(3600))]);
    // Every rotation promoted a different key: none saw the same "next" as another.
    expect(new Set(rotations.map((rotation) => rotation.kid)).size).toBe(6);
    const statuses = await query<{ status: string; n: string }>(url, "select status, count(*) as n from signing_keys group by status order by status");
    expect(statuses.map((row) => [row.status, Number(row.n)])).toEqual([["current", 1], ["next", 1], ["retired", 6]]);
    await Promise.all([a.close(), b.close()]);
  });

  it("fails a key write with a DatabaseError that quotes no key material (drizzle's message would)", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    await query(url, "create function refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by test'; end $$");
    await query(url, "create trigger refuse before insert on signing_keys for each row execute function refuse()");
    const error = await store.ensureSigningKeys().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ name: "DatabaseError", code: "ERR_DATABASE_QUERY", sqlState: "P0001" });
    expect(String((error as Error).message)).toBe("database query failed (SQLSTATE P0001)");
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain("kty");
    await store.close();
  });

  it("opens its pool with the given settings, under its own application name", async () => {
    const url = await server.createDatabase();
    const { pool, close } = await openIssuerPostgres(url, { max: 2, statementTimeoutMillis: 1234 });
    try {
      expect(pool.options.max).toBe(2);
      const { rows } = await pool.query<{ timeout: string; name: string }>(
        "select current_setting('statement_timeout') as timeout, current_setting('application_name') as name",
      );
      expect(rows[0]).toEqual({ timeout: "1234ms", name: "parts-issuer" });
    } finally {
      await close();
    }
  });

  it("retries a write that failed with a serialization failure, and reports one that keeps failing", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    // Fails inserts of Session rows with SQLSTATE 40001 (as CockroachDB does under contention) while the attempt
    // count, a sequence (which no rollback undoes), is at most `fail_up_to`.
    await query(url, "create sequence attempts");
    await query(url, "create table fail_up_to (n int not null)");
    await query(url, "insert into fail_up_to values (1)");
    await query(
      url,
      `create function fail_early() returns trigger language plpgsql as $$
       begin
         if new.model = 'Session' and nextval('attempts') <= (select n from fail_up_to) then
           raise exception 'serialize' using errcode = '40001';
         end if;
         return new;
       end $$`,
    );
    await query(url, "create trigger fail_early before insert on oidc_payloads for each row execute function fail_early()");
    await store.adapter("Session").upsert("s1", { accountId: "a" }, 60);
    expect(await store.adapter("Session").find("s1")).toMatchObject({ accountId: "a" });
    expect(await query(url, "select last_value::int as n from attempts")).toEqual([{ n: 2 }]);
    await query(url, "update fail_up_to set n = 100");
    await expect(store.adapter("Session").upsert("s2", { accountId: "a" }, 60)).rejects.toMatchObject({ name: "DatabaseError", sqlState: "40001" });
    // Four runs in all (the default), then the failure is reported.
    expect(await query(url, "select last_value::int as n from attempts")).toEqual([{ n: 6 }]);
    await store.close();
  });

  it("stores client secrets only as their hash", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    await store.adapter("Client").upsert("c1", { client_id: "c1", client_secret: "plain-secret-value" });
    const rows = await query<{ payload: string }>(url, "select payload from oidc_payloads where model = 'Client'");
    expect(rows[0]!.payload).not.toContain("plain-secret-value");
    await store.close();
  });

  it("tells when the current signing key started signing: none before the first key, the rotation's time after it", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    expect(await store.currentKeyActivatedAt()).toBeUndefined();
    await store.ensureSigningKeys();
    const { kid } = await store.rotateSigningKey(3600);
    await query(url, `update signing_keys set activated_at = 1000 where kid = '${kid}'`);
    expect(await store.currentKeyActivatedAt()).toBe(1000);
    await store.close();
  });

  it("leaves keys retired longer than a token TTL out of the key set, and the next rotation deletes them", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    const first = await store.ensureSigningKeys();
    await store.rotateSigningKey(60);
    // The first signing key retired long ago.
    await query(url, `update signing_keys set retired_at = 0 where kid = '${first.current}'`);
    expect((await store.loadKeys(60)).map((key) => key.kid)).not.toContain(first.current);
    expect(await query(url, `select kid from signing_keys where kid = '${first.current}'`)).toHaveLength(1);
    await store.rotateSigningKey(60);
    expect(await query(url, `select kid from signing_keys where kid = '${first.current}'`)).toHaveLength(0);
    await store.close();
  });

  it("refuses a second next or current key at the database, whatever the code does", async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    await store.ensureSigningKeys();
    await store.close();
    for (const status of ["next", "current"]) {
      await expect(query(url, `insert into signing_keys (kid, private_jwk, status, created_at) values ('${randomUUID()}', '{}', '${status}', 0)`)).rejects.toMatchObject({
        code: "23505",
      });
    }
  });
});

describe("two issuers on one PostgreSQL database", () => {
  // Both answer as one issuer (behind one load balancer), so an assertion's audience fits either.
  const issuerUrl = "http://127.0.0.1:4999";
  let issuers: RunningIssuer[];
  let clientId: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const databaseUrl = await server.createDatabase();
    issuers = await Promise.all([0, 1].map(() => startIssuer({ databaseUrl, port: 0, issuerUrl, registrationToken, logger: silent })));
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), alg: "ES256", use: "sig" };
    ({ clientId } = await issuers[0]!.clients.create({ name: "Signer", scope: "parts:read", authMethod: "private_key_jwt", jwks: { keys: [jwk] } }));
  }, 60_000);
  afterAll(() => Promise.all(issuers.map((issuer) => issuer.close())));

  /** Where each issuer listens (their issuer URL is the shared one). */
  const address = (issuer: RunningIssuer) => `http://127.0.0.1:${issuer.port}`;

  it("publish the same JWKS, current key first", async () => {
    const sets = await Promise.all(issuers.map(async (issuer) => (await (await fetch(`${address(issuer)}/jwks`)).json()) as { keys: { kid: string }[] }));
    expect(sets[0]!.keys).toHaveLength(2);
    expect(sets[1]!.keys.map((key) => key.kid)).toEqual(sets[0]!.keys.map((key) => key.kid));
  });

  it("accept each private_key_jwt assertion once between them: exactly one token per assertion", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (let round = 0; round < 10; round++) {
      const jwt = await new SignJWT({ iss: clientId, sub: clientId, aud: issuerUrl, jti: randomUUID(), iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: "ES256" })
        .sign(privateKey);
      const form = {
        grant_type: "client_credentials",
        client_id: clientId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: jwt,
      };
      const answers = await Promise.all(issuers.map((issuer) => requestToken(address(issuer), form)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
      expect(answers.find((answer) => answer.status === 401)?.body.error).toBe("invalid_client");
    }
  });
});

describe("an issuer on PostgreSQL while the database restarts", () => {
  it("answers token requests 503 with Retry-After while it is down, quickly, and 200 again once it is back", async () => {
    const databaseUrl = await server.createDatabase();
    const issuer = await startIssuer({ databaseUrl, port: 0, logger: silent });
    try {
      const { clientId, clientSecret } = await issuer.clients.create({ name: "Reader", scope: "parts:read" });
      const form = { grant_type: "client_credentials" };
      const authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;
      expect((await requestToken(issuer.url, form, authorization)).status).toBe(200);
      const restarted = server.restart({ downMs: 1500 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = performance.now();
      const down = await requestToken(issuer.url, form, authorization);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("1");
      expect(down.body.error).toBe("temporarily_unavailable");
      await restarted;
      expect((await requestToken(issuer.url, form, authorization)).status).toBe(200);
    } finally {
      await issuer.close();
    }
  }, 30_000);
});
