/**
 * The issuer's operator CLI (`apps/issuer/src/cli.ts`) as a process, on the database file of a running issuer
 * process: what it changes, the running issuer honours.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchToken, freePort, startIssuerProcess, tsxLoader, type IssuerProcess } from "./harness/issuer-process.ts";

const run = promisify(execFile);
const cliMain = fileURLToPath(new URL("../../../apps/issuer/src/cli.ts", import.meta.url));
const registrationToken = "operator-cli-registration-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "parts-it-cli-"));
const file = join(dir, "issuer.db");
let issuer: IssuerProcess;

/** The operator CLI as a separate process on the running issuer's database file. */
async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, ["--import", tsxLoader, cliMain, ...args, "--json"], {
    env: { PATH: process.env.PATH, ISSUER_DATABASE_FILE: file },
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

const tokenFor = (clientId: string, clientSecret: string, scope = "") => fetchToken(issuer.url, { clientId, clientSecret }, scope);

beforeAll(async () => {
  issuer = await startIssuerProcess({ port: await freePort(), databaseFile: file, env: { REGISTRATION_TOKEN: registrationToken } });
});
afterAll(async () => {
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("operator CLI", () => {
  it("creates a client the running issuer accepts, lists it, and rotates the signing key it uses", async () => {
    const created = (await cli("clients", "create", "--name", "Billing service", "--scope", "parts:read")) as { clientId: string; clientSecret: string };
    const token = await tokenFor(created.clientId, created.clientSecret);
    expect(token).toEqual(expect.any(String));
    const listed = (await cli("clients", "list")) as Array<{ clientId: string; name: string; scope: string }>;
    expect(listed).toContainEqual({ clientId: created.clientId, name: "Billing service", scope: "parts:read", authMethod: "client_secret_basic" });

    const { kid } = (await cli("keys", "rotate")) as { kid: string };
    // The running issuer re-reads its keys about once a second; wait for it to sign with the new one.
    let signedWith: string | undefined;
    for (let attempt = 0; attempt < 50 && signedWith !== kid; attempt += 1) {
      signedWith = decodeProtectedHeader(await tokenFor(created.clientId, created.clientSecret)).kid;
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
    const token = await tokenFor(registered.client_id, registered.client_secret, "parts:write");
    expect(decodeJwt(token).scope).toBe("parts:write");
  }, 30_000);
});
