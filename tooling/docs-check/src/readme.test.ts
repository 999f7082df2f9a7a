import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "./markdown.ts";

/** The README is the front page; reference material lives in docs/ and the packages' READMEs. */
const maxReadmeBytes = 6 * 1024;

it(`README.md stays a front page: under ${maxReadmeBytes} bytes`, () => {
  const bytes = Buffer.byteLength(readFileSync(join(repoRoot, "README.md"), "utf8"));
  expect(bytes, "move detail into docs/ and link to it").toBeLessThan(maxReadmeBytes);
});
