/**
 * Issue 13 point 6(c): examples/python/parts_example.py (standard library only) against the real issuer and
 * server processes: discovery, a client-credentials token, CRUD with ETag/If-Match, a 412, a 400 with field
 * errors, problem details printed; its exit status and output are the test's evidence.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRestStack, type RestStack } from "./harness/rest-stack.ts";

const example = fileURLToPath(new URL("../../../examples/python/parts_example.py", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the example with only the variables it documents (and PATH); resolves whatever its exit status. */
function runExample(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile("python3", [example], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

let stack: RestStack;
/** The variables the example documents, for one of the stack's clients. */
const settingsFor = (client: RestStack["writer"]) => ({
  PARTS_API_URL: stack.server.url,
  PARTS_ISSUER: stack.issuer.url,
  PARTS_CLIENT_ID: client.clientId,
  PARTS_CLIENT_SECRET: client.clientSecret,
});

beforeAll(async () => {
  stack = await startRestStack();
});
afterAll(() => stack?.stop());

describe("the Python example", () => {
  it("runs every step against the real stack and exits 0", async () => {
    const run = await runExample(settingsFor(stack.writer));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe("token: obtained (client credentials)");
    expect(run.stdout).toMatch(/^created PY-\d+: status 201, id (\d+), version 1, ETag "\1-1"$/m);
    expect(run.stdout).toMatch(/^updated: name 'Bracket, galvanised', version 2, ETag "\d+-2"$/m);
    expect(run.stdout).toContain(`audit: created by ${stack.writer.clientId}, last updated by ${stack.writer.clientId}\nlisted by updatedBy: True\n`);
    expect(run.stdout).toContain(
      [
        "stale update: refused as expected",
        "  problem 412 urn:parts:problem:precondition-failed: The part is not at the version If-Match names",
        "    detail: the part is at version 2, not 1; read it again and retry",
      ].join("\n"),
    );
    expect(run.stdout).toMatch(/^invalid create: refused as expected\n {2}problem 400 urn:parts:problem:validation-failed: .*\n.*\n {4}name: must not be empty$/m);
    expect(run.stdout).toContain("deleted: status 204");
    expect(run.stdout).toMatch(/^read after delete: refused as expected\n {2}problem 404 urn:parts:problem:not-found/m);
    expect(lines.at(-1)).toBe("done: every step answered as expected");
    expect(run.stdout).not.toContain(stack.writer.clientSecret);
  });

  it("stops with status 1 and the issuer's refusal when the client may not have the write scope", async () => {
    const run = await runExample(settingsFor(stack.reader));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^failed: token request refused: 400 invalid_scope: /);
    expect(run.stderr).not.toContain(stack.reader.clientSecret);
  });

  it("names missing settings and exits 2", async () => {
    const run = await runExample({ PARTS_API_URL: stack.server.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("set PARTS_ISSUER, PARTS_CLIENT_ID, PARTS_CLIENT_SECRET (see examples/python/README.md)\n");
  });
});
