// `npm run test:ui`: builds ui/dist when a source is newer than the last build, then runs the
// Playwright suite with node's test runner (whose summary closes the output).
import { spawnSync } from "node:child_process";
import { buildIfNeeded, UI_DIR } from "./build-if-needed.mjs";

buildIfNeeded();
const files = process.argv.slice(2);
const run = spawnSync(
  process.execPath,
  [
    "--test",
    "--test-concurrency=1",
    ...(files.length
      ? files
      : [
          "tests/ui.test.mjs",
          "tests/images.test.mjs",
          "tests/history.test.mjs",
          "tests/gallery.test.mjs",
          "tests/export.test.mjs",
          "tests/transcript.test.mjs",
          "tests/params.test.mjs",
          "tests/tools.test.mjs",
          "tests/network.test.mjs",
          "tests/a11y.test.mjs",
          "tests/math.test.mjs",
          "tests/i18n.test.mjs",
          "tests/onboarding.test.mjs",
        ]),
  ],
  { cwd: UI_DIR, stdio: "inherit" },
);
process.exit(run.status ?? 1);
