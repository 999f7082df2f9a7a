import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // These suites start real servers and issuers; turbo runs every package's tests at once on two cores in
    // CI, where vitest's 5 s default has been too tight for a test that passes in a fraction of it alone.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
