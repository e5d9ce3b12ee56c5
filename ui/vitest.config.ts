import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  resolve: {
    // Svelte 5 components only mount with the browser build of svelte.
    conditions: ["browser"],
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
