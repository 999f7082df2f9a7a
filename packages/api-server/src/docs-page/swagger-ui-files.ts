import { copyFileSync, existsSync, mkdirSync } from "node:fs";
// Aliased: the server's bundle declares its own `createRequire` in a banner, and esbuild keeps import names.
import { createRequire as requireFrom } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The files of `swagger-ui-dist` the page uses, with their media types: an allow-list. Nothing else of the
 * package (its demo `index.html`, the initializer pointing at the petstore, source maps) is reachable, and no
 * path from a request is ever joined onto the folder.
 */
export const swaggerUiFiles = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "index.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
} as const satisfies Record<string, string>;

export type SwaggerUiFile = keyof typeof swaggerUiFiles;

/** Where the production build (apps/server) copies the allow-listed files: beside `dist/bin/`, as `dist/swagger-ui/`. */
export const bundledFolderName = "swagger-ui";

/**
 * The folder holding the allow-listed files. In the esbuild bundle this module's URL is `dist/bin/main.js`, and
 * the build copies the files to `dist/swagger-ui/`; from source (tsx, vitest) that folder does not exist and
 * the installed package is used.
 */
export function swaggerUiFolder(moduleUrl: string | URL = import.meta.url): string {
  const bundled = fileURLToPath(new URL(`../${bundledFolderName}/`, moduleUrl));
  if (existsSync(`${bundled}swagger-ui-bundle.js`)) return bundled;
  return dirname(requireFrom(moduleUrl).resolve("swagger-ui-dist/package.json"));
}

/** Copies the allow-listed files into `target` (the production build's `dist/swagger-ui/`). */
export function copySwaggerUiFiles(target: string): void {
  const source = swaggerUiFolder();
  mkdirSync(target, { recursive: true });
  for (const name of Object.keys(swaggerUiFiles)) copyFileSync(join(source, name), join(target, name));
}
