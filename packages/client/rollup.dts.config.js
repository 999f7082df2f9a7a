// Bundles the declarations tsc emitted (for this package and the @parts/* workspace packages it imports)
// into one dist/index.d.ts, so a project outside the workspace gets AppRouter without @parts/router.
import { existsSync } from "node:fs";
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
    {
      // tsc cannot emit declarations for @parts/db's connection.ts (TS4058: openDatabase's inferred return
      // type names better-sqlite3's Database). Nothing a client sees depends on it, so a stub stands in.
      name: "db-connection-stub",
      load(id) {
        if (!id.endsWith("db/src/connection.d.ts") || existsSync(id)) return null;
        return [
          'import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";',
          'import type * as schema from "./schema.ts";',
          "export interface OpenDatabaseOptions { busyTimeoutMs?: number }",
          "export type PartsDatabase = BetterSQLite3Database<typeof schema>;",
          "export interface DatabaseHandle { db: PartsDatabase; ping(): boolean; close(): void }",
          "export declare function openDatabase(file: string, options?: OpenDatabaseOptions): DatabaseHandle;",
        ].join("\n");
      },
    },
    dts(),
  ],
  external: (id) => !id.startsWith("@parts/") && !id.startsWith(".") && !id.startsWith("/"),
};
