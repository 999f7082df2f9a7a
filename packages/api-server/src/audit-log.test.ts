import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRestTestServer, type RestTestServer } from "./rest/test-server.ts";

// The audit log of a real server: writes over REST and tRPC (the same procedures) each leave one info line.

let server: RestTestServer;

beforeAll(async () => {
  server = await startRestTestServer();
});
afterAll(() => server?.close());

/** The server's "part written" lines, parsed. */
const auditLines = () =>
  server.logLines
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.includes('"part written"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("the audit log", () => {
  it("logs each write at info with client id, procedure, part id and version, and never the token", async () => {
    const created = await server.send("POST", "/api/parts", { body: { partNumber: "AUD-1", modelNumber: "M-1", name: "Bolt" } });
    expect(created.status).toBe(201);
    const id = created.json!.id as number;
    expect((await server.send("PATCH", `/api/parts/${id}`, { body: { name: "Renamed" } })).status).toBe(200);
    const trpcDelete = await fetch(`${server.base}/trpc/parts.delete`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.writeToken}`, "content-type": "application/json" },
      body: JSON.stringify({ id }),
    });
    expect(trpcDelete.status).toBe(200);
    // A refused write (the part is gone) and a read log no audit line.
    expect((await server.send("PATCH", `/api/parts/${id}`, { body: { name: "Again" } })).status).toBe(404);
    expect((await server.send("GET", "/api/parts")).status).toBe(200);

    const lines = auditLines();
    expect(lines.map(({ level, clientId, procedure, partId, version }) => ({ level, clientId, procedure, partId, version }))).toEqual([
      { level: 30, clientId: "writer", procedure: "parts.create", partId: id, version: 1 },
      { level: 30, clientId: "writer", procedure: "parts.update", partId: id, version: 2 },
      { level: 30, clientId: "writer", procedure: "parts.delete", partId: id, version: 2 },
    ]);
    for (const line of lines) expect(Object.keys(line).sort()).toEqual(["clientId", "level", "msg", "partId", "procedure", "service", "time", "version"]);
    const everything = server.logLines.join("");
    for (const secret of [server.writeToken, server.writeToken.split(".")[2]!]) expect(everything).not.toContain(secret);
  });

  it("the parts it returns carry the same client id as createdBy and updatedBy, filterable over REST", async () => {
    const created = await server.send("POST", "/api/parts", { body: { partNumber: "AUD-2", modelNumber: "M-1", name: "Nut" } });
    expect(created.json).toMatchObject({ createdBy: "writer", updatedBy: "writer" });
    const listed = await server.send("GET", "/api/parts?createdBy=writer&updatedBy=writer&modelNumber=M-1", { token: server.readToken });
    expect(listed.json!.items).toEqual([created.json]);
    expect((await server.send("GET", "/api/parts?createdBy=reader", { token: server.readToken })).json!.items).toEqual([]);
    const refused = await server.send("GET", `/api/parts?createdBy=&updatedBy=${"x".repeat(256)}`, { token: server.readToken });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.json!.errors as object).sort()).toEqual(["createdBy", "updatedBy"]);
  });
});
