import { defineConfig } from "vitest/config";

// Every suite starts real processes (server, issuer): run files one at a time so a 2-core CI machine
// is not oversubscribed, and give process start-up room.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
