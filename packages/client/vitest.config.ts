import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests start a real issuer (RSA key generation) and make thousands of real HTTP calls.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
