import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The lean path leans on tRPC internals, and the workspace patches @trpc/server's build: both were checked
 * against exactly one version. These tests fail on any other, so that moving tRPC is a deliberate step that
 * goes through the upgrade checklist instead of a silent change under a fast path that must match the adapter.
 */

/** The @trpc/server (and @trpc/client) version the lean path and the patch were last checked against. */
const checkedAgainst = "11.25.2";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const checklist = "packages/api-server/src/lean-trpc/README.md (Upgrade checklist)";
const patchDecision = "docs/decisions/0001-patch-trpc-object-spread.md";
const require = createRequire(import.meta.url);

function installed(name: "@trpc/server" | "@trpc/client") {
  const manifest = require.resolve(`${name}/package.json`);
  return { dir: dirname(manifest), version: (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version };
}

const workspaceYaml = readFileSync(join(repoRoot, "pnpm-workspace.yaml"), "utf8");
/** A catalog entry's specifier, read from pnpm-workspace.yaml's `catalog:` block. */
function catalogEntry(name: string): string | undefined {
  const catalog = /^catalog:\n((?:[ \t]+.*\n?)*)/m.exec(workspaceYaml)?.[1] ?? "";
  const line = catalog.split("\n").find((entry) => entry.trim().replace(/^["']|["']?:.*$/g, "") === name);
  return line?.split(":").slice(1).join(":").trim();
}

/** pnpm-workspace.yaml's `patchedDependencies`: `name@version` → patch file. */
function patchedDependencies(): Map<string, string> {
  const block = /^patchedDependencies:\n((?:[ \t]+.*\n?)*)/m.exec(workspaceYaml)?.[1] ?? "";
  const entries = block.split("\n").flatMap((line) => {
    const match = /^\s+["']?(.+?)["']?:\s*["']?(.+?)["']?\s*$/.exec(line);
    return match ? [[match[1]!, match[2]!] as const] : [];
  });
  return new Map(entries);
}

interface Hunk {
  file: string;
  /** The lines the hunk replaces (context and removed), and the lines it leaves (context and added). */
  before: string;
  after: string;
}

/** The hunks of a unified diff as `git diff` (and `pnpm patch-commit`) writes them. */
function hunksOf(patch: string): Hunk[] {
  const hunks: Hunk[] = [];
  let file = "";
  let current: { before: string[]; after: string[] } | undefined;
  const close = () => {
    if (current) hunks.push({ file, before: current.before.join("\n"), after: current.after.join("\n") });
    current = undefined;
  };
  for (const line of patch.split("\n")) {
    if (line.startsWith("diff --git ")) {
      close();
      file = line.split(" b/")[1]!;
    } else if (line.startsWith("@@")) {
      close();
      current = { before: [], after: [] };
    } else if (current && (line.startsWith("---") || line.startsWith("+++"))) {
      close();
    } else if (current && line.startsWith("-")) {
      current.before.push(line.slice(1));
    } else if (current && line.startsWith("+")) {
      current.after.push(line.slice(1));
    } else if (current && line.startsWith(" ")) {
      current.before.push(line.slice(1));
      current.after.push(line.slice(1));
    }
  }
  close();
  return hunks;
}

describe("tRPC version guard", () => {
  it("the installed @trpc/server is the version the lean path was checked against", () => {
    const { version } = installed("@trpc/server");
    expect(
      version,
      `@trpc/server ${version} is installed, but the lean tRPC path was checked against ${checkedAgainst}. ` +
        `Go through ${checklist}, then set checkedAgainst in this test to ${version}.`,
    ).toBe(checkedAgainst);
  });

  it("the catalog pins @trpc/server and @trpc/client to that exact version", () => {
    for (const name of ["@trpc/server", "@trpc/client"]) {
      expect(
        catalogEntry(name),
        `pnpm-workspace.yaml's catalog names ${name} ${catalogEntry(name)}, but the lean tRPC path was checked against exactly ` +
          `${checkedAgainst} (no range: a bump must be deliberate). Go through ${checklist} before moving it.`,
      ).toBe(checkedAgainst);
    }
  });

  it("@trpc/client is installed at the same version as @trpc/server", () => {
    expect(
      installed("@trpc/client").version,
      `@trpc/client and @trpc/server move together (the client speaks the server's wire format); see ${checklist}.`,
    ).toBe(installed("@trpc/server").version);
  });
});

describe("@trpc/server patch guard", () => {
  const { dir, version } = installed("@trpc/server");
  const patchPath = `patches/@trpc__server@${version}.patch`;

  it("the patch is pinned to the installed version, and its file is named for it", () => {
    const pinned = [...patchedDependencies()].filter(([key]) => key.startsWith("@trpc/server@"));
    expect(
      pinned,
      `pnpm-workspace.yaml's patchedDependencies must pin the @trpc/server patch to the installed ${version} (${patchPath}): ` +
        `re-diff the patch for this version or drop it, as ${patchDecision} describes.`,
    ).toEqual([[`@trpc/server@${version}`, patchPath]]);
    expect(existsSync(join(repoRoot, patchPath)), `${patchPath} is missing; see ${patchDecision}.`).toBe(true);
  });

  it("the installed @trpc/server build carries every change of the patch (native spread instead of the helper's loop)", () => {
    const hunks = hunksOf(readFileSync(join(repoRoot, patchPath), "utf8"));
    expect(hunks.length, `${patchPath} has no hunks`).toBeGreaterThan(0);
    for (const hunk of hunks) {
      const where = `${hunk.file} of the installed @trpc/server ${version}`;
      expect(existsSync(join(dir, hunk.file)), `${where} does not exist: re-diff ${patchPath} for this build; see ${patchDecision}.`).toBe(true);
      const text = readFileSync(join(dir, hunk.file), "utf8");
      expect(text.includes(hunk.after), `${where} lacks what ${patchPath} puts in: the patch is not applied. See ${patchDecision}.`).toBe(true);
      expect(text.includes(hunk.before), `${where} still has what ${patchPath} takes out: the patch is not applied. See ${patchDecision}.`).toBe(false);
    }
  });
});
