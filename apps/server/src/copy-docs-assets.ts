/**
 * Build step: the bundle (dist/bin/main.js) serves the /docs page from `dist/swagger-ui/`, so the build copies
 * the allow-listed swagger-ui-dist files there, as it copies the migrations.
 */
import { fileURLToPath } from "node:url";
import { copySwaggerUiFiles, swaggerUiBundledFolderName } from "@parts/api-server";

const target = fileURLToPath(new URL(`../dist/${swaggerUiBundledFolderName}/`, import.meta.url));
copySwaggerUiFiles(target);
