import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { openIssuerAdmin, type IssuerAdmin } from "@parts/authorization-server";

const require = createRequire(import.meta.url);
export const tsxLoader = pathToFileURL(require.resolve("tsx")).href;
const issuerMain = fileURLToPath(new URL("../../../../apps/issuer/src/main.ts", import.meta.url));

/** A free loopback port (so a restarted issuer comes back at the same URL). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface IssuerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the real issuer (`apps/issuer/src/main.ts`, oidc-provider) as a process on `port`. */
export async function startIssuerProcess(options: { port: number; databaseFile: string; audience?: string; ttl?: number; env?: Record<string, string> }): Promise<IssuerProcess> {
  const child = spawn(process.execPath, ["--import", tsxLoader, issuerMain], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      ISSUER_PORT: String(options.port),
      ISSUER_DATABASE_FILE: options.databaseFile,
      AUDIENCE: options.audience ?? "api://parts",
      ACCESS_TOKEN_TTL: String(options.ttl ?? 600),
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`issuer did not start in 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split("\n")) {
        if (!line.includes('"issuer listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
        return;
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`issuer exited before listening: ${output}`));
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export { openIssuerAdmin, type IssuerAdmin };

/** client_credentials at the issuer's token endpoint (found through discovery). */
export async function fetchToken(issuerUrl: string, client: { clientId: string; clientSecret?: string }, scope: string): Promise<string> {
  const metadata = (await (await fetch(`${issuerUrl}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  const response = await fetch(metadata.token_endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? "")}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", ...(scope ? { scope } : {}) }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Polls `check` every 200 ms until it returns true or `timeoutMs` passes; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
