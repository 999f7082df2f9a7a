import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { startTestIssuer, tempDir, tokenFor } from "./testing.ts";

const run = promisify(execFile);
const dir = tempDir();
const file = `${dir.path}/issuer.db`;
let issuer: RunningIssuer;

/** The operator CLI as a separate process on the running issuer's database file. */
async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli.ts", ...args, "--json"], {
    env: { ...process.env, ISSUER_DATABASE_FILE: file },
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

beforeAll(async () => {
  issuer = await startTestIssuer(file);
});
afterAll(async () => {
  await issuer.close();
  dir.remove();
});

describe("operator CLI", () => {
  it("creates a client the running issuer accepts, lists it, and rotates the signing key it uses", async () => {
    const created = (await cli("clients", "create", "--name", "Billing service", "--scope", "parts:read")) as { clientId: string; clientSecret: string };
    const token = await tokenFor(issuer.url, created.clientId, created.clientSecret);
    expect(token).toEqual(expect.any(String));
    const listed = (await cli("clients", "list")) as Array<{ clientId: string; name: string; scope: string }>;
    expect(listed).toContainEqual({ clientId: created.clientId, name: "Billing service", scope: "parts:read", authMethod: "client_secret_basic" });

    const { kid } = (await cli("keys", "rotate")) as { kid: string };
    // The running issuer re-reads its keys about once a second; wait for it to sign with the new one.
    let signedWith: string | undefined;
    for (let attempt = 0; attempt < 50 && signedWith !== kid; attempt += 1) {
      signedWith = decodeProtectedHeader(await tokenFor(issuer.url, created.clientId, created.clientSecret)).kid;
      if (signedWith !== kid) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(signedWith).toBe(kid);
  }, 30_000);
});
