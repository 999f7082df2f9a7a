import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is tooling/docs-check/src/markdown.ts). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The markdown files git tracks (`git ls-files '*.md'`), as a fresh clone has them; files deleted in the work
 * tree are left out. Paths are relative to `root`, with `/` separators.
 */
export function markdownFiles(root: string = repoRoot): string[] {
  const output = execFileSync("git", ["ls-files", "-z", "--", "*.md"], {
    cwd: root,
    encoding: "utf8",
  });
  const files = output.split("\0").filter((file) => file !== "" && existsSync(join(root, file)));
  return [...new Set(files)].sort();
}

/**
 * The lines of a markdown text with fenced code blocks blanked out (links and headings in code are not
 * links and headings). Line numbers are kept.
 */
export function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split("\n").map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = marker;
      return "";
    }
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return "";
    }
    return line;
  });
}

/** A line without its inline code spans (`` `[not](a link)` ``). */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[^`]*?\1/g, "");
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`. */
export function linksIn(text: string): Link[] {
  const links: Link[] = [];
  proseLines(text).forEach((raw, index) => {
    const line = withoutCodeSpans(raw);
    for (const match of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: index + 1, target: match[1]!.replace(/^<|>$/g, "") });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (definition) links.push({ line: index + 1, target: definition[1]!.replace(/^<|>$/g, "") });
  });
  return links;
}

/** The text a reader sees in a heading: no code-span backticks, link targets, emphasis markers or trailing #s. */
function headingText(source: string): string {
  return source
    .replace(/\s+#+\s*$/, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`/g, "")
    .replace(/\*+/g, "")
    .replace(/<[^>]+>/g, "")
    .trim();
}

/**
 * GitHub's anchor for a heading (github-slugger): lower case, punctuation other than `-` and `_` removed,
 * each space a hyphen.
 */
export function slug(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a markdown text offers: heading slugs (repeats get -1, -2, … as on GitHub) and `<a id|name>`. */
export function anchorsIn(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const lines = proseLines(text);
  const add = (heading: string) => {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  };
  lines.forEach((line, index) => {
    const atx = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line);
    if (atx) add(atx[1]!);
    const next = lines[index + 1];
    // Setext: a paragraph line underlined with === or --- (a table's |---| row is not one).
    if (!atx && line.trim() !== "" && !line.includes("|") && next !== undefined && /^\s{0,3}(=+|-+)\s*$/.test(next)) add(line);
    for (const match of withoutCodeSpans(line).matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  });
  return anchors;
}

export interface LinkProblem {
  file: string;
  line: number;
  target: string;
  reason: string;
}

const external = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Relative links in `files` (markdown paths relative to `root`) that do not resolve: the file or folder
 * does not exist, leaves the repository, or the `#anchor` names no heading of the markdown file it points
 * into. Links with a scheme (https:, mailto:) are not checked.
 */
export function brokenLinks(root: string, files: readonly string[]): LinkProblem[] {
  const problems: LinkProblem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    let anchors = anchorCache.get(file);
    if (!anchors) {
      anchors = anchorsIn(readFileSync(file, "utf8"));
      anchorCache.set(file, anchors);
    }
    return anchors;
  };
  for (const file of files) {
    const absolute = join(root, file);
    for (const { line, target } of linksIn(readFileSync(absolute, "utf8"))) {
      if (external.test(target)) continue;
      const hashAt = target.indexOf("#");
      const pathPart = decodeURIComponent(hashAt === -1 ? target : target.slice(0, hashAt));
      const anchor = hashAt === -1 ? undefined : decodeURIComponent(target.slice(hashAt + 1));
      const resolved =
        pathPart === "" ? absolute : pathPart.startsWith("/") ? join(root, pathPart) : normalize(join(dirname(absolute), pathPart));
      const fromRoot = relative(root, resolved);
      if (fromRoot.startsWith("..") || fromRoot.split(sep).includes("node_modules")) {
        problems.push({ file, line, target, reason: "points outside the repository's tracked files" });
        continue;
      }
      if (!existsSync(resolved)) {
        problems.push({ file, line, target, reason: `no such file or folder: ${fromRoot.split(sep).join("/")}` });
        continue;
      }
      if (anchor === undefined || anchor === "") continue;
      if (statSync(resolved).isDirectory() || !resolved.endsWith(".md")) continue;
      if (!anchorsOf(resolved).has(anchor)) {
        problems.push({ file, line, target, reason: `no heading with anchor #${anchor} in ${fromRoot.split(sep).join("/")}` });
      }
    }
  }
  return problems;
}

/** One line per problem, for a failing assertion's message. */
export function describeLinkProblems(problems: readonly LinkProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: (${p.target}) ${p.reason}`).join("\n");
}
