import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "@parts/test-stack";
import { commandHelp } from "./help.ts";
import { runCli, type CliEnv } from "./run.ts";

let stack: Stack;
let env: CliEnv;

beforeAll(async () => {
  stack = await startStack();
  env = {
    PARTS_URL: stack.api.origin,
    ISSUER: stack.issuer.url,
    CLIENT_ID: stack.client.clientId,
    CLIENT_SECRET: stack.client.clientSecret,
    SCOPE: "parts:read parts:write",
  };
});
afterAll(async () => {
  await stack.close();
});

async function cli(argv: string[], overrides: CliEnv = {}, tty = false) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { ...env, ...overrides }, {
    stdout: { write: (text: string) => (stdout += text), isTTY: tty },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr, json: <T = Record<string, unknown>>() => JSON.parse(stdout) as T };
}

describe("parts CLI commands", () => {
  it("create (flags), get, update, list, delete end to end", async () => {
    const created = await cli(["create", "--part-number", "CLI-1", "--model-number", "CM-1", "--name", "Nut", "--description", "M6"]);
    expect(created).toMatchObject({ code: 0, stderr: "" });
    const part = created.json();
    expect(part).toMatchObject({ partNumber: "CLI-1", modelNumber: "CM-1", name: "Nut", description: "M6" });

    const got = await cli(["get", String(part.id)]);
    expect(got.json()).toEqual(part);

    const updated = await cli(["update", String(part.id), "--name", "Lock nut", "--clear-description"]);
    expect(updated.json()).toMatchObject({ id: part.id, name: "Lock nut", description: null });

    const listed = await cli(["list", "--model-number", "CM-1"]);
    expect(listed.json<{ items: { id: number }[] }>().items.map((p) => p.id)).toEqual([part.id]);

    const deleted = await cli(["delete", String(part.id)]);
    expect(deleted.json()).toEqual({ id: part.id });
    expect((await cli(["get", String(part.id)])).code).toBe(3);
  });

  it("create takes a JSON document", async () => {
    const result = await cli(["create", JSON.stringify({ partNumber: "CLI-JSON", modelNumber: "CM-J", name: "Washer" })]);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ partNumber: "CLI-JSON", name: "Washer" });
  });

  it("list --all follows every page", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await cli(["create", "--part-number", `ALL-${i}`, "--model-number", "CM-ALL", "--name", `Pin ${i}`])).code).toBe(0);
    }
    const page = await cli(["list", "--model-number", "CM-ALL", "--limit", "2"]);
    expect(page.json<{ items: unknown[] }>().items).toHaveLength(2);
    expect(page.json().nextCursor).toEqual(expect.any(String));
    const all = await cli(["list", "--model-number", "CM-ALL", "--limit", "2", "--all"]);
    expect(all.json<{ partNumber: string }[]>().map((p) => p.partNumber)).toEqual(["ALL-0", "ALL-1", "ALL-2", "ALL-3", "ALL-4"]);
    const searched = await cli(["list", "--q", "pin 3"]);
    expect(searched.json<{ items: { partNumber: string }[] }>().items.map((p) => p.partNumber)).toEqual(["ALL-3"]);
  });

  it("prints pretty JSON on a terminal and one line when piped", async () => {
    const piped = await cli(["list", "--limit", "1"]);
    const tty = await cli(["list", "--limit", "1"], {}, true);
    expect(piped.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(tty.stdout.split("\n").length).toBeGreaterThan(2);
    expect(JSON.parse(tty.stdout)).toEqual(JSON.parse(piped.stdout));
  });

  it("token shows claims and expiry but neither the secret nor the raw token", async () => {
    const result = await cli(["token"]);
    expect(result.code).toBe(0);
    const shown = result.json<{ claims: Record<string, unknown>; header: Record<string, unknown>; expiresInSec: number }>();
    expect(shown.claims).toMatchObject({ client_id: stack.client.clientId, aud: "api://parts", scope: "parts:read parts:write" });
    expect(shown.header).toMatchObject({ typ: "at+jwt" });
    expect(shown.expiresInSec).toBeGreaterThan(0);
    expect(result.stdout).not.toContain(stack.client.clientSecret);
    expect(result.stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    const raw = await cli(["token", "--raw"]);
    expect(raw.json<{ accessToken: string }>().accessToken).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});

describe("parts CLI exit codes", () => {
  it("1 for usage errors, with a one-line message", async () => {
    for (const argv of [["get"], ["get", "abc"], ["list", "--bogus"], ["list", "--limit", "0"], ["frobnicate"], ["create", "{not json"], ["update", "5"], ["create", "--name", "x"]]) {
      const result = await cli(argv);
      expect(result.code, argv.join(" ")).toBe(1);
      expect(result.stderr.trimEnd().split("\n"), argv.join(" ")).toHaveLength(1);
      expect(result.stdout).toBe("");
    }
  });

  it("1 for missing configuration, naming the variables", async () => {
    const result = await cli(["list"], { CLIENT_ID: undefined, CLIENT_SECRET: "" });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("parts list: invalid configuration: CLIENT_ID: is required; CLIENT_SECRET: must not be empty (set in the environment or in ./.env)\n");
  });

  it("2 for a wrong secret, without printing it", async () => {
    const result = await cli(["list"], { CLIENT_SECRET: "definitely-wrong-secret-123" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid_client");
    expect(result.stderr).toContain("CLIENT_SECRET");
    expect(result.stderr).not.toContain("definitely-wrong-secret-123");
  });

  it("2 for a missing scope, naming the scope", async () => {
    const result = await cli(["delete", "1"], { SCOPE: "parts:read" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^parts delete: forbidden: .*parts:write.*check SCOPE/);
  });

  it("3 for not found, conflict and validation errors", async () => {
    expect((await cli(["get", "999999"])).stderr).toMatch(/^parts get: not found: no part with id 999999/);
    await cli(["create", "--part-number", "DUP-1", "--model-number", "M", "--name", "A"]);
    const conflict = await cli(["create", "--part-number", "DUP-1", "--model-number", "M", "--name", "B"]);
    expect(conflict).toMatchObject({ code: 3 });
    expect(conflict.stderr).toContain("conflict");
    const invalid = await cli(["create", JSON.stringify({ partNumber: "V-1", modelNumber: "M", name: "" })]);
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toMatch(/invalid input: .*name/);
  });
});

describe("parts --help", () => {
  it("prints the overview and every command's help with exit 0", async () => {
    const overview = await cli(["--help"]);
    expect(overview).toMatchObject({ code: 0, stderr: "" });
    for (const name of Object.keys(commandHelp)) {
      expect(overview.stdout).toContain(`  ${name} `);
      const help = await cli([name, "--help"], { PARTS_URL: undefined });
      expect(help, name).toMatchObject({ code: 0, stdout: commandHelp[name] });
    }
  });
});

describe("the parts bin", () => {
  const bin = fileURLToPath(new URL("../../bin/parts.js", import.meta.url));
  const run = (args: string[], extraEnv: CliEnv) =>
    promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, ...extraEnv } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("runs a real list and prints compact JSON when piped", async () => {
    const result = await run(["list", "--limit", "1"], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty("items");
    expect(result.stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  it("ends quietly with exit 0 when its reader has gone (parts … | head)", async () => {
    const child = spawn(process.execPath, [bin, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    // Closed before the CLI (seconds to start under tsx) writes a byte: its first write meets EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  });

  it("exits 2 on bad credentials and 1 on usage errors", async () => {
    const denied = await run(["list"], { ...env, CLIENT_SECRET: "nope-nope-nope" });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/^parts list: could not get an access token \(invalid_client\)/);
    const usage = await run(["get", "x"], env);
    expect(usage.code).toBe(1);
  });
});
