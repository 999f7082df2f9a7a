/**
 * `pnpm --filter @parts/bench profile <kind> [seconds] [--fresh] [NAME=value …]`: runs the real server under `node --cpu-prof` on core 0,
 * drives one scenario from core 1, and prints the top self-time functions and packages. Tokens come from
 * `startFakeIssuer` (RS256, same as the real issuer) so a profile needs no issuer database.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeIssuer } from "@parts/fake-issuer";
import { seedSqlite } from "./engine.ts";
import { runLoad } from "./load-generator.ts";
import { environmentOf, freePort, nodeOnCore, stop, waitForHttp } from "./processes.ts";
import type { RequestKind } from "./scenarios.ts";

const kind = (process.argv[2] ?? "byId") as RequestKind;
const seconds = Number(process.argv[3] ?? 5);
const fresh = process.argv.includes("--fresh");
// `NAME=value` arguments change the server's environment (e.g. `LOG_LEVEL=warn METRICS_PORT=9464`).
const envOverrides = environmentOf(process.argv.slice(2).filter((arg) => /^[A-Z_]+=/.test(arg)));
const work = mkdtempSync(join(tmpdir(), "parts-profile-"));
const db = join(work, "parts.db");
seedSqlite(db, 10_000);

const issuer = await startFakeIssuer({ alg: "RS256" });
const port = await freePort();
const server = nodeOnCore(0, ["--cpu-prof", `--cpu-prof-dir=${work}`, fileURLToPath(new URL("../../apps/server/dist/bin/main.js", import.meta.url))], {
  env: { NODE_ENV: "production", PORT: String(port), DATABASE_FILE: db, ISSUER: issuer.issuer, AUDIENCE: issuer.audience, LOG_LEVEL: "info", ...envOverrides },
  logFile: join(work, "server.log"),
});
const origin = `http://127.0.0.1:${port}`;
await waitForHttp(`${origin}/readyz`, server);
let extra: Record<string, string> = { token: await issuer.sign({}, { expiresIn: 3600 }) };
if (fresh) {
  const { writeFileSync } = await import("node:fs");
  const tokens = await Promise.all(Array.from({ length: 12_000 }, () => issuer.sign({}, { expiresIn: 3600 })));
  writeFileSync(join(work, "tokens.txt"), tokens.join("\n"));
  extra = { tokenPoolFile: join(work, "tokens.txt") };
}
const spec = { name: kind, kind, origin, connections: 50, duration: seconds, maxId: 10_000, uniquePrefix: `p${Date.now()}`, ...extra };
console.log(JSON.stringify(await runLoad(spec, { generatorCore: 1, serverPids: [server.pid!] })));
await stop(server);
await issuer.close();

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }
const file = readdirSync(work).find((f) => f.endsWith(".cpuprofile"))!;
const profile = JSON.parse(readFileSync(join(work, file), "utf8")) as { nodes: Node[]; samples: number[] };
const total = profile.samples.length;
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const node of profile.nodes) {
  const url = node.callFrame.url.replace(/^file:\/\//, "");
  const pkg = /node_modules\/\.pnpm\/([^/]+)/.exec(url)?.[1] ?? (url.includes("/work/main/") ? url.split("/work/main/")[1]!.split("/src/")[0]! : url.startsWith("node:") ? "node:" + url.slice(5).split("/")[0] : url || "(native)");
  const fn = `${node.callFrame.functionName || "(anon)"} ${url.split("/").slice(-2).join("/")}:${node.callFrame.lineNumber}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + node.hitCount);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + node.hitCount);
}
const top = (map: Map<string, number>, n: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join("\n");
console.log(`\n${join(work, file)}\n-- self time by package --\n${top(byPkg, 15)}\n-- self time by function --\n${top(byFn, 30)}`);
