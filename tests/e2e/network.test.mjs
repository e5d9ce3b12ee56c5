// End to end: a SOCKS5 proxy set in Settings → Network (a real one on 127.0.0.1, with a user
// name and a password that goes to the keychain) carries the built app's requests to the mock
// Claude server; "No proxy" goes straight there again, without a restart.

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
import { startSocks5 } from "./tools/socks5.mjs";

const KEY = "sk-ant-e2e-network";
const CREDENTIALS = { user: "e2e-user", password: "e2e-proxy-pass" };
let mock;
let proxy;

before(async () => {
  mock = await startMockServer();
  proxy = await startSocks5({ credentials: CREDENTIALS });
});
after(() => {
  mock?.stop();
  proxy?.close();
});

async function saveSettings(app) {
  await (await app.find("settings-save")).click();
  await app.waitFor("the settings saved", async () => {
    const button = await app.find("settings-save");
    return (await button.attr("disabled")) === null;
  });
}

test("a SOCKS5 proxy with a password carries the requests; no proxy goes direct again", async (t) => {
  const dataDir = newDataDir();
  const app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);
    await (await app.find("settings-open")).click();
    await choose(app, "settings-proxy-mode", "custom");
    await (await app.find("settings-proxy-url")).type(proxy.url);
    await (await app.find("settings-proxy-username")).type(CREDENTIALS.user);
    await (
      await app.find("settings-proxy-password")
    ).type(CREDENTIALS.password);
    await (await app.find("settings-proxy-password-save")).click();
    await app.waitFor(
      "the password stored",
      async () =>
        (await (
          await app.find("settings-proxy-password")
        ).attr("placeholder")) === "stored in keychain",
    );
    await (await app.find("settings-proxy-test")).click();
    const tested = await app.waitFor("the proxy test result", async () => {
      const found = await app.findAll("settings-proxy-test-result");
      return found[0] ?? null;
    });
    assert.equal(await tested.attr("data-state"), "ok", await tested.text());
    await saveSettings(app);
    await (await app.find("settings-close")).click();

    const mockTarget = new URL(mock.baseUrl).host;
    const tunnels = proxy.targets.length;
    await sendMessage(app, "Hello through the proxy");
    const reply = await lastAssistant(app, ["done", "error"]);
    assert.equal(await reply.attr("data-status"), "done", await reply.text());
    assert.ok(
      proxy.targets.slice(tunnels).includes(mockTarget),
      `the request went through the proxy: ${proxy.targets.join(", ")}`,
    );
    assert.ok(
      proxy.credentials.every(
        (c) => c === `${CREDENTIALS.user}:${CREDENTIALS.password}`,
      ),
    );

    // No proxy: straight to the mock, without a restart.
    await (await app.find("settings-open")).click();
    await choose(app, "settings-proxy-mode", "none");
    await saveSettings(app);
    await (await app.find("settings-close")).click();
    const before = proxy.targets.length;
    await sendMessage(app, "Hello directly");
    await app.waitFor("the direct reply", async () => {
      const last = await lastAssistant(app, ["done", "error"]);
      return (await last.text()).includes("Hello directly") ? last : null;
    });
    assert.equal(proxy.targets.length, before, "the proxy saw nothing more");
  } catch (error) {
    await saveScreenshot(app, "network-proxy");
    throw error;
  }
});
