/**
 * `pnpm --filter @parts/bench ab <rounds> <seconds> "<env of A>" "<env of B>" […]`: the production bundle started
 * once per environment (`NAME=value …`, on top of `LOG_LEVEL=warn` and the bench's database and issuer), all on
 * core 0, `parts.byId` with a cached token from wrk on core 1, one round of each in turn (a warm-up round first).
 * Prints each side's req/s against A's round by round, the server's user and system CPU µs per request (which
 * say where a difference goes: the kernel's share includes waking wrk; bench/README.md, "What observability
 * costs") and its peak RSS. `PERF=1`: each side's last round runs under `perf record -g` (node with
 * `--perf-basic-prof`), for `perf report -i <work>/perf-<side>.data`. Words of a side that start with `--` are
 * node options for that side, after the production command's own (`"LOG_LEVEL=info --max-semi-space-size=16"`);
 * a word ending in `.js` is the server bundle to run instead of `apps/server/dist/bin/main.js` (a copy of it
 * kept from before a change).
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeIssuer } from "@parts/fake-issuer";
import { seedSqlite } from "./engine.ts";
import { runLoad } from "./load-generator.ts";
import { environmentOf, freePort, nodeOnCore, rssMb, stop, userSystemSeconds, waitForHttp } from "./processes.ts";

const rounds = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 5);
const sideArgs = process.argv.length > 4 ? process.argv.slice(4) : ["", ""];
const words = (text: string) => text.split(" ").filter(Boolean);
const envOf = (text: string) => environmentOf(words(text).filter((word) => !word.startsWith("--") && !word.endsWith(".js")));
const nodeOptionsOf = (text: string) => words(text).filter((word) => word.startsWith("--"));
const productionBundle = fileURLToPath(new URL("../../apps/server/dist/bin/main.js", import.meta.url));
/** A side's word ending in `.js` names another build of the server to run (a copy kept from before a change). */
const bundleOf = (text: string) => words(text).find((word) => word.endsWith(".js")) ?? productionBundle;
const work = mkdtempSync(join(tmpdir(), "parts-ab-"));
const db = join(work, "parts.db");
seedSqlite(db, 10_000);
const issuer = await startFakeIssuer({ alg: "RS256" });
const token = await issuer.sign({}, { expiresIn: 3600 });

interface Round {
  rps: number;
  userUs: number;
  sysUs: number;
}

// One after another: they share the database file, and migrations take its lock.
const servers: { child: ReturnType<typeof nodeOnCore>; origin: string; rounds: Round[] }[] = [];
for (const [index, text] of sideArgs.entries()) {
  const port = await freePort();
  // --perf-basic-prof also turns on V8's log, which would land in the working directory.
  const perfArgs = ["--perf-basic-prof", "--no-logfile-per-isolate", `--logfile=${join(work, `v8-${index}.log`)}`];
  const nodeArgs = [...(process.env.PERF ? perfArgs : []), "--max-semi-space-size=4", ...nodeOptionsOf(text)];
  const child = nodeOnCore(0, [...nodeArgs, bundleOf(text)], {
    env: { NODE_ENV: "production", PORT: String(port), DATABASE_FILE: db, ISSUER: issuer.issuer, AUDIENCE: issuer.audience, LOG_LEVEL: "warn", ...envOf(text) },
    logFile: join(work, `server-${index}.log`),
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/readyz`, child);
  servers.push({ child, origin, rounds: [] });
}

for (let round = 0; round <= rounds; round++) {
  for (const [index, server] of servers.entries()) {
    const pid = server.child.pid!;
    const profiled = process.env.PERF && round === rounds;
    const perf = profiled ? spawn("perf", ["record", "-e", "cpu-clock", "-F", "2000", "-g", "-p", String(pid), "-o", join(work, `perf-${index}.data`)], { stdio: "ignore" }) : undefined;
    const [user0, sys0] = userSystemSeconds(pid);
    const spec = { name: "byId", kind: "byId" as const, origin: server.origin, connections: 50, duration: seconds, maxId: 10_000, uniquePrefix: `p${Date.now()}`, token };
    const result = await runLoad(spec, { generatorCore: 1, serverPids: [pid] });
    const [user1, sys1] = userSystemSeconds(pid);
    if (perf) {
      await new Promise((resolve) => (perf.once("exit", resolve), perf.kill("SIGINT")));
      console.log(`perf-${index}.data: ${result.total} requests`);
    }
    if (round === 0) continue;
    server.rounds.push({ rps: result.requestsPerSec, userUs: ((user1 - user0) / result.total) * 1e6, sysUs: ((sys1 - sys0) / result.total) * 1e6 });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const [index, server] of servers.entries()) {
  const ratios = server.rounds.map((run, i) => run.rps / servers[0]!.rounds[i]!.rps);
  const rps = server.rounds.map((run) => Math.round(run.rps));
  console.log(
    `${String.fromCharCode(65 + index)} ${sideArgs[index] || "(nothing changed)"}: ${median(ratios).toFixed(3)}x of A (${ratios.map((r) => r.toFixed(2)).join(" ")}); ` +
      `req/s ${rps.join("/")}; CPU µs/request user ${median(server.rounds.map((r) => r.userUs)).toFixed(1)}, system ${median(server.rounds.map((r) => r.sysUs)).toFixed(1)}; ` +
      `RSS peak ${(rssMb(server.child.pid!, "VmHWM") ?? 0).toFixed(0)} MB`,
  );
}
console.log(`logs${process.env.PERF ? " and profiles" : ""}: ${work}`);
await Promise.all(servers.map((server) => stop(server.child)));
await issuer.close();
