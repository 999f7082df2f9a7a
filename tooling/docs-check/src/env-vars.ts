import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { proseLines } from "./markdown.ts";

const variableName = /^[A-Z][A-Z0-9_]*$/;

export interface SchemaEntry {
  name: string;
  /** No `.default(…)` and no `.optional()`: the app refuses to start without it. */
  required: boolean;
}

/**
 * The variables a configuration schema declares: the `NAME:` keys of the zod objects in an app's
 * `src/config.ts`, read as text (apps are entry points; nothing may import them, not even this check). A key is
 * an upper-case name starting a line; its definition is its line and the more deeply indented lines after it. A
 * name declared twice (a shape reused by a second schema) is one variable, required only if every declaration is.
 */
export function schemaEntries(configSource: string): SchemaEntry[] {
  const required = new Map<string, boolean>();
  let current: { name: string; indent: number; text: string } | undefined;
  const finish = () => {
    if (current) {
      const isRequired = !/\.default\(|\.optional\(\)/.test(current.text);
      required.set(current.name, (required.get(current.name) ?? true) && isRequired);
    }
    current = undefined;
  };
  for (const line of configSource.split("\n")) {
    if (line.trim() === "") continue;
    const indent = line.length - line.trimStart().length;
    const key = /^\s+([A-Z][A-Z0-9_]*)\s*:(.*)$/.exec(line);
    if (key) {
      finish();
      current = { name: key[1]!, indent, text: key[2]! };
    } else if (current && indent <= current.indent) {
      finish();
    } else if (current) {
      current.text += `\n${line}`;
    }
  }
  finish();
  return [...required].map(([name, isRequired]) => ({ name, required: isRequired })).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Names read as `process.env.NAME`, `env.NAME` or `env["NAME"]`, or declared as upper-case keys at the start of
 * a line (`NAME: …`, `NAME?: …`: a configuration interface or rule table), in the TypeScript sources (tests
 * excluded) of a folder.
 */
export function variablesReadIn(folder: string): string[] {
  const names = new Set<string>();
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".test.ts")) continue;
    const source = readFileSync(join(folder, entry.name), "utf8");
    for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(match[1]!);
    for (const match of source.matchAll(/\benv\[["']([A-Z][A-Z0-9_]*)["']\]/g)) names.add(match[1]!);
    for (const match of source.matchAll(/^\s+([A-Z][A-Z0-9_]*)\??\s*:/gm)) names.add(match[1]!);
  }
  return [...names].sort();
}

export interface EnvExampleEntry {
  name: string;
  /** Commented out (`# NAME=default`): the variable has a default or is optional. */
  commented: boolean;
  value: string;
  line: number;
}

/** Assignments in a `.env.example`, active (`NAME=value`) or commented out (`# NAME=value`). */
export function envExampleEntries(text: string): EnvExampleEntry[] {
  const entries: EnvExampleEntry[] = [];
  text.split("\n").forEach((line, index) => {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries.push({ name: match[2]!, commented: match[1] !== undefined, value: match[3]!, line: index + 1 });
  });
  return entries;
}

/**
 * The variables in the tables of one `##` section of a markdown document: backticked upper-case names in
 * the first cell of each table row. The section is the first `##` heading that contains `headingPart`.
 */
export function tableVariables(markdown: string, headingPart: string): string[] {
  const lines = proseLines(markdown);
  const start = lines.findIndex((line) => /^##\s/.test(line) && line.includes(headingPart));
  if (start === -1) throw new Error(`no "## …${headingPart}…" section`);
  const names = new Set<string>();
  for (const line of lines.slice(start + 1)) {
    if (/^##\s/.test(line)) break;
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (firstCell === undefined) continue;
    for (const match of firstCell.matchAll(/`([^`]+)`/g)) {
      if (variableName.test(match[1]!)) names.add(match[1]!);
    }
  }
  return [...names].sort();
}

/** `expected` minus `actual`, sorted. */
export function missingFrom(actual: readonly string[], expected: readonly string[]): string[] {
  const present = new Set(actual);
  return expected.filter((name) => !present.has(name)).sort();
}
