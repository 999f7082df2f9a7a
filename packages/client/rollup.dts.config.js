// Bundles the declarations tsc emitted (for this package and the @parts/* workspace packages it imports)
// into one dist/index.d.ts, so a project outside the workspace gets AppRouter without @parts/router.
import { dirname, resolve } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { dts } from "rollup-plugin-dts";

const types = (path) => fileURLToPath(new URL(`build/types/packages/${path}`, import.meta.url));

export default {
  input: types("client/src/index.d.ts"),
  output: { file: "dist/index.d.ts", format: "es" },
  plugins: [
    {
      name: "workspace-declarations",
      resolveId(source, importer) {
        // The sources import each other with `.ts` suffixes, which declaration emit keeps.
        if (importer && source.startsWith(".") && source.endsWith(".ts")) {
          return resolve(dirname(importer), source.replace(/\.ts$/, ".d.ts"));
        }
        const match = /^@parts\/(router|db)$/.exec(source);
        return match ? types(`${match[1]}/src/index.d.ts`) : null;
      },
    },
    dts(),
  ],
  external: (id) => !id.startsWith("@parts/") && !id.startsWith(".") && !id.startsWith("/"),
};
