// End to end (issue 12): on the built app, choosing 中文 in Settings switches the whole UI at
// once, without a restart (the settings dialog, the composer, <html lang>), and a conversation in
// Chinese still streams and renders. Tests read test ids and attributes; the visible text read
// here is what is being checked.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import {
  choose,
  lastAssistant,
  launchApp,
  newDataDir,
  saveKeyInSettings,
  saveScreenshot,
  sendMessage,
  startMockServer,
} from "./harness.mjs";

const KEY = "sk-ant-e2e-language";
const HAN = /\p{Script=Han}/u;
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

test("中文 applies at once to settings and the composer, and a Chinese reply streams", async (t) => {
  const app = await launchApp({ dataDir: newDataDir(), baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);
    await (await app.find("settings-open")).click();
    await choose(app, "settings-language", "zh-CN");
    await app.waitFor(
      "<html lang> to follow",
      async () =>
        (await app.execute("return document.documentElement.lang")) === "zh-CN",
    );
    // Read in the page: WebKitWebDriver's element text fails on the modal <dialog> ("cannot
    // check the displayedness of a non-Element argument").
    const dialogText = () =>
      app.execute(
        `return document.querySelector('[data-testid="settings-dialog"]')?.innerText ?? ""`,
      );
    await app.waitFor("the settings in Chinese", async () =>
      HAN.test(await dialogText()),
    );
    assert.doesNotMatch(await dialogText(), /Test connection|Save settings/);
    await (await app.find("settings-close")).click();

    const input = await app.find("composer-input");
    assert.match(
      await input.attr("placeholder"),
      HAN,
      "the composer speaks Chinese",
    );

    await sendMessage(app, "你好，请用中文回答");
    const reply = await lastAssistant(app, ["done", "error"]);
    assert.equal(await reply.attr("data-status"), "done", await reply.text());
    assert.match(await reply.text(), /你好，请用中文回答/);
    // The reply's own controls are in Chinese too (their names, not their test ids).
    const usage = await app.find("message-usage");
    assert.match(await usage.text(), HAN);
  } catch (error) {
    await saveScreenshot(app, "language-zh-CN");
    throw error;
  }
});
