import { defineConfig } from "tsup";

// For projects outside the workspace: JS for Node and one .d.ts with the AppRouter types inlined, so the
// published package needs no @parts/* package at run time or for type checking.
export default defineConfig({
  entry: { index: "src/index.ts", cli: "src/cli/main.ts" },
  format: "esm",
  platform: "node",
  target: "node20",
  clean: true,
  noExternal: [/^@parts\//],
  dts: false,
});
