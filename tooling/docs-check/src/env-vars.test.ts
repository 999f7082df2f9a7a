import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envExampleEntries, missingFrom, schemaEntries, tableVariables, variablesReadIn } from "./env-vars.ts";
import { repoRoot } from "./markdown.ts";

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
const configurationDoc = () => read("docs/configuration.md");

/** Apps whose environment is a zod schema in src/config.ts, and their section heading in docs/configuration.md. */
const schemaApps = [
  { app: "apps/server", section: "(`apps/server`)" },
  { app: "apps/issuer", section: "(`apps/issuer`)" },
  { app: "apps/launcher", section: "(`apps/launcher`" },
] as const;

describe.each(schemaApps)("$app: schema, .env.example and docs/configuration.md agree", ({ app, section }) => {
  const schema = () => schemaEntries(read(`${app}/src/config.ts`));
  const example = () => envExampleEntries(read(`${app}/.env.example`));
  const names = (entries: readonly { name: string }[]) => entries.map((entry) => entry.name);

  it("the schema is found in src/config.ts (the text parse still matches its shape)", () => {
    expect(schema().length).toBeGreaterThanOrEqual(3);
  });

  it("every schema variable is in .env.example, and .env.example names no other", () => {
    expect({ undocumented: missingFrom(names(example()), names(schema())), unknown: missingFrom(names(schema()), names(example())) }).toEqual({
      undocumented: [],
      unknown: [],
    });
  });

  it("required variables are set in .env.example; variables with a default are commented out", () => {
    const required = new Set(schema().filter((entry) => entry.required).map((entry) => entry.name));
    const wrong = example()
      .filter((entry) => entry.commented === required.has(entry.name))
      .map((entry) => `${entry.name} (line ${entry.line}) should be ${required.has(entry.name) ? "set" : "commented out"}`);
    expect(wrong).toEqual([]);
  });

  it("every schema variable is in docs/configuration.md's table, and the table names no other", () => {
    const documented = tableVariables(configurationDoc(), section);
    expect({ undocumented: missingFrom(documented, names(schema())), unknown: missingFrom(names(schema()), documented) }).toEqual({
      undocumented: [],
      unknown: [],
    });
  });
});

/** Programs that read process.env directly, without a schema (the CLI has no .env.example: it is not an app). */
const directReaders = [{ name: "the parts CLI", source: "packages/client/src/cli", section: "`parts` CLI" }] as const;

describe.each(directReaders)("$name: the variables it reads are the ones documented", ({ source, section }) => {
  const read_ = () => variablesReadIn(join(repoRoot, source));

  it("reads at least one variable (the source scan still works)", () => {
    expect(read_().length).toBeGreaterThan(0);
  });

  it("docs/configuration.md's table lists exactly the variables it reads", () => {
    const documented = tableVariables(configurationDoc(), section);
    expect({ undocumented: missingFrom(documented, read_()), unknown: missingFrom(read_(), documented) }).toEqual({ undocumented: [], unknown: [] });
  });
});

describe("the text parsers", () => {
  it("take schema keys and whether each is required from a config source", () => {
    const source = [
      "export const Config = z.object({",
      "  PORT: z.coerce.number().default(3000),",
      "  /** comment: NOT_A_KEY: here */",
      "  ISSUER: IssuerUrl,",
      "  LIST: z",
      "    .string()",
      "    .superRefine((value, ctx) => {",
      "      if (!value) {",
      "        ctx.addIssue({ code: \"custom\", message: \"NESTED: not a key\" });",
      "      }",
      "    })",
      "    .optional(),",
      "  TAIL: text(),",
      "});",
    ].join("\n");
    expect(schemaEntries(source)).toEqual([
      { name: "ISSUER", required: true },
      { name: "LIST", required: false },
      { name: "PORT", required: false },
      { name: "TAIL", required: true },
    ]);
  });

  it("read keys of several objects at different indentations, a repeated key once", () => {
    const source = [
      "const shared = {",
      "  DATABASE_FILE: text().default(\"x\"),",
      "  DATABASE_URL: postgresUrl().optional(),",
      "};",
      "export const Config = z",
      "  .object({",
      "    ...shared,",
      "    ISSUER: IssuerUrl,",
      "    LOG_LEVEL: oneOf(levels).default(\"info\"),",
      "  });",
      "export const Other = z.object({ ...shared,",
      "  LOG_LEVEL: oneOf(levels).default(\"info\"),",
      "});",
    ].join("\n");
    expect(schemaEntries(source)).toEqual([
      { name: "DATABASE_FILE", required: false },
      { name: "DATABASE_URL", required: false },
      { name: "ISSUER", required: true },
      { name: "LOG_LEVEL", required: false },
    ]);
  });

  it("read active and commented-out assignments from .env.example", () => {
    expect(envExampleEntries("# the API\nISSUER=https://id.example.com\n# PORT=3000\n#   HOST=127.0.0.1\n").map((e) => [e.name, e.commented])).toEqual([
      ["ISSUER", false],
      ["PORT", true],
      ["HOST", true],
    ]);
  });

  it("read a section's table variables, ignoring prose and other sections", () => {
    const doc = "## Server (`apps/server`)\n`NOT_ME` in prose\n| variable | default |\n| --- | --- |\n| `PORT`, `HOST` | `3000` |\n## Issuer\n| `ISSUER_PORT` | |\n";
    expect(tableVariables(doc, "(`apps/server`)")).toEqual(["HOST", "PORT"]);
    expect(() => tableVariables(doc, "nowhere")).toThrow(/no "## …nowhere…" section/);
  });
});
