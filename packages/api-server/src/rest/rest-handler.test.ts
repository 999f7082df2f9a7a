import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { problemTypeUri, type ProblemName } from "./problem.ts";
import { startRestTestServer, type Json, type RawResponse, type RestTestServer } from "./test-server.ts";

let server: RestTestServer;
beforeAll(async () => {
  server = await startRestTestServer();
});
afterAll(() => server.close());

let n = 0;
const newPart = (fields: Json = {}) => ({ partNumber: `REST-${++n}`, modelNumber: "M-1", name: `Part ${n}`, ...fields });
const send = (method: string, path: string, options?: Parameters<RestTestServer["send"]>[2]) => server.send(method, path, options);
const create = async (fields: Json = {}) => (await send("POST", "/api/parts", { body: newPart(fields) })).json!;

function expectProblem(response: RawResponse, status: number, name: ProblemName) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.json).toMatchObject({ type: problemTypeUri(name), status });
  expect(response.text).not.toMatch(/stack|\/work\/|node_modules|SQLITE|at \w+ \(/);
}

/** The same call over tRPC, for comparing what both kinds of caller get. */
async function trpcQuery(path: string, input: unknown, headers: Record<string, string>) {
  const response = await fetch(`${server.base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  return { status: response.status, challenge: response.headers.get("www-authenticate"), body: (await response.json()) as Json };
}

describe("REST routes over the parts procedures", () => {
  it("creates with 201 and Location, reads, merge-patches, deletes with 204, then answers 404", async () => {
    const created = await send("POST", "/api/parts", { body: newPart({ description: "steel" }) });
    expect(created.status).toBe(201);
    const id = created.json!.id as number;
    expect(created.headers.get("location")).toBe(`/api/parts/${id}`);
    expect((await send("GET", created.headers.get("location")!)).json).toEqual(created.json);

    const patched = await send("PATCH", `/api/parts/${id}`, { body: { name: "Renamed", description: null } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id, name: "Renamed", description: null, partNumber: created.json!.partNumber });

    const deleted = await send("DELETE", `/api/parts/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    const gone = await send("GET", `/api/parts/${id}`);
    expectProblem(gone, 404, "not-found");
    expect(gone.json).toMatchObject({ code: "NOT_FOUND", detail: `no part with id ${id}`, title: "No such part" });
  });

  it("takes a merge patch as application/merge-patch+json and JSON with a charset", async () => {
    const { id } = await create();
    const merge = await send("PATCH", `/api/parts/${id}`, { raw: '{"name":"Merged"}', headers: { "content-type": "application/merge-patch+json" } });
    expect(merge.json).toMatchObject({ name: "Merged" });
    const charset = await send("PATCH", `/api/parts/${id}`, { raw: '{"name":"Charset"}', headers: { "content-type": "Application/JSON; charset=utf-8" } });
    expect(charset.json).toMatchObject({ name: "Charset" });
  });

  it("pages with nextCursor and a Link rel=next header that keeps the query, until the last page", async () => {
    for (let i = 0; i < 5; i++) await create({ modelNumber: "PAGED" });
    const seen: number[] = [];
    let path: string | undefined = "/api/parts?modelNumber=PAGED&limit=2";
    let pages = 0;
    while (path) {
      const page = await send("GET", path);
      expect(page.status).toBe(200);
      seen.push(...(page.json!.items as Json[]).map((part) => part.id as number));
      const link = page.headers.get("link");
      expect(link === null).toBe(page.json!.nextCursor === null);
      path = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
      if (path) expect(new URL(path, server.base).searchParams.get("cursor")).toBe(page.json!.nextCursor);
      if (path) expect(path).toContain("modelNumber=PAGED&limit=2");
      pages++;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(pages).toBe(3);
  });

  it("converts path and query strings itself: the shared schemas still refuse string ids over tRPC", async () => {
    const { id } = await create();
    expect((await send("GET", `/api/parts/${id}`)).status).toBe(200);
    expect((await send("GET", "/api/parts?limit=5")).status).toBe(200);
    const stringId = await trpcQuery("parts.byId", { id: String(id) }, { authorization: `Bearer ${server.writeToken}` });
    expect(stringId.status).toBe(400);
    expect(stringId.body.error.data.zodError.fieldErrors.id).toBeDefined();
    const stringLimit = await trpcQuery("parts.list", { limit: "5" }, { authorization: `Bearer ${server.writeToken}` });
    expect(stringLimit.status).toBe(400);
  });

  it("answers validation failures as problems with the procedure's field errors", async () => {
    const response = await send("POST", "/api/parts", { body: { partNumber: "", modelNumber: 5, name: "x".repeat(201) } });
    expectProblem(response, 400, "validation-failed");
    expect(Object.keys(response.json!.errors).sort()).toEqual(["modelNumber", "name", "partNumber"]);
    expect(response.json!.code).toBe("BAD_REQUEST");
    const unknownField = await send("POST", "/api/parts", { body: newPart({ colour: "red" }) });
    expectProblem(unknownField, 400, "validation-failed");
    expect(unknownField.json!.detail).toContain('Unrecognized key: "colour"');
  });

  it("answers a taken part number with 409 conflict", async () => {
    const { partNumber } = await create();
    const again = await send("POST", "/api/parts", { body: newPart({ partNumber: partNumber.toLowerCase() }) });
    expectProblem(again, 409, "conflict");
    expect(again.json!.detail).toBe("a part with this partNumber already exists");
  });
});

describe("authentication and scopes, as on tRPC", () => {
  it("no token → 401 missing-token with the same challenge as tRPC", async () => {
    const response = await send("GET", "/api/parts", { token: null });
    expectProblem(response, 401, "missing-token");
    const trpc = await trpcQuery("parts.list", {}, {});
    expect(response.headers.get("www-authenticate")).toBe(trpc.challenge);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="parts"');
  });

  it("a read-only token on a write route → 403 insufficient-scope naming parts:write, as tRPC says it", async () => {
    const response = await send("POST", "/api/parts", { token: server.readToken, body: newPart() });
    expectProblem(response, 403, "insufficient-scope");
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="parts", error="insufficient_scope", error_description="this call requires the parts:write scope", scope="parts:write"',
    );
    expect((await send("GET", "/api/parts", { token: server.readToken })).status).toBe(200);
  });

  it("an expired token → 401 invalid-token; two Authorization headers → 400 invalid-request", async () => {
    const expired = await server.issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    const response = await send("GET", "/api/parts/1", { token: expired });
    expectProblem(response, 401, "invalid-token");
    const trpc = await trpcQuery("parts.byId", { id: 1 }, { authorization: `Bearer ${expired}` });
    expect(response.headers.get("www-authenticate")).toBe(trpc.challenge);
    expect(response.json!.detail).toBe("token expired");
    const twice = await send("GET", "/api/parts", { token: null, headers: { authorization: [`Bearer ${server.writeToken}`, "Bearer other"] } });
    expectProblem(twice, 400, "invalid-request");
  });
});

describe("request syntax", () => {
  it.each([
    ["1.5"],
    ["0x10"],
    ["-1"],
    ["1e3"],
    ["abc"],
    ["%E0%A4%A"],
    ["%D9%A1"], // ARABIC-INDIC DIGIT ONE: a digit, not an ASCII one
    ["%2e%2e"],
    ["1%2F2"],
    ["99999999999999999999"],
  ])("an id of %s → 400 validation-failed naming id", async (id) => {
    const response = await send("GET", `/api/parts/${id}`);
    expectProblem(response, 400, "validation-failed");
    expect(Object.keys(response.json!.errors)).toEqual(["id"]);
  });

  it("an id the schema refuses (0, past the safe range) → 400 from the procedure's own schema", async () => {
    expectProblem(await send("GET", "/api/parts/0"), 400, "validation-failed");
    expectProblem(await send("DELETE", "/api/parts/9007199254740993"), 400, "validation-failed");
  });

  it("a percent-encoded decimal id is the same id", async () => {
    const { id } = await create();
    const encoded = [...String(id)].map((digit) => `%3${digit}`).join("");
    expect((await send("GET", `/api/parts/${encoded}`)).json!.id).toBe(id);
  });

  it.each([
    ["/api/parts/../parts/1"],
    ["/api/parts/1/.."],
    ["/api/parts//1"],
    ["/api/parts/"],
    ["/api/parts/1/extra"],
    ["/api/../trpc/parts.list"],
    ["/api"],
    ["/api/part"],
  ])("%s → 404 no-such-route", async (path) => {
    const response = await send("GET", path);
    expectProblem(response, 404, "no-such-route");
  });

  it.each([
    ["limit=1e3", "limit"],
    ["limit=0x10", "limit"],
    ["limit=", "limit"],
    ["limit=1000", "limit"],
    ["limit=1&limit=2", "limit"],
    ["cursor=-1", "cursor"],
    ["q=ab", "q"],
    ["q=abc%00def", "q"],
    ["q=%F0%9F%98", "q"],
    ["foo=1", "foo"],
    ["__proto__=1", "__proto__"],
  ])("GET /api/parts?%s → 400 validation-failed naming %s", async (query, field) => {
    const response = await send("GET", `/api/parts?${query}`);
    expectProblem(response, 400, "validation-failed");
    expect(Object.keys(response.json!.errors)).toContain(field);
  });

  it("takes odd Unicode in q as text: a search, not an error", async () => {
    await create({ name: "Écrou ｆｕｌｌ" });
    const response = await send("GET", `/api/parts?q=${encodeURIComponent("écrou")}`);
    expect(response.json!.items.map((p: Json) => p.name)).toContain("Écrou ｆｕｌｌ");
  });

  it("refuses query parameters on routes that take none", async () => {
    const { id } = await create();
    expectProblem(await send("GET", `/api/parts/${id}?expand=all`), 400, "validation-failed");
    expectProblem(await send("DELETE", `/api/parts/${id}?force=1`), 400, "validation-failed");
    expect((await send("GET", `/api/parts/${id}`)).status).toBe(200);
  });

  it("415 for a body that is not JSON, 400 malformed-json for broken JSON or bytes that are not UTF-8", async () => {
    expectProblem(await send("POST", "/api/parts", { raw: "partNumber=1", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported-media-type");
    expectProblem(await send("POST", "/api/parts", { raw: JSON.stringify(newPart()) }), 415, "unsupported-media-type");
    expectProblem(await send("PATCH", "/api/parts/1", { raw: "{}", headers: { "content-type": "text/plain" } }), 415, "unsupported-media-type");
    expectProblem(await send("POST", "/api/parts", { raw: '{"partNumber":', headers: { "content-type": "application/json" } }), 400, "malformed-json");
    expectProblem(await send("POST", "/api/parts", { raw: Buffer.from([0x7b, 0xff, 0x7d]), headers: { "content-type": "application/json" } }), 400, "malformed-json");
    expectProblem(await send("POST", "/api/parts", { raw: "", headers: { "content-type": "application/json" } }), 400, "malformed-json");
  });

  it("a body that is not an object, or a patch that names id → 400 validation-failed", async () => {
    const { id } = await create();
    expectProblem(await send("POST", "/api/parts", { body: [newPart()] }), 400, "validation-failed");
    expectProblem(await send("PATCH", `/api/parts/${id}`, { body: "name" }), 400, "validation-failed");
    const withId = await send("PATCH", `/api/parts/${id}`, { body: { id: id + 1, name: "Moved" } });
    expectProblem(withId, 400, "validation-failed");
    expect(withId.json!.errors).toEqual({ id: ["is taken from the path; leave it out of the body"] });
    const prototype = await send("PATCH", `/api/parts/${id}`, { raw: '{"__proto__":{"name":"x"}}', headers: { "content-type": "application/json" } });
    expectProblem(prototype, 400, "validation-failed");
  });

  it("a body over 1 MiB → 413, declared or chunked, and nothing is stored", async () => {
    const big = JSON.stringify(newPart({ description: "x".repeat(1024 * 1024) }));
    expectProblem(await send("POST", "/api/parts", { raw: big, headers: { "content-type": "application/json" } }), 413, "payload-too-large");
    const chunked = await send("POST", "/api/parts", { raw: big, headers: { "content-type": "application/json", "transfer-encoding": "chunked", "content-length": [] } });
    expectProblem(chunked, 413, "payload-too-large");
    const found = await send("GET", `/api/parts?q=${encodeURIComponent(`REST-${n}`)}`);
    expect(found.json!.items).toEqual([]);
  });

  it("405 with Allow for a method a route lacks; OPTIONS lists the methods; HEAD answers GET's headers", async () => {
    const { id } = await create();
    const put = await send("PUT", `/api/parts/${id}`, { body: newPart() });
    expectProblem(put, 405, "method-not-allowed");
    expect(put.headers.get("allow")).toBe("GET, PATCH, DELETE, HEAD, OPTIONS");
    expect((await send("DELETE", "/api/parts")).headers.get("allow")).toBe("GET, POST, HEAD, OPTIONS");
    const options = await send("OPTIONS", `/api/parts/${id}`);
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, PATCH, DELETE, HEAD, OPTIONS");
    expectProblem(await send("OPTIONS", "/api/parts?x=1"), 400, "validation-failed");
    const head = await send("HEAD", `/api/parts/${id}`);
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(head.headers.get("content-type")).toBe("application/json");
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
  });
});

describe("/openapi.json", () => {
  it("is served with the issuer's token URL, and refuses other methods", async () => {
    const response = await server.sendUnchecked("GET", "/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.json!.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toBe(`${server.issuer.issuer}/token`);
    expectProblem(await send("POST", "/openapi.json", { body: {} }), 405, "method-not-allowed");
  });
});

describe("failures behind the procedures", () => {
  let broken: RestTestServer;
  let failure: () => Promise<never>;
  beforeAll(async () => {
    broken = await startRestTestServer({ parts: (stored) => ({ ...stored, byId: () => failure() }) });
  });
  afterAll(() => broken.close());
  beforeEach(() => {
    failure = () => Promise.reject(new Error("SQLITE_CORRUPT: database disk image is malformed at /var/lib/parts.db"));
  });

  it("an unexpected error → 500 internal-error that says nothing of it, logged on the server", async () => {
    const response = await broken.send("GET", "/api/parts/1");
    expectProblem(response, 500, "internal-error");
    expect(response.json!.detail).toBe("Internal server error");
    expect(response.text).not.toContain("malformed");
    expect(broken.logLines.some((line) => line.includes("procedure failed") && line.includes("SQLITE_CORRUPT"))).toBe(true);
  });

  it("an unavailable database → 503 database-unavailable with Retry-After, as tRPC answers", async () => {
    const { DatabaseError } = await import("@parts/db");
    failure = () => Promise.reject(new DatabaseError({ code: "ERR_DATABASE_UNAVAILABLE", reason: "ECONNREFUSED" }));
    const response = await broken.send("GET", "/api/parts/1");
    expectProblem(response, 503, "database-unavailable");
    expect(response.headers.get("retry-after")).toBe("1");
  });
});

describe("an issuer whose keys cannot be fetched", () => {
  it("→ 503 issuer-unavailable for REST calls and for /openapi.json", async () => {
    const lonely = await startRestTestServer();
    try {
      lonely.issuer.setAvailable(false);
      const response = await lonely.sendUnchecked("GET", "/api/parts");
      expectProblem(response, 503, "issuer-unavailable");
      expect(response.headers.get("www-authenticate")).toBeNull();
      expectProblem(await lonely.sendUnchecked("GET", "/openapi.json"), 503, "issuer-unavailable");
      lonely.issuer.setAvailable(true);
      // Once the issuer is back, the same answers check out against the document.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await lonely.send("GET", "/api/parts")).status).toBe(200);
    } finally {
      await lonely.close();
    }
  });
});

describe("an overloaded server", () => {
  it("refuses REST calls with a 503 unavailable problem and Retry-After, and tRPC calls as before", async () => {
    const shedder = { overloaded: false, retryAfterSeconds: 2 };
    const busy = await startRestTestServer({ loadShedder: shedder });
    try {
      expect((await busy.send("GET", "/api/parts")).status).toBe(200);
      shedder.overloaded = true;
      const response = await busy.send("GET", "/api/parts");
      expectProblem(response, 503, "unavailable");
      expect(response.headers.get("retry-after")).toBe("2");
      const trpc = await fetch(`${busy.base}/trpc/parts.list`);
      expect(trpc.status).toBe(503);
      expect(await trpc.json()).toEqual({ error: "server overloaded; retry later" });
    } finally {
      await busy.close();
    }
  });
});
