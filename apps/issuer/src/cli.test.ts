import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "./issuer.ts";
import { registrationToken, startTestIssuer, tempDir, tokenFor } from "./testing.ts";

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

  it("widens a registered client's scope, which the client itself cannot", async () => {
    const registered = (await (
      await fetch(`${issuer.url}/reg`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${registrationToken}` },
        body: JSON.stringify({ client_name: "Registered", scope: "parts:read" }),
      })
    ).json()) as { client_id: string; client_secret: string };
    const updated = await cli("clients", "set-scope", registered.client_id, "--scope", "parts:read parts:write");
    expect(updated).toMatchObject({ clientId: registered.client_id, scope: "parts:read parts:write" });
    const token = await tokenFor(issuer.url, registered.client_id, registered.client_secret, "parts:write");
    expect(decodeJwt(token).scope).toBe("parts:write");
  }, 30_000);
});
