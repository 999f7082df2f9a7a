/** Concurrent writers and graceful shutdown under load, against the real server process. */
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, trpcError } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let issuer: FakeIssuer;
let server: ServerProcess | undefined;

beforeAll(async () => {
  issuer = await startFakeIssuer();
});
afterEach(async () => {
  await disposeServer(server);
  server = undefined;
});
afterAll(() => issuer.close());

const create = (base: string, token: string, partNumber: string) =>
  call(base, "mutation", "parts.create", { partNumber, modelNumber: "M", name: partNumber }, token);

describe("concurrency", () => {
  it("200 concurrent creates from several clients give 200 rows with unique ids", async () => {
    server = await startServer({ issuer: issuer.issuer });
    const tokens = await Promise.all(Array.from({ length: 8 }, (_, c) => issuer.sign({ client_id: `client-${c}`, sub: `client-${c}` })));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => create(server!.url, tokens[i % tokens.length]!, `CONC-${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
    const ids = results.map((r) => r.body.result.data.id as number);
    expect(new Set(ids).size).toBe(200);
    const sqlite = new Database(server.databaseFile, { readonly: true });
    expect(sqlite.prepare("select count(*) from parts where part_number like 'CONC-%'").pluck().get()).toBe(200);
    sqlite.close();
  });

  it("concurrent creates of the same partNumber: exactly one succeeds, the rest are CONFLICT", async () => {
    server = await startServer({ issuer: issuer.issuer });
    const token = await issuer.sign();
    const results = await Promise.all(Array.from({ length: 50 }, () => create(server!.url, token, "SAME-1")));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const others = results.filter((r) => r.status !== 200);
    expect(others).toHaveLength(49);
    for (const other of others) expect([other.status, trpcError(other).code]).toEqual([409, "CONFLICT"]);
  });
});

describe("graceful shutdown", () => {
  it("SIGTERM under load: in-flight requests complete (or get 503), the process exits 0, no acknowledged write is lost", async () => {
    server = await startServer({ issuer: issuer.issuer, env: { SHUTDOWN_GRACE_MS: "5000" } });
    const token = await issuer.sign();
    const acknowledged: string[] = [];
    const statuses: number[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop && i < 5000; i++) {
        const n = `TERM-${w}-${i}`;
        const result = await create(server!.url, token, n).catch(() => undefined);
        if (result === undefined) return; // listener closed: connection refused
        statuses.push(result.status);
        if (result.status === 200) acknowledged.push(n);
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sent = server.child.kill("SIGTERM");
    expect(sent).toBe(true);
    const code = await server.exited;
    stop = true;
    await Promise.all(writers);

    expect(code).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(server.logs.some((line) => line.msg === "shutting down")).toBe(true);
    const sqlite = new Database(server.databaseFile, { readonly: true });
    expect(sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    const stored = new Set(sqlite.prepare("select part_number from parts").pluck().all() as string[]);
    sqlite.close();
    expect(acknowledged.filter((n) => !stored.has(n))).toEqual([]);
  });
});
