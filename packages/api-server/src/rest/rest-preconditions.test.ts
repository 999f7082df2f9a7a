import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemTypeUri, type ProblemName } from "./problem.ts";
import { startRestTestServer, type Json, type RawResponse, type RestTestServer } from "./test-server.ts";

// ETag / If-Match / REQUIRE_IF_MATCH over the REST routes (preconditions.ts); every answer is checked against the
// live /openapi.json by the test server.

let server: RestTestServer;
beforeAll(async () => {
  server = await startRestTestServer();
});
afterAll(() => server.close());

let n = 0;
const newPart = () => ({ partNumber: `ETAG-${++n}`, modelNumber: "M-1", name: `Part ${n}` });
const send = (method: string, path: string, options?: Parameters<RestTestServer["send"]>[2]) => server.send(method, path, options);
const create = async () => (await send("POST", "/api/parts", { body: newPart() })).json!;
const ifMatch = (value: string) => ({ "if-match": value });

function expectProblem(response: RawResponse, status: number, name: ProblemName) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.json).toMatchObject({ type: problemTypeUri(name), status });
}

describe("ETag", () => {
  it('is "<id>-<version>" on POST, GET, HEAD and PATCH, and a PATCH moves the version on', async () => {
    const created = await send("POST", "/api/parts", { body: newPart() });
    const id = created.json!.id as number;
    expect(created.json!.version).toBe(1);
    expect(created.headers.get("etag")).toBe(`"${id}-1"`);
    expect((await send("GET", `/api/parts/${id}`)).headers.get("etag")).toBe(`"${id}-1"`);
    expect((await send("HEAD", `/api/parts/${id}`)).headers.get("etag")).toBe(`"${id}-1"`);
    const patched = await send("PATCH", `/api/parts/${id}`, { body: { name: "Renamed" } });
    expect(patched.json).toMatchObject({ name: "Renamed", version: 2 });
    expect(patched.headers.get("etag")).toBe(`"${id}-2"`);
  });

  it("is not sent with a list page (it describes one part)", async () => {
    await create();
    expect((await send("GET", "/api/parts")).headers.get("etag")).toBeNull();
  });
});

describe("If-Match", () => {
  it("with the current ETag, PATCH and DELETE apply; with an older one, 412 and nothing changes", async () => {
    const { id } = await create();
    const first = await send("PATCH", `/api/parts/${id}`, { body: { name: "First" }, headers: ifMatch(`"${id}-1"`) });
    expect(first.status).toBe(200);
    const stale = await send("PATCH", `/api/parts/${id}`, { body: { name: "Stale" }, headers: ifMatch(`"${id}-1"`) });
    expectProblem(stale, 412, "precondition-failed");
    expect(stale.json).toMatchObject({ code: "PRECONDITION_FAILED", detail: "the part is at version 2, not 1; read it again and retry" });
    expectProblem(await send("DELETE", `/api/parts/${id}`, { headers: ifMatch(`"${id}-1"`) }), 412, "precondition-failed");
    expect((await send("GET", `/api/parts/${id}`)).json).toEqual(first.json);
    expect((await send("DELETE", `/api/parts/${id}`, { headers: ifMatch(first.headers.get("etag")!) })).status).toBe(204);
  });

  it("* changes the part at any version; a missing part is 404 with * or with a tag of its own", async () => {
    const { id } = await create();
    await send("PATCH", `/api/parts/${id}`, { body: { name: "Two" } });
    expect((await send("PATCH", `/api/parts/${id}`, { body: { name: "Three" }, headers: ifMatch("*") })).json).toMatchObject({ version: 3 });
    expect((await send("DELETE", `/api/parts/${id}`, { headers: ifMatch("*") })).status).toBe(204);
    expectProblem(await send("PATCH", `/api/parts/${id}`, { body: { name: "x" }, headers: ifMatch("*") }), 404, "not-found");
    expectProblem(await send("DELETE", `/api/parts/${id}`, { headers: ifMatch(`"${id}-3"`) }), 404, "not-found");
  });

  it("a value that cannot name one version of this part → 412 before anything is written", async () => {
    const { id } = await create();
    for (const value of [`W/"${id}-1"`, `"${id}-1", "${id}-2"`, `${id}-1`, `"${id + 1}-1"`, "", "garbage"]) {
      const response = await send("PATCH", `/api/parts/${id}`, { body: { name: "Never" }, headers: ifMatch(value) });
      expectProblem(response, 412, "precondition-failed");
    }
    expect((await send("GET", `/api/parts/${id}`)).json).toMatchObject({ version: 1, name: `Part ${n}` });
  });

  it("expectedVersion in a PATCH body → 400: the version comes from If-Match only", async () => {
    const { id } = await create();
    const response = await send("PATCH", `/api/parts/${id}`, { body: { name: "x", expectedVersion: 1 } });
    expectProblem(response, 400, "validation-failed");
    expect(response.json!.errors).toEqual({ expectedVersion: ["is taken from If-Match; leave it out of the body"] });
  });

  it("racing PATCHes with the same ETag: exactly one 200, every other one 412, and the winner's write is kept", async () => {
    const { id } = await create();
    const racers = 10;
    const responses = await Promise.all(
      Array.from({ length: racers }, (_, i) => send("PATCH", `/api/parts/${id}`, { body: { name: `Racer ${i}` }, headers: ifMatch(`"${id}-1"`) })),
    );
    const winners = responses.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of responses.filter((r) => r.status !== 200)) {
      expectProblem(loser, 412, "precondition-failed");
      expect(loser.json!.detail).toBe("the part is at version 2, not 1; read it again and retry");
    }
    expect((await send("GET", `/api/parts/${id}`)).json).toEqual(winners[0]!.json);
  });

  it("without If-Match the last write wins, as before", async () => {
    const { id } = await create();
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => send("PATCH", `/api/parts/${id}`, { body: { name: `Writer ${i}` } })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await send("GET", `/api/parts/${id}`)).json).toMatchObject({ version: 6 });
  });
});

describe("tRPC callers", () => {
  it("get CONFLICT (409) for a stale expectedVersion, on the lean path and through tRPC's adapter", async () => {
    const { id } = await create();
    await send("PATCH", `/api/parts/${id}`, { body: { name: "Moved on" } });
    const call = (headers: Record<string, string>) =>
      fetch(`${server.base}/trpc/parts.update${headers["trpc-accept"] ? "?batch=1" : ""}`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.writeToken}`, "content-type": "application/json", ...headers },
        body: JSON.stringify(headers["trpc-accept"] ? { 0: { id, name: "x", expectedVersion: 1 } } : { id, name: "x", expectedVersion: 1 }),
      });
    const lean = await call({});
    expect(lean.status).toBe(409);
    const body = (await lean.json()) as Json;
    expect(body.error).toMatchObject({ message: "the part is at version 2, not 1; read it again and retry", data: { code: "CONFLICT" } });
    // A streamed batch is answered by tRPC's own adapter, not the lean path.
    const adapter = await call({ "trpc-accept": "application/jsonl" });
    expect(await adapter.text()).toContain("the part is at version 2, not 1; read it again and retry");
  });
});

describe("a server with REQUIRE_IF_MATCH", () => {
  let strict: RestTestServer;
  beforeAll(async () => {
    strict = await startRestTestServer({ requireIfMatch: true });
  });
  afterAll(() => strict.close());

  it("answers PATCH and DELETE without If-Match 428 and changes nothing; * or an ETag is accepted; reads and creates need none", async () => {
    const created = await strict.send("POST", "/api/parts", { body: newPart() });
    expect(created.status).toBe(201);
    const path = `/api/parts/${created.json!.id}`;
    const missing = await strict.send("PATCH", path, { body: { name: "x" } });
    expectProblem(missing, 428, "precondition-required");
    expect(missing.json!.code).toBe("PRECONDITION_REQUIRED");
    expectProblem(await strict.send("DELETE", path), 428, "precondition-required");
    expect((await strict.send("GET", path)).json).toEqual(created.json);
    expect((await strict.send("PATCH", path, { body: { name: "y" }, headers: ifMatch(created.headers.get("etag")!) })).status).toBe(200);
    expect((await strict.send("DELETE", path, { headers: ifMatch("*") })).status).toBe(204);
  });
});
