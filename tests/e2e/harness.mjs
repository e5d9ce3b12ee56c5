// Shared set-up for the end-to-end tests: the mock Claude server, data directories, the app.

import { spawn, execFileSync } from "node:child_process";
import {
  mkdtempSync,
  readFileSync,
  existsSync,
  writeFileSync,
  mkdirSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { Driver, stopGroup } from "./webdriver.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
export const APP =
  process.env.PARLEY_APP_BINARY ?? join(ROOT, "target/debug/parley");
const MOCK = join(ROOT, "target/debug/parley-mock-claude");

/**
 * Starts the mock Claude server on a free port; returns its base URL, a stop function and
 * `requests()`, every request it received (method, path, query, body; never headers), read
 * from its `--record-file`. `args` are more flags for the mock (`--no-count-tokens`, ...).
 */
export async function startMockServer(args = []) {
  const dir = mkdtempSync(join(tmpdir(), "parley-mock-"));
  const addrFile = join(dir, "addr");
  const recordFile = join(dir, "requests.jsonl");
  const flags = ["--port", "0", "--addr-file", addrFile];
  flags.push("--record-file", recordFile, ...args);
  const child = spawn(MOCK, flags, {
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  for (let i = 0; i < 200 && !existsSync(addrFile); i++) await sleep(25);
  await sleep(25);
  const baseUrl = readFileSync(addrFile, "utf8").trim();
  if (!baseUrl.startsWith("http://"))
    throw new Error(`mock server did not start: ${baseUrl}`);
  const requests = () =>
    existsSync(recordFile)
      ? readFileSync(recordFile, "utf8")
          .split("\n")
          .filter((line) => line.trim())
          .map((line) => JSON.parse(line))
      : [];
  return { baseUrl, requests, stop: () => stopGroup(child) };
}

export function newDataDir() {
  return mkdtempSync(join(tmpdir(), "parley-e2e-data-"));
}

/**
 * Launches the built app with its own data directory, pointed at the mock server. `extraEnv`
 * adds variables to the app's environment (a test of ANTHROPIC_API_KEY passes it here).
 */
export function launchApp({ dataDir, baseUrl, extraEnv = {} }) {
  if (!existsSync(APP))
    throw new Error(`build the app first: ${APP} is missing`);
  const env = {
    PARLEY_DATA_DIR: dataDir,
    ANTHROPIC_BASE_URL: baseUrl,
    PARLEY_NO_DIALOGS: "1",
    ...extraEnv,
  };
  // The key must come from the keychain in these tests, never from the environment.
  delete process.env.ANTHROPIC_API_KEY;
  return Driver.launch(APP, env);
}

/**
 * Reads the key Parley stored in the Secret Service for the origin of `baseUrl`, through
 * libsecret's own tool (keys are bound to the origin they were saved for).
 */
export function keychainLookup(baseUrl) {
  const origin = new URL(baseUrl).origin;
  try {
    return execFileSync(
      "secret-tool",
      ["lookup", "service", "parley", "username", `api-key ${origin}`],
      { encoding: "utf8" },
    ).trim();
  } catch {
    return "";
  }
}

/** Saves a screenshot under target/e2e-screenshots for a person to look at after a failure. */
export async function saveScreenshot(driver, name) {
  try {
    const dir = join(ROOT, "target/e2e-screenshots");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), await driver.screenshot());
  } catch {
    // best effort
  }
}

/** Types into the composer and presses Enter. */
export async function sendMessage(driver, text) {
  const input = await driver.find("composer-input");
  await input.click();
  await input.type(text);
  await input.type("\uE007");
}

/** The newest assistant message element once its status is one of `statuses`. */
export async function lastAssistant(driver, statuses) {
  return driver.waitFor(
    `an assistant message with status ${statuses.join("|")}`,
    async () => {
      const messages = await driver.findAll(
        "message",
        '[data-role="assistant"]',
      );
      const last = messages.at(-1);
      if (!last) return null;
      return statuses.includes(await last.attr("data-status")) ? last : null;
    },
  );
}

/**
 * In the open settings, types `key` into the key field, saves it and waits until the status
 * says it is stored (for the origin of the base URL in the form).
 */
export async function typeAndSaveKey(driver, key) {
  await (await driver.find("settings-api-key")).type(key);
  await (await driver.find("settings-api-key-save")).click();
  await driver.waitFor(
    "key status set",
    async () =>
      (await (
        await driver.find("settings-api-key-status")
      ).attr("data-state")) === "set",
  );
}

/** Opens settings, stores `key` in the keychain through the UI, waits for it, closes settings. */
export async function saveKeyInSettings(driver, key) {
  await (await driver.find("settings-open")).click();
  await typeAndSaveKey(driver, key);
  await (await driver.find("settings-close")).click();
}

/**
 * Sets a select's value as a user picking an option would (scrolled to, a change event), again
 * until it holds: the dialog fills its form from the saved settings just after it opens.
 */
export async function choose(app, testid, value) {
  await app.waitFor(`${testid} = ${value}`, async () => {
    await app.execute(
      `const select = document.querySelector('[data-testid="${testid}"]');
       if (select) {
         select.scrollIntoView({ block: "center" });
         select.value = ${JSON.stringify(value)};
         select.dispatchEvent(new Event("change", { bubbles: true }));
       }`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const selects = await app.findAll(testid);
    return selects[0] && (await selects[0].attr("data-value")) === value;
  });
}
