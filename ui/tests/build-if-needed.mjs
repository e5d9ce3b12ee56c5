// Builds ui/dist with `vite build` when any input is newer than the last build (or it is missing).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const UI_DIR = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

export function buildIfNeeded() {
  const built = join(UI_DIR, "dist", "index.html");
  const inputs = [
    "src",
    "messages",
    "project.inlang",
    "public",
    "index.html",
    "vite.config.ts",
    "svelte.config.js",
    "package-lock.json",
  ];
  const sourceTime = Math.max(...inputs.map((p) => newest(join(UI_DIR, p))));
  if (existsSync(built) && statSync(built).mtimeMs >= sourceTime && !process.env.FORCE_BUILD) {
    return;
  }
  console.log("Building ui/dist ...");
  const build = spawnSync("npx", ["vite", "build", "--logLevel", "warn"], {
    cwd: UI_DIR,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildIfNeeded();
