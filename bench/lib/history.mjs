// The history benchmark's generated history (issue 4): 20,000 conversations of 50 messages and
// one of 2,000, seeded once by `parley-history-seed` and cached under target/bench-history/,
// keyed by the seed parameters and by everything that decides what the seeder writes (the
// generator, the bulk insert, the store's migrations), so repeated runs do not reseed.
//
//   node bench/lib/history.mjs    # seeds (or finds) the cached history, prints its summary

import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = resolve(import.meta.dirname, "../..");

export const HISTORY = { conversations: 20_000, messages: 50, long: 2_000 };

/** Files whose content decides the seeded database. */
function keyFiles() {
  const migrations = join(ROOT, "src-tauri/crates/parley-store/migrations");
  return [
    "bench/history/src/lib.rs",
    "bench/history/src/bin/seed.rs",
    "src-tauri/crates/parley-store/src/bulk.rs",
    ...readdirSync(migrations)
      .filter((f) => f.endsWith(".sql"))
      .sort()
      .map((f) => `src-tauri/crates/parley-store/migrations/${f}`),
  ];
}

/** The cache directory of a history with these parameters. */
export function historyCacheDir(params = HISTORY) {
  const hash = createHash("sha256");
  for (const file of keyFiles()) {
    hash.update(file);
    hash.update(readFileSync(join(ROOT, file)));
  }
  const key = `c${params.conversations}-m${params.messages}-l${params.long}-${hash.digest("hex").slice(0, 12)}`;
  return join(ROOT, "target/bench-history", key);
}

/**
 * The cached history: `{ dir, database, ...summary }` (the seeder's JSON summary plus `cached`).
 * Seeds it first when missing, into a temporary directory renamed into place when complete, so
 * an interrupted seed is never taken for a finished one.
 */
export function ensureHistory(seedBinary, log = () => {}, params = HISTORY) {
  const dir = historyCacheDir(params);
  const summaryFile = join(dir, "seed.json");
  if (existsSync(summaryFile)) {
    return { ...JSON.parse(readFileSync(summaryFile, "utf8")), dir, database: join(dir, "parley.sqlite3"), cached: true };
  }
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  log(`seeding ${params.conversations} × ${params.messages} messages + ${params.long} into ${dir} (once; cached)`);
  const run = spawnSync(
    seedBinary,
    [
      "--data-dir",
      partial,
      "--conversations",
      String(params.conversations),
      "--messages",
      String(params.messages),
      "--long",
      String(params.long),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  if (run.status !== 0) throw new Error(`${seedBinary} failed (exit ${run.status})`);
  const summary = JSON.parse(run.stdout.trim().split("\n").at(-1));
  writeFileSync(join(partial, "seed.json"), JSON.stringify(summary, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return { ...summary, dir, database: join(dir, "parley.sqlite3"), cached: false };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const seedBinary = process.argv[2] ?? join(ROOT, "target/release/parley-history-seed");
  const history = ensureHistory(seedBinary, (...m) => process.stderr.write(`${m.join(" ")}\n`));
  process.stdout.write(`${JSON.stringify(history)}\n`);
}
