import { fileURLToPath } from "node:url";

/**
 * The PostgreSQL migrations (drizzle-pg/), one level above this file as SQLite's drizzle/ is above
 * src/connection.ts: in the workspace that is packages/db/drizzle-pg; in the server's bundle, where every module
 * sits in dist/bin/, it is dist/drizzle-pg, where the build copies the folder.
 */
export const postgresMigrationsFolder = fileURLToPath(new URL("../drizzle-pg", import.meta.url));
