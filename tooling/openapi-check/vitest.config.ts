import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Parsing and linting a document takes about a second alone; turbo runs every package's tests at once on
    // two cores in CI, where vitest's 5 s default has been too tight for such a test.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
