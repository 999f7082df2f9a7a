import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests start real issuers and rotate keys: every new signing key is an RSA 2048 key generation, and under
    // a fully loaded CI machine (turbo runs every package's tests on two cores) a handful take seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
