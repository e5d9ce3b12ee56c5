import js from "@eslint/js";
import ts from "typescript-eslint";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import svelteConfig from "./svelte.config.js";

const tauriOnlyInBackend =
  "Only src/lib/backend.ts talks to Tauri: add a function there and call it.";

export default ts.config(
  {
    ignores: [
      "dist/",
      "src/paraglide/",
      "project.inlang/cache/",
      "node_modules/",
      "test-results/",
      "playwright-report/",
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser },
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts", "**/*.svelte.js"],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: [".svelte"],
        parser: ts.parser,
        svelteConfig,
      },
    },
  },
  {
    // Node-side files: configs, the test harness and its scripts.
    files: ["*.config.{js,ts}", "tests/**/*.{js,mjs}", "scripts/**/*.mjs"],
    languageOptions: {
      globals: { ...globals.node },
    },
  },
  {
    // The fake backend runs inside the page.
    files: ["tests/fixtures/**/*.js"],
    languageOptions: {
      globals: { ...globals.browser },
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      // Only the markdown pipeline may use {@html}; it sanitises with DOMPurify first.
      "svelte/no-at-html-tags": "error",
      // The IPC surface stays in one module, so components and stores can be tested with it
      // swapped for a mock, and every command the UI calls is visible in one place.
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@tauri-apps/**"], message: tauriOnlyInBackend }] },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression[source.value=/^@tauri-apps\\//]",
          message: tauriOnlyInBackend,
        },
      ],
    },
  },
  {
    files: ["src/lib/backend.ts"],
    rules: { "no-restricted-imports": "off", "no-restricted-syntax": "off" },
  },
);
