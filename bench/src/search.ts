/**
 * Search micro-benchmark, run by the harness in a process pinned to one core:
 *   search '<{rows, iterations, dir}>'
 * Builds a catalogue of `rows` parts (reproducible: fixed PRNG seed) with `openDatabase` (migrations, FTS
 * triggers), then times `parts.list` searches through the repository (FTS5 trigram index) against the
 * query the repository ran before the index (`like '%…%' escape '\'` over the four columns), alternating the
 * two per iteration so background load hits both alike. Prints a JSON `SearchBenchResult` on stdout.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { createPartsRepository, openDatabase, partNumberKey, type ListPartsQuery, type Part } from "@parts/db";

export interface SearchScenarioResult {
  name: string;
  q: string;
  modelNumber?: string;
  /** Rows matching q (and the model filter) in the whole catalogue; the page holds at most 20 of them. */
  matches: number;
  pageSize: number;
  /** Median wall time of one query, ms. */
  oldMs: number;
  newMs: number;
  /** oldMs / newMs: above 1 the index is faster. */
  speedup: number;
  /** Old and new returned the same page. */
  samePage: boolean;
}

export interface SearchBenchResult {
  rows: number;
  iterations: number;
  /** Seconds to insert the catalogue (one transaction; the FTS triggers index each row as it goes). */
  seedSeconds: number;
  /** Size of the database file with its index, and of the FTS5 index's own tables, MB. */
  databaseMb: number;
  indexMb: number | null;
  scenarios: SearchScenarioResult[];
}

const pageSize = 20;

/** mulberry32: a small, fast PRNG, so every run builds the same catalogue. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const families = ["HX", "SK", "WS", "NT", "BR", "GS", "OR", "PN", "CL", "SP"];
const kinds = ["Hex bolt", "Socket screw", "Washer", "Lock nut", "Bearing", "Gasket", "O-ring", "Pin", "Clamp", "Spring"];
const materials = ["stainless steel A2", "stainless steel A4", "zinc-plated steel", "brass", "aluminium", "nylon PA6", "EPDM", "bronze", "titanium grade 5"];
const sizes = ["M3", "M4", "M5", "M6", "M8", "M10", "M12", "M16", "Ø 12 mm", "Ø 25 mm"];
const phrases = [
  "for general assembly and maintenance",
  "suitable for outdoor use",
  "resistant to oil, grease and most solvents",
  "operating temperature -40 °C to +120 °C",
  "supplied in packs of 100",
  "compatible with the previous model series",
  "tightening torque according to the assembly manual",
  "replacement part for pumps and valves",
  "dimensions according to DIN/ISO",
  "tested to 10,000 load cycles",
  "packed individually with a batch label",
  "for vibration-prone joints",
];

const partNumber = (n: number) => `${families[n % families.length]}-${String(n).padStart(6, "0")}`;

/** Row n of the catalogue: a pure function of n (its own PRNG seed), so a query can be picked from any row. */
function catalogueRow(n: number): [partNumber: string, modelNumber: string, name: string, description: string | null] {
  const random = prng(Math.imul(n, 0x9e3779b1));
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const kind = pick(kinds);
  const material = pick(materials);
  const size = pick(sizes);
  const modelNumber = `MX-${100 + Math.floor(random() * 400)}`;
  // ~200 characters of sentence-like text; about nine rows in ten mention RoHS (the non-selective search).
  let description = `${kind} made of ${material}, size ${size}`;
  while (description.length < 190) description += `; ${pick(phrases)}`;
  description = `${description.slice(0, 200).replace(/[ ;,]+\S*$/, "")}.${random() < 0.9 ? " RoHS compliant." : ""}`;
  return [partNumber(n), modelNumber, `${kind} ${size}, ${material}`, random() < 0.05 ? null : description];
}

/** Exactly the SQL drizzle built for the repository's search before the index (first page, with and without the model filter). */
const oldSql = {
  all: `select "id", "part_number", "model_number", "name", "description", "created_at", "updated_at" from "parts" where ("parts"."part_number" like ? escape '\\' or "parts"."model_number" like ? escape '\\' or "parts"."name" like ? escape '\\' or "parts"."description" like ? escape '\\') order by "parts"."id" asc limit ?`,
  model: `select "id", "part_number", "model_number", "name", "description", "created_at", "updated_at" from "parts" where ("parts"."model_number" = ? and ("parts"."part_number" like ? escape '\\' or "parts"."model_number" like ? escape '\\' or "parts"."name" like ? escape '\\' or "parts"."description" like ? escape '\\')) order by "parts"."id" asc limit ?`,
};
/** The old repository's escaping: `%`, `_` and `\` in user text match themselves. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function searchBench(args: { rows: number; iterations: number; dir: string }): Promise<SearchBenchResult> {
  const file = join(args.dir, "search.db");
  const handle = openDatabase(file);
  const { sqlite } = handle;
  const insert = sqlite.prepare(
    "insert into parts (part_number, model_number, name, description, part_number_key, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)",
  );
  const seedStart = performance.now();
  sqlite.transaction(() => {
    for (let n = 1; n <= args.rows; n++) {
      const [partNumber, modelNumber, name, description] = catalogueRow(n);
      const at = new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
      insert.run(partNumber, modelNumber, name, description, partNumberKey(partNumber), at, at);
    }
  })();
  const seedSeconds = (performance.now() - seedStart) / 1000;
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  sqlite.exec("analyze");

  const repository = createPartsRepository(handle.db);
  const oldAll = sqlite.prepare<[string, string, string, string, number], Part>(oldSql.all);
  const oldModel = sqlite.prepare<[string, string, string, string, string, number], Part>(oldSql.model);
  const oldPage = (q: string, modelNumber?: string): Part[] => {
    const p = containsPattern(q);
    // limit + 1, as the repository fetches one row more to know whether a next page exists.
    const rows = modelNumber === undefined ? oldAll.all(p, p, p, p, pageSize + 1) : oldModel.all(modelNumber, p, p, p, p, pageSize + 1);
    return rows.slice(0, pageSize);
  };
  const newPage = async (q: string, modelNumber?: string): Promise<Part[]> => {
    const query: ListPartsQuery = { limit: pageSize, q, modelNumber };
    return (await repository.list(query)).items;
  };
  const countMatches = (q: string, modelNumber?: string): number => {
    const p = containsPattern(q);
    const where = `(part_number like ? escape '\\' or model_number like ? escape '\\' or name like ? escape '\\' or description like ? escape '\\')`;
    return modelNumber === undefined
      ? (sqlite.prepare(`select count(*) from parts where ${where}`).pluck().get(p, p, p, p) as number)
      : (sqlite.prepare(`select count(*) from parts where model_number = ? and ${where}`).pluck().get(modelNumber, p, p, p, p) as number);
  };

  // Queries are picked from the catalogue itself, so they mean the same at any size.
  const probe = Math.min(12_345, Math.floor(args.rows / 2));
  const probeNumber = String(probe).padStart(6, "0");
  const [, probeModel, , probeDescription] = catalogueRow(probe);
  const hundred = (probeDescription ?? "").slice(40, 140);
  if ([...hundred].length !== 100) throw new Error(`probe description too short for a 100-character q: ${probeDescription}`);
  const scenarios: Array<{ name: string; q: string; modelNumber?: string }> = [
    { name: "selective (a handful of rows)", q: probeNumber.slice(0, 5) },
    { name: "non-selective (most rows; first page)", q: "rohs" },
    { name: "no match", q: "zz-no-such-part" },
    { name: "100-character q", q: hundred },
    { name: "selective q + modelNumber filter", q: probeNumber.slice(0, 4), modelNumber: probeModel },
  ];
  const results: SearchScenarioResult[] = [];
  for (const scenario of scenarios) {
    const { q, modelNumber } = scenario;
    const oldIds = oldPage(q, modelNumber).map((p) => p.id);
    const newIds = (await newPage(q, modelNumber)).map((p) => p.id);
    // One untimed run each (above), then alternate: old, new, old, new, …
    const oldTimes: number[] = [];
    const newTimes: number[] = [];
    for (let i = 0; i < args.iterations; i++) {
      let start = performance.now();
      oldPage(q, modelNumber);
      oldTimes.push(performance.now() - start);
      start = performance.now();
      await newPage(q, modelNumber);
      newTimes.push(performance.now() - start);
    }
    const oldMs = median(oldTimes);
    const newMs = median(newTimes);
    results.push({
      ...scenario,
      matches: countMatches(q, modelNumber),
      pageSize,
      oldMs,
      newMs,
      speedup: oldMs / newMs,
      samePage: oldIds.join() === newIds.join(),
    });
  }

  let indexMb: number | null = null;
  try {
    const bytes = sqlite.prepare("select sum(pgsize) from dbstat where name like 'parts_fts%'").pluck().get() as number;
    indexMb = bytes / 1e6;
  } catch {
    // dbstat is an optional SQLite extension
  }
  handle.close();
  return { rows: args.rows, iterations: args.iterations, seedSeconds, databaseMb: statSync(file).size / 1e6, indexMb, scenarios: results };
}

const [json] = process.argv.slice(2);
if (json !== undefined) {
  process.stdout.write(JSON.stringify(await searchBench(JSON.parse(json) as { rows: number; iterations: number; dir: string })));
  process.exit(0);
}
