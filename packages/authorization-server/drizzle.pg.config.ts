import { defineConfig } from "drizzle-kit";

// PostgreSQL migrations live apart from SQLite's (./drizzle): one schema and one history per dialect.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/postgres/schema.ts",
  out: "./drizzle-pg",
});
