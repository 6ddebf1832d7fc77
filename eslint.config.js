// ESLint for `npm run lint` (and CI): typescript-eslint's type-aware rules over every TypeScript file
// the type-check covers (src/, test/, bench/, scripts/ via tsconfig.test.json), so a promise nobody
// awaits, a promise passed where a callback's result is ignored, or an import that only carries types
// is caught before review. Plain .js/.mjs files get the JavaScript rules. Formatting is Prettier's
// (`npm run format`), not ESLint's.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "notebooks/", "runs/", "checkpoints/", "bench-out/", "scratch/", ".kernel/", ".jupyter-test/", "tmp/"] },
  // A disable comment that no longer disables anything fails too.
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: "./tsconfig.test.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { prefer: "type-imports", fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-import-type-side-effects": "error",
      // Off: an async function without await is how this code implements a Promise-returning interface
      // (DurableFs over sync calls, no-op close/release, test stubs) so that a throw becomes a rejection;
      // the rule's fix, Promise.resolve(), would turn those rejections into synchronous throws.
      "@typescript-eslint/require-await": "off",
      // A caught `unknown` passed on as a rejection is a rethrow, as only-throw-error allows for `throw`.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrors: "all",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
        },
      ],
    },
  },
);
