import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { paraglideVitePlugin } from "@inlang/paraglide-js";
import { paraglideOptions } from "./paraglide.config.js";

export default defineConfig({
  plugins: [svelte(), paraglideVitePlugin(paraglideOptions)],
  resolve: {
    // Svelte 5 components only mount with the browser build of svelte.
    conditions: ["browser"],
  },
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
  },
});
