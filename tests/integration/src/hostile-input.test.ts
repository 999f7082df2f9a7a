/**
 * Every procedure fuzzed over HTTP with fast-check: whatever the input, the answer is a success or a clean
 * 4xx with field details, never a 500 and never a crash; strings that are accepted come back verbatim.
 */
import { startFakeIssuer, type FakeIssuer } from "@parts/fake-issuer";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthz, type Json } from "./harness/http.ts";
import { disposeServer, startServer, type ServerProcess } from "./harness/server-process.ts";

let issuer: FakeIssuer;
let server: ServerProcess;
let token: string;
const numRuns = Number(process.env.FUZZ_RUNS ?? 120);

beforeAll(async () => {
  issuer = await startFakeIssuer();
  server = await startServer({ issuer: issuer.issuer, audience: issuer.audience });
  token = await issuer.sign({}, { expiresIn: 3600 });
});
afterAll(async () => {
  await disposeServer(server);
  await issuer.close();
});

/** Sends `json` (already serialized, so keys like `__proto__` stay own keys) to a procedure. */
async function send(kind: "query" | "mutation", path: string, json: string): Promise<{ status: number; body: Json }> {
  const url = `${server.url}/trpc/${path}` + (kind === "query" ? `?input=${encodeURIComponent(json)}` : "");
  const response = await fetch(url, {
    method: kind === "query" ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: kind === "mutation" ? json : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  // Node answers 431 with an empty body when a query's URL exceeds its 16 KiB header limit.
  return { status: response.status, body: (text === "" ? {} : JSON.parse(text)) as Json };
}

/** Serializes entries as a JSON object without going through a JS object (keeps `__proto__` as data). */
const objectJson = (entries: [string, unknown][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`;

const payloads = [
  "'; DROP TABLE parts; --",
  "1 OR 1=1",
  "Robert'); DELETE FROM parts WHERE ('1'='1",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "%_\\%",
  "${7*7}{{7*7}}",
  "a\u0000b",
  "\u0000",
  "\u202Eevil\u202C",
  "مرحبا بالعالم",
  "😀👍🏽👨‍👩‍👧",
  "\uFEFFbom",
  "e\u0301",
  "lone \uD800 high",
  "\uDC00",
  "__proto__",
  "constructor",
  "\r\n\t",
  "1",
  "-1",
  "NaN",
  "1e309",
];

const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(...payloads),
  fc.string({ minLength: 62, maxLength: 66 }),
  fc.string({ minLength: 198, maxLength: 202 }),
  fc.constantFrom("x".repeat(10_000), "y".repeat(10_001), " ".repeat(300), "", "   "),
);

const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), Number.MAX_VALUE, 1e308),
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  text,
  number,
  fc.constantFrom(null, true, false, "NaN", "Infinity", "1", "0x10"),
  fc.array(fc.oneof(text, number), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(text, number), { maxKeys: 3 }),
);

const hostileKey = fc.constantFrom("__proto__", "constructor", "prototype", "id", "createdAt", "updatedAt", "toString", "hasOwnProperty");

/** An object built from the schema's own field names (valid, wrong-typed or missing) plus extras. */
function inputFor(fields: Record<string, fc.Arbitrary<unknown>>) {
  const fieldEntries = Object.entries(fields).map(([name, valid]) =>
    fc.option(fc.tuple(fc.constant(name), fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyValue })), { nil: undefined, freq: 4 }),
  );
  const extras = fc.array(fc.tuple(fc.oneof(hostileKey, fc.string({ maxLength: 10 })), anyValue), { maxLength: 2 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.tuple(...fieldEntries), fc.option(extras, { freq: 3, nil: [] })).map(([entries, extra]) =>
      objectJson([...entries.filter((e) => e !== undefined), ...extra] as [string, unknown][])) },
    { weight: 1, arbitrary: anyValue.map((v) => JSON.stringify(v) ?? "null") },
  );
}

const id = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 50 }) }, { weight: 2, arbitrary: number }, { weight: 1, arbitrary: text });

let unique = 0;
const partFields = {
  partNumber: text.map((t) => `${t}#${++unique}`),
  modelNumber: text,
  name: text,
  description: fc.oneof(text, fc.constant(null)),
};

const procedures = [
  { path: "parts.create", kind: "mutation" as const, input: inputFor(partFields) },
  { path: "parts.update", kind: "mutation" as const, input: inputFor({ id, ...partFields }) },
  { path: "parts.byId", kind: "query" as const, input: inputFor({ id }) },
  { path: "parts.delete", kind: "mutation" as const, input: inputFor({ id }) },
  {
    path: "parts.list",
    kind: "query" as const,
    input: inputFor({ limit: fc.oneof(fc.integer({ min: 1, max: 100 }), number), cursor: fc.oneof(text, fc.constantFrom("aWQ6MQ", "aWQ6LTE", "aWQ6MWUzMDk")), q: text, modelNumber: text }),
  },
  { path: "health", kind: "query" as const, input: inputFor({}) },
];

function expectCleanAnswer(status: number, body: Json) {
  expect([200, 400, 404, 409, 431]).toContain(status);
  if (status === 200 || status === 431) return;
  expect(body.error.message).not.toMatch(/Internal server error|at .*\.ts:/);
  if (status === 400) {
    expect(body.error.data.code).toBe("BAD_REQUEST");
    const zod = body.error.data.zodError;
    expect(zod).not.toBeNull();
    expect(zod.formErrors.length + Object.keys(zod.fieldErrors).length).toBeGreaterThan(0);
  }
}

describe("every procedure under fuzzed input", () => {
  for (const procedure of procedures) {
    it(`${procedure.path}: answers 200 or a clean 4xx with field details, never 500`, async () => {
      await fc.assert(
        fc.asyncProperty(procedure.input, async (json) => {
          const { status, body } = await send(procedure.kind, procedure.path, json);
          expectCleanAnswer(status, body);
        }),
        { numRuns },
      );
      expect(server.alive()).toBe(true);
    });
  }
});

describe("accepted strings round-trip as the text rules define", () => {
  const field = fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), fc.constantFrom(...payloads));
  // Identifiers must be printable ASCII after NFKC: mostly such strings, some compatibility forms NFKC turns into
  // them (superscripts, fullwidth, ligatures, no-break space), and the general fields' strings, mostly refused.
  const identifier = fc.oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^[\x20-\x7e]{1,30}$/) },
    { weight: 1, arbitrary: fc.constantFrom("\u2070", "ＲＴ-ＰＮ-１", "PN\u00a01", "\ufb01le", "\u2474") },
    { weight: 1, arbitrary: field },
  );

  it("stores SQL, script, unicode and prototype-key payloads and returns them as stored (identifiers NFKC, all trimmed)", async () => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(identifier, identifier, field, fc.option(field, { nil: null }), async (partNumber, modelNumber, name, description) => {
        const input = { partNumber: `${partNumber}~${++unique}`, modelNumber, name, description };
        const created = await send("mutation", "parts.create", JSON.stringify(input));
        expectCleanAnswer(created.status, created.body);
        if (created.status !== 200) return;
        stored++;
        const part = created.body.result.data;
        const trimmedOrNull = (value: string | null) => (value === null || value.trim() === "" ? null : value.trim());
        expect(Object.keys(part).sort()).toEqual(["createdAt", "createdBy", "description", "id", "modelNumber", "name", "partNumber", "updatedAt", "updatedBy", "version"]);
        expect(part).toMatchObject({
          partNumber: input.partNumber.normalize("NFKC").trim(),
          modelNumber: modelNumber.normalize("NFKC").trim(),
          name: name.trim(),
          description: trimmedOrNull(description),
        });
        const read = await send("query", "parts.byId", JSON.stringify({ id: part.id }));
        expect(read.body.result.data).toEqual(part);
      }),
      { numRuns },
    );
    // The property is only worth something if a fair share of the inputs was accepted.
    expect(stored).toBeGreaterThan(numRuns / 10);
  });

  it("a __proto__ key is reported as an unknown field, not merged into the input", async () => {
    const json = objectJson([["partNumber", "PROTO-1"], ["modelNumber", "M"], ["name", "n"], ["__proto__", { isAdmin: true }]]);
    const { status, body } = await send("mutation", "parts.create", json);
    expect(status).toBe(400);
    expect(JSON.stringify(body.error.data.zodError)).toContain("__proto__");
  });
});

describe("after the fuzzing", () => {
  it("the process is alive and /healthz answers", async () => {
    expect(server.alive()).toBe(true);
    expect(await healthz(server.url)).toBe(200);
    expect(server.logs.filter((line) => line.level >= 50)).toEqual([]);
  });
});
