/**
 * Issue 14 point 4, the audit trail, across real processes on both engines: two clients registered at the real
 * issuer write through @parts/client to the real server; each part records who created it and who last
 * updated it (from the verified token), `list` finds it by either, and the server logs every write.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPartsClient, type PartsClient } from "@parts/client";
import { startTestPostgres, type TestPostgres } from "@parts/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, openIssuerAdmin, startIssuerProcess, type IssuerProcess } from "./harness/issuer-process.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

interface Writer {
  clientId: string;
  clientSecret: string;
  parts: PartsClient;
}

let dir: string;
let issuer: IssuerProcess;
let postgres: TestPostgres | undefined;
const writers: Writer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parts-it-audit-"));
  const databaseFile = join(dir, "issuer.db");
  issuer = await startIssuerProcess({ port: await freePort(), databaseFile });
  const admin = await openIssuerAdmin({ databaseFile, accessTokenTtl: 600 });
  for (const name of ["inventory sync", "catalogue editor"]) {
    const { clientId, clientSecret } = await admin.clients.create({ name, scope: "parts:read parts:write" });
    writers.push({ clientId, clientSecret: clientSecret!, parts: undefined as never });
  }
  admin.close();
}, 60_000);

afterAll(async () => {
  await issuer?.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const engines = [
  { name: "sqlite", env: async (): Promise<Record<string, string>> => ({}) },
  {
    name: "postgres",
    env: async (): Promise<Record<string, string>> => {
      postgres ??= await startTestPostgres({ fsyncOff: true });
      return { DATABASE_URL: await postgres.createDatabase() };
    },
  },
];

describe.each(engines)("the audit trail on $name", (engine) => {
  let server: ServerProcess;
  let a: Writer;
  let b: Writer;

  beforeAll(async () => {
    server = await startServer({ issuer: issuer.url, env: await engine.env() });
    [a, b] = writers.map((writer) => ({
      ...writer,
      parts: createPartsClient({ url: `${server.url}/trpc`, issuer: issuer.url, clientId: writer.clientId, clientSecret: writer.clientSecret, scope: "parts:read parts:write" }),
    })) as [Writer, Writer];
  }, 60_000);
  afterAll(() => disposeServer(server));

  it("records the creating and the updating client, and list finds the part by either", async () => {
    const created = await a.parts.parts.create.mutate({ partNumber: "AUDIT-1", modelNumber: "AUD-M", name: "Gasket" });
    expect(created).toMatchObject({ createdBy: a.clientId, updatedBy: a.clientId, version: 1 });
    await a.parts.parts.create.mutate({ partNumber: "AUDIT-2", modelNumber: "AUD-M", name: "Other gasket" });
    const updated = await b.parts.parts.update.mutate({ id: created.id, name: "Gasket, rubber", expectedVersion: 1 });
    expect(updated).toMatchObject({ createdBy: a.clientId, updatedBy: b.clientId, version: 2 });

    const byCreator = await b.parts.parts.list.query({ createdBy: a.clientId });
    expect(byCreator.items.map((part) => part.partNumber)).toEqual(["AUDIT-1", "AUDIT-2"]);
    expect(byCreator.items[0]).toEqual(updated);
    const byUpdater = await a.parts.parts.list.query({ updatedBy: b.clientId, modelNumber: "AUD-M", q: "rubber" });
    expect(byUpdater.items).toEqual([updated]);
    expect((await a.parts.parts.list.query({ createdBy: b.clientId })).items).toEqual([]);
  });

  it("logs every write at info with client id, procedure, part id and version, and no secret", async () => {
    const part = await b.parts.parts.create.mutate({ partNumber: "AUDIT-3", modelNumber: "AUD-M", name: "Washer" });
    await a.parts.parts.delete.mutate({ id: part.id });
    // The server's log is buffered (written within a quarter of a second).
    const written = () => server.logs.filter((line) => line.msg === "part written");
    expect(await eventually(async () => written().length >= 5, 5000)).toBe(true);
    expect(written().map(({ level, clientId, procedure, partId, version }) => ({ level, clientId, procedure, partId, version }))).toEqual([
      { level: 30, clientId: a.clientId, procedure: "parts.create", partId: 1, version: 1 },
      { level: 30, clientId: a.clientId, procedure: "parts.create", partId: 2, version: 1 },
      { level: 30, clientId: b.clientId, procedure: "parts.update", partId: 1, version: 2 },
      { level: 30, clientId: b.clientId, procedure: "parts.create", partId: part.id, version: 1 },
      { level: 30, clientId: a.clientId, procedure: "parts.delete", partId: part.id, version: 1 },
    ]);
    const everything = JSON.stringify(server.logs);
    for (const { clientSecret } of writers) expect(everything).not.toContain(clientSecret);
    expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT, whole or in part
  });
});
