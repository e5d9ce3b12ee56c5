import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { paraglideVitePlugin } from "@inlang/paraglide-js";
import { paraglideOptions } from "./paraglide.config.js";

// Tauri sets TAURI_ENV_DEBUG for `tauri dev` / `tauri build --debug`.
const debugBuild = Boolean(process.env.TAURI_ENV_DEBUG);

// https://v2.tauri.app/start/frontend/vite/
export default defineConfig({
  plugins: [svelte(), paraglideVitePlugin(paraglideOptions)],
  // Keep Rust compiler output visible when run through `tauri dev`.
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    host: process.env.TAURI_DEV_HOST || false,
    watch: {
      // The Rust side rebuilds itself; do not reload the page for its files.
      ignored: ["**/src-tauri/**", "**/target/**"],
    },
  },
  envPrefix: ["VITE_", "TAURI_ENV_*"],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Linux ships WebKitGTK 2.50 (Safari 16+ feature level); Windows/macOS are newer.
    target: ["es2022", "safari16"],
    minify: !debugBuild,
    sourcemap: debugBuild,
    chunkSizeWarningLimit: 1500,
  },
});
