// Settings → Network (issue 12) against the fake backend: the proxy mode, a custom proxy saved
// with the settings, its password sent to the keychain command and never shown, and Test
// connection with the proxy as typed, naming a proxy that cannot be reached.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { appPerTest, calls, tid } from "./harness.mjs";

const app = appPerTest(() => ({}));

async function openNetwork(page) {
  await page.click(tid("settings-open"));
  await page.locator(tid("settings-network")).scrollIntoViewIfNeeded();
  await page.waitForSelector(tid("settings-proxy-mode"));
}

describe("Settings → Network", () => {
  test("system is the default; a custom proxy is saved with the settings", async () => {
    const page = await app();
    await openNetwork(page);
    assert.equal(await page.getAttribute(tid("settings-proxy-mode"), "data-value"), "system");
    assert.equal(await page.locator(tid("settings-proxy-url")).count(), 0);
    await page.selectOption(tid("settings-proxy-mode"), "custom");
    assert.equal(await page.getAttribute(tid("settings-proxy-mode"), "data-value"), "custom");
    await page.fill(tid("settings-proxy-url"), "socks5h://127.0.0.1:1080");
    await page.fill(tid("settings-proxy-username"), "me");
    await page.fill(tid("settings-proxy-no-proxy"), "localhost");
    await page.click(tid("settings-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_settings").length === 1);
    const saved = (await calls(page, "save_settings"))[0].args;
    assert.deepEqual(saved.settings.proxy, {
      mode: "custom",
      url: "socks5h://127.0.0.1:1080",
      username: "me",
      noProxy: "localhost",
    });
  });

  test("the password goes to the keychain command and is never shown again", async () => {
    const page = await app();
    await openNetwork(page);
    await page.selectOption(tid("settings-proxy-mode"), "custom");
    await page.fill(tid("settings-proxy-password"), "hunter2");
    await page.click(tid("settings-proxy-password-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("set_proxy_password").length === 1);
    assert.deepEqual((await calls(page, "set_proxy_password"))[0].args, { password: "hunter2" });
    assert.equal(await page.inputValue(tid("settings-proxy-password")), "");
    assert.equal(
      await page.getAttribute(tid("settings-proxy-password"), "placeholder"),
      "stored in keychain",
    );
  });

  test("Test connection uses the proxy as typed and says when it cannot be reached", async () => {
    const page = await app();
    await openNetwork(page);
    await page.selectOption(tid("settings-proxy-mode"), "custom");
    await page.fill(tid("settings-proxy-url"), "socks5h://127.0.0.1:1/");
    await page.click(tid("settings-proxy-test"));
    const result = tid("settings-proxy-test-result");
    await page.waitForSelector(`${result}[data-state="error"]`);
    assert.match(await page.locator(result).innerText(), /cannot be reached/);
    const tested = (await calls(page, "test_proxy"))[0].args;
    assert.equal(tested.proxy.url, "socks5h://127.0.0.1:1/");
    assert.equal(tested.password, null);
    await page.fill(tid("settings-proxy-url"), "http://127.0.0.1:3128");
    await page.click(tid("settings-proxy-test"));
    await page.waitForSelector(`${result}[data-state="ok"]`);
  });
});
