import { describe, expect, it } from "vitest";
import { createResponseChecker } from "./response-checker.ts";
import { lintDocument, validateDocument } from "./validate-document.ts";

const problem = { $ref: "#/components/schemas/Problem" };
const document = {
  openapi: "3.1.1",
  info: { title: "t", version: "1" },
  paths: {
    "/things/{id}": {
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
      get: {
        responses: {
          200: { description: "ok", content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } } },
          404: { $ref: "#/components/responses/NotFound" },
        },
      },
      delete: {
        responses: {
          204: {
            description: "gone",
            headers: { "X-Gone": { required: true, schema: { type: "string", pattern: '^"[0-9]+"$' } }, "X-Wait": { schema: { type: "integer" } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: { type: "object", properties: { id: { type: "integer" }, at: { type: "string", format: "date-time" } }, required: ["id"], additionalProperties: false },
      Problem: { type: "object", properties: { status: { type: "integer" } }, required: ["status"] },
    },
    responses: { NotFound: { description: "missing", content: { "application/problem+json": { schema: problem } } } },
  },
};
const check = createResponseChecker(document);
const json = "application/json";

describe("response checker", () => {
  it("accepts responses the document describes", () => {
    expect(check({ method: "GET", url: "/things/1?x", status: 200, contentType: `${json}; charset=utf-8`, body: '{"id":1,"at":"2026-01-01T00:00:00Z"}' })).toEqual([]);
    expect(check({ method: "GET", url: "/things/1", status: 404, contentType: "application/problem+json", body: '{"status":404}' })).toEqual([]);
    expect(check({ method: "DELETE", url: "/things/1", status: 204, contentType: null, body: "", headers: new Headers({ "x-gone": '"1"', "x-wait": "2" }) })).toEqual([]);
    expect(check({ method: "PUT", url: "/things/1", status: 405, contentType: "application/problem+json", body: '{"status":405}' })).toEqual([]);
  });

  it("reports an undocumented status, content type, body, missing header, or an undescribed route not answered as a problem", () => {
    expect(check({ method: "GET", url: "/things/1", status: 500, contentType: json, body: "{}" })[0]).toMatch(/status not documented/);
    expect(check({ method: "GET", url: "/things/1", status: 200, contentType: "text/html", body: "{}" })[0]).toMatch(/content type text\/html not documented/);
    expect(check({ method: "GET", url: "/things/1", status: 200, contentType: json, body: '{"id":"1","at":"yesterday","extra":1}' })).toHaveLength(3);
    expect(check({ method: "DELETE", url: "/things/1", status: 204, contentType: null, body: "" })[0]).toMatch(/required header X-Gone missing/);
    const badHeaders = new Headers({ "x-gone": "1", "x-wait": "soon" });
    expect(check({ method: "DELETE", url: "/things/1", status: 204, contentType: null, body: "", headers: badHeaders })).toEqual([
      'DELETE /things/{id} 204: header X-Gone "1" does not match its schema',
      'DELETE /things/{id} 204: header X-Wait "soon" does not match its schema',
    ]);
    expect(check({ method: "GET", url: "/nothing", status: 404, contentType: json, body: "{}" }).length).toBe(2);
    expect(check({ method: "PUT", url: "/things/1", status: 200, contentType: "application/problem+json", body: '{"status":200}' })[0]).toMatch(/expected 405/);
  });
});

describe("document checks", () => {
  it("report an invalid document and lint problems", async () => {
    expect(await validateDocument(document)).toEqual([]);
    const [message] = await validateDocument({ ...document, paths: { "/x/{y}": { get: { responses: { 200: { description: "ok" } } } } } });
    expect(message).toMatch(/missing path parameter/);
    expect((await lintDocument(document)).join("\n")).toMatch(/operation-operationId/);
    // Loading Redocly's rules takes seconds on a busy 2-core machine: more than vitest's default 5 s.
  }, 60_000);
});
