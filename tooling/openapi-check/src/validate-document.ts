import { compileErrors, validate } from "@readme/openapi-parser";
import { createConfig, lintFromString } from "@redocly/openapi-core";

/**
 * Validation against the OpenAPI 3.1 specification's schema and rules by `@readme/openapi-parser` (which also
 * resolves every `$ref`): the messages, empty when the document is valid. The document is copied first: the
 * parser dereferences in place.
 */
export async function validateDocument(document: object): Promise<string[]> {
  const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
  return result.valid ? [] : [compileErrors(result)];
}

/**
 * Redocly's `recommended` lint rules (the engine of `redocly lint`): every problem, warnings included, as
 * `severity rule: message at pointer`. Clean is an empty list.
 */
export async function lintDocument(document: object): Promise<string[]> {
  const config = await createConfig({ extends: ["recommended"] });
  const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: "openapi.json", config });
  return problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(", ")}`);
}
