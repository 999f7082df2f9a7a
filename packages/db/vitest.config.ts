import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The suites run against a real PostgreSQL started per file and race hundreds of concurrent writes; under a
    // fully loaded CI machine (turbo runs every package's tests on two cores) vitest's 5 s default is too tight.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
