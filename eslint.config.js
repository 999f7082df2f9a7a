// Shared flat config: every workspace package runs `eslint .` against this file.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/drizzle/**", "**/.turbo/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
      // apps/* are entry points (a main, its environment, its CLI): nothing imports them, not even another app.
      // Libraries live in packages/, test support in tooling/. Spawning an app as a process is fine.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@parts/server", "@parts/issuer", "@parts/launcher", "@parts/server/*", "@parts/issuer/*", "@parts/launcher/*"], message: "apps are entry points: import the package they are built on (packages/*)." },
            { group: ["**/apps/**"], message: "apps are entry points: import the package they are built on (packages/*)." },
          ],
        },
      ],
    },
  },
);
