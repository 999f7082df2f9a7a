import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** A response as a test saw it. */
export interface ObservedResponse {
  method: string;
  /** Path with or without the query string: `/api/parts/5?x=1`. */
  url: string;
  status: number;
  /** The `content-type` header, if any. */
  contentType: string | null;
  /** The raw body text ("" for none). */
  body: string;
  headers?: Headers;
}

type Json = Record<string, unknown>;

const escapePointer = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");
const templateRegex = (template: string) => new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^/}]+\}/g, "[^/]+")}$`);

/**
 * Checks live responses against an OpenAPI 3.1 document: the status is documented for the operation, the
 * content type is one the response lists (none when it lists none), required headers are there, every documented
 * header sent matches its schema (an ETag's pattern, an integer Retry-After), and the body
 * validates against the listed schema (ajv, JSON Schema 2020-12, formats checked). A request whose path or method
 * the document does not describe must be answered with the document's `Problem` schema. Returns the
 * violations, empty when the response matches.
 */
export function createResponseChecker(document: Json, options: { problemSchema?: string } = {}) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, "openapi.json");
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    let validator = validators.get(pointer);
    if (!validator) validators.set(pointer, (validator = ajv.compile({ $ref: `openapi.json#${pointer}` })));
    return validator;
  };
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  const templates = Object.keys(paths).map((template) => ({ template, regex: templateRegex(template) }));
  const problemPointer = `/components/schemas/${options.problemSchema ?? "Problem"}`;
  const resolve = (value: Json): { value: Json; pointer: string | undefined } => {
    const ref = value.$ref;
    if (typeof ref !== "string") return { value, pointer: undefined };
    const pointer = ref.slice(1);
    const target = pointer.split("/").slice(1).reduce<unknown>((node, key) => (node as Json)[key.replace(/~1/g, "/").replace(/~0/g, "~")], document);
    return { value: target as Json, pointer };
  };

  /** A header's text against its schema: an integer schema takes decimal digits, anything else the text itself. */
  function headerValid(schema: Json, value: string): boolean {
    const typed = schema.type === "integer" && /^[0-9]{1,15}$/.test(value) ? Number(value) : value;
    return ajv.validate(schema, typed);
  }

  function bodyErrors(pointer: string, body: string): string[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [`body is not JSON: ${body.slice(0, 100)}`];
    }
    const validate = validatorAt(pointer);
    return validate(parsed) ? [] : (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message} (${e.schemaPath})`);
  }

  function undocumented(response: ObservedResponse, what: string): string[] {
    const errors = response.status >= 400 ? [] : [`${what}: answered ${response.status}, expected an error`];
    if (response.contentType?.split(";")[0]?.trim() !== "application/problem+json") errors.push(`${what}: content type ${response.contentType}, expected application/problem+json`);
    return [...errors, ...bodyErrors(problemPointer, response.body)];
  }

  return function check(response: ObservedResponse): string[] {
    const path = response.url.split("?")[0]!;
    const method = response.method.toLowerCase();
    const found = templates.find(({ regex }) => regex.test(path));
    if (!found) return undocumented(response, `${path} is not in the document`);
    const operation = paths[found.template]![method] as Json | undefined;
    if (!operation) {
      const errors = undocumented(response, `${response.method} ${found.template} is not in the document`);
      return response.status === 405 ? errors : [`${response.method} ${found.template}: answered ${response.status}, expected 405`, ...errors];
    }
    const where = `${response.method} ${found.template} ${response.status}`;
    const responses = operation.responses as Record<string, Json>;
    const documented = responses[String(response.status)] ?? responses.default;
    if (!documented) return [`${where}: status not documented (documented: ${Object.keys(responses).join(", ")})`];
    const { value: definition, pointer: responsePointer } = resolve(documented);
    const base = responsePointer ?? `/paths/${escapePointer(found.template)}/${method}/responses/${response.status}`;
    const errors: string[] = [];
    for (const [name, header] of Object.entries((definition.headers ?? {}) as Record<string, Json>)) {
      const value = response.headers?.get(name);
      if (value === null || value === undefined) {
        if (header.required === true) errors.push(`${where}: required header ${name} missing`);
      } else if (header.schema !== undefined && !headerValid(header.schema as Json, value)) {
        errors.push(`${where}: header ${name} ${JSON.stringify(value.slice(0, 100))} does not match its schema`);
      }
    }
    const content = definition.content as Record<string, Json> | undefined;
    const isHead = method === "head";
    if (!content || isHead) {
      if (response.body !== "") errors.push(`${where}: documented without a body, got ${response.body.slice(0, 100)}`);
      return errors;
    }
    const type = response.contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
    if (!content[type]) return [...errors, `${where}: content type ${response.contentType} not documented (documented: ${Object.keys(content).join(", ")})`];
    return [...errors, ...bodyErrors(`${base}/content/${escapePointer(type)}/schema`, response.body).map((e) => `${where}: ${e}`)];
  };
}

export type ResponseChecker = ReturnType<typeof createResponseChecker>;
