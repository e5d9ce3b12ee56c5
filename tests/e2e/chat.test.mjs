// End to end: the built app under Xvfb, driven through WebKitWebDriver, with a real Secret
// Service (scripts/with-keyring.sh) and the mock Claude server over real HTTP/SSE.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { execFileSync } from "node:child_process";

import {
  keychainLookup,
  saveKeyInSettings,
  typeAndSaveKey,
  lastAssistant,
  launchApp,
  newDataDir,
  saveScreenshot,
  sendMessage,
  startMockServer,
} from "./harness.mjs";

const KEY = "sk-ant-e2e-0123456789abcdef";
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

test("key saved in settings, a reply streams in, and the conversation survives a restart", async (t) => {
  const dataDir = newDataDir();
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    // First start: no key, the empty view offers to set one up (settings works too).
    await app.find("onboarding");
    await (await app.find("settings-open")).click();
    const status = await app.find("settings-api-key-status");
    assert.equal(await status.attr("data-state"), "unset");
    await typeAndSaveKey(app, KEY);
    assert.equal(
      keychainLookup(mock.baseUrl),
      KEY,
      "the key is in the Secret Service",
    );
    const html = await app.execute("return document.documentElement.outerHTML");
    assert.ok(!html.includes(KEY), "the key is not left anywhere in the page");
    await (await app.find("settings-close")).click();

    await sendMessage(app, "Hello from the end-to-end test");
    const reply = await lastAssistant(app, ["done"]);
    const content = await (await reply.find("message-content")).text();
    assert.match(content, /Echo: Hello from the end-to-end test/);
    const usage = await reply.find("message-usage");
    assert.ok(Number(await usage.attr("data-output-tokens")) > 0);
    const items = await app.findAll("conversation-item");
    assert.equal(items.length, 1);
    const conversationId = await items[0].attr("data-id");

    // Restart: same data directory, a new process.
    await app.quit();
    app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
    const item = await app.find(
      "conversation-item",
      `[data-id="${conversationId}"]`,
    );
    await item.click();
    const restored = await lastAssistant(app, ["done"]);
    assert.match(
      await (await restored.find("message-content")).text(),
      /Echo: Hello from the end-to-end test/,
    );
    const users = await app.findAll("message", '[data-role="user"]');
    assert.equal(users.length, 1);
    assert.equal(
      await (await app.find("settings-open")).attr("data-testid"),
      "settings-open",
    );
  } catch (error) {
    await saveScreenshot(app, "restart");
    throw error;
  }
});

test("a dropped stream shows its error with the partial text kept, and retry works", async (t) => {
  const dataDir = newDataDir();
  const app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);

    await sendMessage(app, "please [[drop]] midway");
    const failed = await lastAssistant(app, ["error"]);
    const error = await failed.find("message-error");
    assert.equal(await error.attr("data-error-kind"), "stream_interrupted");
    const partial = await (await failed.find("message-content")).text();
    assert.ok(partial.trim().length > 0, "the partial reply is kept");

    // Stop a slow reply: it is kept, marked cancelled.
    await sendMessage(app, "a [[slow]] one");
    await lastAssistant(app, ["streaming"]);
    await app.waitFor("some streamed text", async () => {
      const streaming = await lastAssistant(app, ["streaming"]);
      return (
        (await (await streaming.find("message-content")).text()).trim().length >
        0
      );
    });
    await (await app.find("composer-stop")).click();
    const cancelled = await lastAssistant(app, ["cancelled"]);
    assert.ok(
      (await (await cancelled.find("message-content")).text()).trim().length >
        0,
    );

    // Retry asks again; the stopped reply stays as the first alternative of the turn.
    await (await cancelled.find("message-retry")).click();
    const retried = await lastAssistant(app, ["done"]);
    assert.equal(await (await retried.find("branch-position")).text(), "2/2");
    await (await retried.find("branch-prev")).click();
    await lastAssistant(app, ["cancelled"]);
  } catch (error) {
    await saveScreenshot(app, "dropped");
    throw error;
  }
});

test("killing the app mid-stream keeps the text streamed so far", async (t) => {
  const dataDir = newDataDir();
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);
    await sendMessage(app, "a [[slow]] reply to crash in");
    const streaming = await lastAssistant(app, ["streaming"]);
    const shown = await app.waitFor("a few parts of the reply", async () => {
      const text = await (await streaming.find("message-content")).text();
      return /part 4 of/.test(text) ? text : null;
    });
    // Kill -9: no shutdown handler runs. Writes are at most 250 ms apart, parts 200 ms apart.
    execFileSync("pkill", ["-KILL", "-f", "-x", app.binaryPath]);
    await app.quit();

    app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
    await (await app.find("conversation-item")).click();
    const recovered = await lastAssistant(app, ["error"]);
    const error = await recovered.find("message-error");
    assert.equal(await error.attr("data-error-kind"), "stream_interrupted");
    const kept = await (await recovered.find("message-content")).text();
    const partsShown = Number(
      shown
        .match(/part (\d+) of/g)
        .at(-1)
        .match(/\d+/)[0],
    );
    const partsKept = Number(
      kept
        .match(/part (\d+) of/g)
        .at(-1)
        .match(/\d+/)[0],
    );
    assert.ok(
      partsKept >= partsShown - 3,
      `at most ~0.5 s of text is lost: shown up to part ${partsShown}, kept up to ${partsKept}`,
    );
  } catch (error) {
    await saveScreenshot(app, "crash");
    throw error;
  }
});
