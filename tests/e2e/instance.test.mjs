// End to end: one Parley per data folder, and a window that shows only the app.
//
// A second launch on the same data folder (same D-Bus session) hands over to the first: the first
// window comes forward and the second process exits at once, having opened nothing. A second
// process that cannot reach the first over D-Bus meets the folder's lock instead: it says why and
// exits, with no window. Either way the first window's reply keeps streaming to `done`.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import {
  APP,
  ROOT,
  lastAssistant,
  launchApp,
  newDataDir,
  saveKeyInSettings,
  saveScreenshot,
  sendMessage,
  startMockServer,
} from "./harness.mjs";
import { stopGroup } from "./webdriver.mjs";

const KEY = "sk-ant-e2e-instance-0123456789";
// The mock's [[slow]] reply: 30 parts, 200 ms apart (tests/mock-claude/src/magic.rs).
const LAST_SLOW_PART = "Slow part 30 of 30.";
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

function xdotool(...args) {
  return execFileSync("xdotool", args, {
    encoding: "utf8",
    timeout: 20_000,
  }).trim();
}

/** X ids of the visible windows titled exactly `title` (none is not an error). */
function windowsTitled(title) {
  try {
    return xdotool("search", "--onlyvisible", "--name", `^${title}$`)
      .split("\n")
      .filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
}

/** The X id of the window that has the keyboard focus (no window manager needed). */
function focusedWindow() {
  return xdotool("getwindowfocus");
}

/**
 * Another application's window, focused: the app loses the focus the way it does when the user
 * switches away. Returns a function that closes it.
 */
async function focusAnotherWindow() {
  const other = spawn(
    "/usr/bin/python3",
    [join(ROOT, "tests/e2e/tools/drag_source.py"), "700", "500"],
    { stdio: "ignore", detached: true },
  );
  const id = xdotool(
    "search",
    "--sync",
    "--onlyvisible",
    "--name",
    "^parley-drag-source$",
  );
  xdotool("windowfocus", "--sync", id);
  return { id, close: () => stopGroup(other) };
}

/** Runs the app binary as a plain second process; resolves with its exit code and output. */
function launchSecond(dataDir, extraEnv = {}) {
  const started = Date.now();
  const child = spawn(APP, [], {
    env: {
      ...process.env,
      PARLEY_DATA_DIR: dataDir,
      ANTHROPIC_BASE_URL: mock.baseUrl,
      PARLEY_NO_DIALOGS: "1",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdout.resume();
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) =>
      resolve({ code, signal, stderr, ms: Date.now() - started }),
    ),
  );
  return { child, exited };
}

/** Waits for `exited` at most `ms`; a process still running then is a failure (and is stopped). */
async function exitWithin(second, ms) {
  const result = await Promise.race([
    second.exited,
    sleep(ms).then(() => null),
  ]);
  if (result === null) {
    await stopGroup(second.child);
    assert.fail(`the second process was still running after ${ms} ms`);
  }
  return result;
}

async function startSlowReply(app) {
  await saveKeyInSettings(app, KEY);
  await sendMessage(app, "Take your time [[slow]]");
  await lastAssistant(app, ["streaming"]);
}

async function assertReplyFinishes(app) {
  const reply = await lastAssistant(app, ["done"]);
  const text = await (await reply.find("message-content")).text();
  assert.ok(
    text.includes(LAST_SLOW_PART),
    `the whole reply arrived: ${text.slice(-120)}`,
  );
}

test("a second launch on the same data folder brings the first window forward and exits; the first keeps streaming", async (t) => {
  const dataDir = newDataDir();
  const app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  let other;
  t.after(() => other?.close());
  try {
    await startSlowReply(app);
    const [appWindow] = windowsTitled("Parley");
    assert.ok(appWindow, "the app's window is visible");

    other = await focusAnotherWindow();
    await app.waitFor(
      "the app to lose the focus",
      async () => focusedWindow() === other.id,
    );
    assert.equal(await app.execute("return document.hasFocus()"), false);

    const second = launchSecond(dataDir);
    const { code, signal, stderr, ms } = await exitWithin(second, 15_000);
    assert.equal(
      code,
      0,
      `the second launch hands over and exits cleanly (${signal}): ${stderr}`,
    );
    assert.ok(ms < 10_000, `it exits promptly (took ${ms} ms)`);
    t.diagnostic(`the second launch handed over and exited in ${ms} ms`);

    await app.waitFor(
      "the first window to get the focus back",
      async () => focusedWindow() === appWindow,
      5_000,
    );
    assert.equal(
      await app.execute("return document.hasFocus()"),
      true,
      "the page itself has the focus",
    );
    assert.deepEqual(
      windowsTitled("Parley"),
      [appWindow],
      "no second window was opened",
    );

    // The handover did not disturb the reply: still streaming, then complete.
    const reply = await lastAssistant(app, ["streaming", "done"]);
    assert.ok(reply);
    await assertReplyFinishes(app);
  } catch (error) {
    await saveScreenshot(app, "instance-handover");
    throw error;
  }
});

test("a second process that cannot reach the first over D-Bus is refused by the folder's lock, says why and opens nothing", async (t) => {
  const dataDir = newDataDir();
  const app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await startSlowReply(app);
    const windowsBefore = windowsTitled("Parley");

    // No session bus at this address: the single-instance plugin cannot find the first app, so
    // only the lock file stands between this process and the first one's data.
    const second = launchSecond(dataDir, {
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/parley-test-bus",
    });
    const { code, stderr, ms } = await exitWithin(second, 15_000);
    assert.equal(code, 1, `the refused process exits with an error: ${stderr}`);
    assert.match(
      stderr,
      /Another Parley \(process \d+\) is using the data folder/,
    );
    assert.ok(
      stderr.includes(dataDir),
      `the message names the folder: ${stderr}`,
    );
    assert.ok(ms < 10_000, `it exits promptly (took ${ms} ms)`);
    t.diagnostic(`the refused process exited in ${ms} ms`);
    assert.deepEqual(
      windowsTitled("Parley"),
      windowsBefore,
      "it showed no window",
    );

    await assertReplyFinishes(app);
  } catch (error) {
    await saveScreenshot(app, "instance-lock");
    throw error;
  }
});

test("the window shows only the app, in the desktop's UI font: a page elsewhere is never loaded, and the opener refuses mailto queries and other schemes", async (t) => {
  const dataDir = newDataDir();
  const app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await app.find("composer-input");
    const home = await app.execute("return location.href");
    assert.match(home, /^tauri:\/\/localhost/);
    // The desktop's UI font, named by Rust (window.rs) rather than left to `system-ui` (the
    // stylesheet's value, which this pattern refuses): GTK's own setting, its default under Xvfb.
    const font = await app.execute(
      "return getComputedStyle(document.documentElement).getPropertyValue('--font-sans').trim()",
    );
    assert.match(font, /^"[^"]+"(, "[^"]+")*, sans-serif$/, font);

    // A page that would load if allowed: the mock server answers on 127.0.0.1.
    // Started after the script returns: WebKitWebDriver waits for a navigation begun inside a
    // script to load, and a refused one never does.
    await app.execute(
      "setTimeout(() => { location.href = arguments[0]; }, 50); return null",
      [`${mock.baseUrl}/v1/models`],
    );
    await sleep(1500);
    assert.equal(
      await app.execute("return location.href"),
      home,
      "the navigation was refused",
    );
    await app.find("composer-input");

    const openUrl = (url) =>
      app.cmd("POST", "/execute/async", {
        script: `const done = arguments[arguments.length - 1];
          window.__TAURI_INTERNALS__.invoke("plugin:opener|open_url", { url: arguments[0] })
            .then(() => done("opened"), (e) => done(String(e)));`,
        args: [url],
      });
    for (const url of [
      "mailto:a@example.com?attach=/etc/passwd",
      "mailto:a@example.com#x",
      "file:///etc/passwd",
      "javascript:alert(1)",
    ]) {
      const result = await openUrl(url);
      assert.notEqual(result, "opened", `${url} must not be opened`);
      assert.match(result, /not allowed|denied|scope/i, `${url}: ${result}`);
    }
  } catch (error) {
    await saveScreenshot(app, "instance-navigation");
    throw error;
  }
});
