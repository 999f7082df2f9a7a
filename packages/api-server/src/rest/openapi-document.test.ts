import { lintDocument, validateDocument } from "@parts/openapi-check";
import { CreatePartInput, ListPartsOutput, Part, procedureScope, UpdatePartInput } from "@parts/router";
import { describe, expect, it } from "vitest";
import { examplePage, examplePart, exampleNewPart, examplePatch, exampleProblems } from "./examples.ts";
import { createOpenApiDocument } from "./openapi-document.ts";
import { Problem, problemTypes, problemTypeUri, type ProblemName } from "./problem.ts";
import { restRoutes } from "./routes.ts";

const tokenUrl = "https://issuer.test/token";
const document = createOpenApiDocument().withTokenUrl(tokenUrl);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const paths = document.paths as Json;

describe("the OpenAPI document", () => {
  it("validates against the OpenAPI 3.1 specification (@readme/openapi-parser)", async () => {
    expect(await validateDocument(document)).toEqual([]);
  });

  it("lints clean under Redocly's recommended rules, warnings included", async () => {
    expect(await lintDocument(document)).toEqual([]);
  });

  it("has an operation per route, with the scope its procedure checks", () => {
    for (const route of restRoutes) {
      const operation = paths[route.path][route.method.toLowerCase()];
      expect(operation.operationId).toBe(route.operationId);
      expect(operation.security).toEqual([{ oauth2: [procedureScope(route.procedure)] }]);
    }
    expect(paths["/api/parts"].post.security).toEqual([{ oauth2: ["parts:write"] }]);
    expect(paths["/api/parts/{id}"].get.security).toEqual([{ oauth2: ["parts:read"] }]);
  });

  it("names the issuer's token URL in the client-credentials flow, with every scope", () => {
    const flow = (document.components as Json).securitySchemes.oauth2.flows.clientCredentials;
    expect(flow.tokenUrl).toBe(tokenUrl);
    expect(Object.keys(flow.scopes).sort()).toEqual(["parts:read", "parts:write"]);
  });

  it("lists every status each route can answer", () => {
    const statuses = (path: string, method: string) => Object.keys(paths[path][method].responses).map(Number);
    expect(statuses("/api/parts", "get")).toEqual([200, 400, 401, 403, 429, 500, 503]);
    expect(statuses("/api/parts", "post")).toEqual([201, 400, 401, 403, 409, 413, 415, 429, 500, 503]);
    expect(statuses("/api/parts/{id}", "get")).toEqual([200, 400, 401, 403, 404, 429, 500, 503]);
    expect(statuses("/api/parts/{id}", "patch")).toEqual([200, 400, 401, 403, 404, 409, 412, 413, 415, 428, 429, 500, 503]);
    expect(statuses("/api/parts/{id}", "delete")).toEqual([204, 400, 401, 403, 404, 412, 428, 429, 500, 503]);
  });

  it("takes Part and PartPage from the router's schemas, with integer ids and strict objects", () => {
    const schemas = (document.components as Json).schemas;
    expect(Object.keys(schemas).sort()).toEqual(["NewPart", "Part", "PartPage", "PartPatch", "Problem"]);
    expect(schemas.Part.properties.id).toMatchObject({ type: "integer", exclusiveMinimum: 0 });
    expect(schemas.Part.additionalProperties).toBe(false);
    expect(schemas.PartPage.properties.items.items).toEqual({ $ref: "#/components/schemas/Part" });
    expect(schemas.NewPart.required).toEqual(["partNumber", "modelNumber", "name"]);
    expect(schemas.PartPatch.properties.id).toBeUndefined();
    expect(paths["/api/parts"].get.parameters.find((p: Json) => p.name === "limit").schema).toEqual({ default: 20, type: "integer", minimum: 1, maximum: 100 });
  });

  it("shows the audit trail: createdBy/updatedBy on Part (nullable, read-only for callers) and as list filters", () => {
    const schemas = (document.components as Json).schemas;
    for (const field of ["createdBy", "updatedBy"]) {
      expect(schemas.Part.required).toContain(field);
      expect(schemas.Part.properties[field]).toEqual({ type: ["string", "null"] });
      expect(schemas.NewPart.properties[field]).toBeUndefined();
      expect(schemas.PartPatch.properties[field]).toBeUndefined();
      const parameter = paths["/api/parts"].get.parameters.find((p: Json) => p.name === field);
      expect(parameter).toMatchObject({ in: "query", required: false, schema: { type: "string", minLength: 1, maxLength: 255 } });
    }
  });

  it("shows examples the schemas accept", () => {
    expect(Part.parse(examplePart)).toEqual(examplePart);
    expect(ListPartsOutput.parse(examplePage)).toEqual(examplePage);
    expect(CreatePartInput.safeParse(exampleNewPart).success).toBe(true);
    expect(UpdatePartInput.safeParse({ ...examplePatch, id: 1 }).success).toBe(true);
    for (const [name, example] of Object.entries(exampleProblems)) {
      expect(Problem.parse(example)).toEqual(example);
      expect(example.type).toBe(problemTypeUri(name as ProblemName));
      expect(example.status).toBe(problemTypes[name as ProblemName].status);
    }
  });
});
