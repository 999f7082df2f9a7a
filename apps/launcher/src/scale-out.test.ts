import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freePort } from "@parts/test-nginx";
import { describe, expect, it } from "vitest";

// Migrations, two issuers and two parts servers start with tsx: tens of seconds on a loaded CI machine.
const startTimeoutMs = 120_000;
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const entry = fileURLToPath(new URL("./scale-out.ts", import.meta.url));

/** The value of `export NAME='…'` in the printed instructions. */
function exported(output: string, name: string): string {
  const value = new RegExp(`^export ${name}='([^']*)'$`, "m").exec(output)?.[1];
  if (value === undefined) throw new Error(`${name} not printed:\n${output}`);
  return value;
}

describe("pnpm scale-out", () => {
  it("starts PostgreSQL, two issuers, two parts servers and the balancers, prints working credentials, and stops on Ctrl-C", async () => {
    const [partsPort, issuerPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ["--import", tsxLoader, entry], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(partsPort), ISSUER_PORT: String(issuerPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no instructions in time:\n${output}`)), startTimeoutMs);
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("Ctrl-C stops everything")) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => reject(new Error(`exited (${code}) before printing instructions:\n${output}`)));
      });

      const issuer = exported(output, "ISSUER");
      const partsUrl = exported(output, "PARTS_URL");
      expect([issuer, partsUrl]).toEqual([`http://127.0.0.1:${issuerPort}`, `http://127.0.0.1:${partsPort}`]);
      const basic = Buffer.from(`${exported(output, "CLIENT_ID")}:${exported(output, "CLIENT_SECRET")}`).toString("base64");
      const tokenAnswer = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", scope: exported(output, "SCOPE") }),
      });
      const { access_token: token } = (await tokenAnswer.json()) as { access_token: string };
      const authorization = `Bearer ${token}`;

      const created = await fetch(`${partsUrl}/trpc/parts.create`, {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify({ partNumber: "SCALE-1", modelNumber: "M-1", name: "Through the balancer" }),
      });
      expect(created.status).toBe(200);
      const { id } = ((await created.json()) as { result: { data: { id: number } } }).result.data;
      // Each parts server behind the balancer reads it from the shared database.
      const replicas = /parts servers (\S+), (\S+) /.exec(output)?.slice(1) ?? [];
      expect(replicas).toHaveLength(2);
      for (const base of [partsUrl, ...replicas]) {
        const read = await fetch(`${base}/trpc/parts.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`, { headers: { authorization } });
        expect(((await read.json()) as { result: { data: { name: string } } }).result.data.name).toBe("Through the balancer");
      }

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      await expect(fetch(`${partsUrl}/healthz`)).rejects.toThrow();
      await expect(fetch(`${replicas[0]}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, startTimeoutMs + 30_000);
});
