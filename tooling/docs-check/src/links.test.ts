import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { anchorsIn, brokenLinks, describeLinkProblems, linksIn, markdownFiles, repoRoot, slug } from "./markdown.ts";

describe("the repository's markdown", () => {
  it("has every relative link resolving to a file, and every #anchor to a heading", () => {
    const files = markdownFiles();
    expect(files).toContain("README.md");
    const problems = brokenLinks(repoRoot, files);
    expect(describeLinkProblems(problems)).toBe("");
  });
});

describe("the link check", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });
  function tree(files: Record<string, string>): string {
    root = mkdtempSync(join(tmpdir(), "docs-check-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  it("accepts links to existing files, folders and headings", () => {
    const dir = tree({
      "README.md": "See [api](docs/api.md#errors-and-limits), [the folder](docs/), [top](#parts-rpc) and [ok](<docs/api.md>).\n# parts-rpc\n",
      "docs/api.md": "# API\n## Errors and limits\n[back](../README.md)\n",
    });
    expect(brokenLinks(dir, ["README.md", "docs/api.md"])).toEqual([]);
  });

  it("reports a link to a missing file", () => {
    const dir = tree({ "README.md": "Read [the guide](docs/guide.md).\n" });
    expect(brokenLinks(dir, ["README.md"])).toEqual([
      { file: "README.md", line: 1, target: "docs/guide.md", reason: "no such file or folder: docs/guide.md" },
    ]);
  });

  it("reports an anchor that names no heading, in the same file or another", () => {
    const dir = tree({ "README.md": "# Intro\n[a](#intro) [b](#outro) [c](other.md#nope)\n", "other.md": "# Other\n" });
    expect(brokenLinks(dir, ["README.md"]).map((p) => p.target)).toEqual(["#outro", "other.md#nope"]);
  });

  it("reports a link that leaves the repository", () => {
    const dir = tree({ "docs/a.md": "[up](../../elsewhere.md)\n" });
    expect(brokenLinks(dir, ["docs/a.md"])[0]?.reason).toMatch(/outside/);
  });

  it("skips links with a scheme and anything inside code", () => {
    const text = "[web](https://example.com/x.md) [mail](mailto:a@b.c) `[code](missing.md)`\n```md\n[fenced](missing.md)\n```\n";
    expect(linksIn(text).map((link) => link.target)).toEqual(["https://example.com/x.md", "mailto:a@b.c"]);
  });

  it("finds reference-style link definitions", () => {
    expect(linksIn("[guide][g]\n\n[g]: docs/guide.md\n")).toEqual([{ line: 3, target: "docs/guide.md" }]);
  });
});

describe("heading anchors, as GitHub makes them", () => {
  it.each([
    ["Two commands", "two-commands"],
    ["The `parts` CLI", "the-parts-cli"],
    ["Server (`apps/server`)", "server-appsserver"],
    ["Errors: RFC 6750 & tRPC", "errors-rfc-6750--trpc"],
    ["Pointing at another issuer (Okta, Auth0)", "pointing-at-another-issuer-okta-auth0"],
    ["snake_case stays", "snake_case-stays"],
  ])("%s → #%s", (heading, anchor) => {
    expect(slug(heading)).toBe(anchor);
  });

  it("numbers repeated headings", () => {
    expect([...anchorsIn("## Example\n## Example\nSetext\n---\n")]).toEqual(["example", "example-1", "setext"]);
  });
});
