// First start (issue 12): with no key for the origin replies go to, the empty view asks for one
// inline (provider, key, save and test) instead of a banner and the settings dialog; a key
// already set shows the usual empty state; the banner is for an open conversation only.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { seedConversations } from "./fixtures/conversations.mjs";
import { appPerTest, calls, imeEnter, messageSel, tid } from "./harness.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const app = appPerTest(() => ({ conversations: seedConversations() }));

const GATEWAY = "https://primary.example.test";
const ANTHROPIC = "https://secondary.example.test";
const KEY = "sk-onboarding-TOPSECRET-0123456789";

const count = (page, selector) => page.locator(selector).count();
const provider = (value) => `${tid("onboarding-provider")}[data-value="${value}"]`;
const focused = (page) =>
  page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null);
const lastAnnouncement = (page, id) => page.getAttribute(tid(id), "data-last-announcement");

/** A first start whose saved base URL is Anthropic's, with no key anywhere. */
const firstStartOnAnthropic = () => app({ keyStatus: "unset", settings: { baseUrl: ANTHROPIC } });

describe("first start", () => {
  test("with no key the empty view is the setup card, with the key field focused", async () => {
    const page = await app({ keyStatus: "unset" });
    await page.waitForSelector(`${tid("empty-state")} ${tid("onboarding")}`);
    assert.equal(await count(page, tid("no-key-banner")), 0, "the banner does not repeat the card");
    assert.equal(await focused(page), "onboarding-key-input", "the key field takes the focus");
    assert.ok(await page.isChecked(provider("apimart")), "preselected from the saved base URL");
    assert.ok(!(await page.isChecked(provider("anthropic"))));
    assert.equal(await page.getAttribute(tid("onboarding"), "data-origin"), GATEWAY);
    const text = await page.locator(tid("empty-state")).innerText();
    assert.ok(!text.includes("claude-sonnet-4-5"), "no model id on the first start");

    // The key is hidden unless asked for, and Show says its state.
    const input = page.locator(tid("onboarding-key-input"));
    assert.equal(await input.getAttribute("type"), "password");
    const reveal = page.getByRole("button", { name: "Show key" });
    await reveal.click();
    assert.equal(await input.getAttribute("type"), "text");
    assert.equal(await reveal.getAttribute("aria-pressed"), "true");
    await reveal.click();
    assert.equal(await input.getAttribute("type"), "password");

    // Nothing to save yet: the button says so and does nothing.
    assert.equal(await page.getAttribute(tid("onboarding-save"), "aria-disabled"), "true");
    await page.click(tid("onboarding-save"), { force: true });
    await page.waitForTimeout(100);
    assert.equal((await calls(page, "set_api_key")).length, 0);
  });

  test("choosing the gateway and saving stores the key for its origin, sets it, and tests", async () => {
    const page = await firstStartOnAnthropic();
    await page.waitForSelector(tid("onboarding"));
    assert.ok(await page.isChecked(provider("anthropic")), "the saved base URL is Anthropic's");
    await page.check(provider("apimart"));
    await page.waitForSelector(`${tid("onboarding")}[data-origin="${GATEWAY}"]`);
    await page.fill(tid("onboarding-key-input"), KEY);
    await page.click(tid("onboarding-save"));

    await page.waitForSelector(`${tid("onboarding-result")}[data-state="ok"]`);
    const order = (await calls(page))
      .map((c) => c.cmd)
      .filter((cmd) => ["set_api_key", "save_settings", "test_connection"].includes(cmd));
    assert.deepEqual(order, ["set_api_key", "save_settings", "test_connection"]);
    const [saved] = await calls(page, "set_api_key");
    assert.deepEqual(saved.args, { baseUrl: GATEWAY, key: KEY }, "the key goes to the gateway");
    const [settings] = await calls(page, "save_settings");
    assert.equal(settings.args.settings.baseUrl, GATEWAY, "replies now go to the gateway");
    assert.equal(settings.args.settings.defaultModel, "claude-sonnet-4-5", "the rest is kept");

    // The card gives way to the friendly empty state; the key is nowhere in the page.
    assert.equal(await count(page, tid("onboarding")), 0);
    assert.equal(await count(page, tid("empty-state")), 1);
    assert.equal(await count(page, tid("no-key-banner")), 0);
    const text = await page.locator(tid("empty-state")).innerText();
    assert.match(text, /Start a conversation/);
    assert.ok(!text.includes("claude-sonnet-4-5"), "the empty state names no model id");
    const leaked = await page.evaluate((s) => {
      if (document.documentElement.outerHTML.includes(s)) return "DOM";
      for (const el of document.querySelectorAll("input, textarea"))
        if (el.value.includes(s)) return "input";
      return null;
    }, KEY);
    assert.equal(leaked, null, "the key is not kept in the page after saving");
    assert.equal(await lastAnnouncement(page, "live-announcer"), "Connected. Your key works.");
    assert.equal(await focused(page), "composer-input", "the keyboard goes on to the composer");
  });

  test("a failed test shows its kind and message; the card stays and can test again", async () => {
    const page = await app({ keyStatus: "unset" });
    await page.evaluate(() => {
      window.__MOCK__.handlers.test_connection = () => {
        throw {
          kind: "auth",
          message: "invalid x-api-key",
          status: 401,
          requestId: "req_bad",
        };
      };
    });
    await page.fill(tid("onboarding-key-input"), KEY);
    await page.click(tid("onboarding-save"));
    const result = page.locator(`${tid("onboarding-result")}[data-state="error"]`);
    await result.waitFor();
    assert.equal(await result.getAttribute("data-error-kind"), "auth");
    assert.match(await result.innerText(), /invalid x-api-key/);
    assert.match(await result.innerText(), /belongs to the provider/, "a hint for the kind");
    assert.match(await lastAnnouncement(page, "live-announcer-assertive"), /invalid x-api-key/);
    assert.equal(await page.inputValue(tid("onboarding-key-input")), "", "saved, so cleared");
    const [saved] = await calls(page, "set_api_key");
    assert.deepEqual(saved.args, { baseUrl: GATEWAY, key: KEY });
    assert.equal((await calls(page, "save_settings")).length, 0, "same provider: no change");
    assert.equal(await count(page, tid("onboarding")), 1, "the card stays to fix it");
    assert.equal(await count(page, tid("no-key-banner")), 0);

    // The key is stored: "Save and test" now tests it again without a new one.
    await page.evaluate(() => delete window.__MOCK__.handlers.test_connection);
    assert.equal(await page.getAttribute(tid("onboarding-save"), "aria-disabled"), "false");
    await page.click(tid("onboarding-save"));
    await page.waitForSelector(`${tid("onboarding-result")}[data-state="ok"]`);
    assert.equal((await calls(page, "set_api_key")).length, 1, "no second key was sent");
    assert.equal((await calls(page, "test_connection")).length, 2);
  });

  test("a keychain that refuses the key keeps it typed and says why", async () => {
    const page = await app({ keyStatus: "unset" });
    await page.evaluate(() => {
      window.__MOCK__.handlers.set_api_key = () => {
        throw {
          kind: "keychain_unavailable",
          message: "The system keychain is not available (no Secret Service).",
          status: null,
          requestId: null,
        };
      };
    });
    await page.fill(tid("onboarding-key-input"), KEY);
    await page.press(tid("onboarding-key-input"), "Enter");
    const result = page.locator(`${tid("onboarding-result")}[data-state="error"]`);
    await result.waitFor();
    assert.equal(await result.getAttribute("data-error-kind"), "keychain_unavailable");
    assert.match(await result.innerText(), /keychain is not available/);
    assert.equal((await calls(page, "test_connection")).length, 0, "nothing to test");
  });

  test("a key already set shows the usual empty state, without a card or model ids", async () => {
    const page = await app();
    await page.waitForSelector(tid("empty-state"));
    assert.equal(await count(page, tid("onboarding")), 0);
    assert.equal(await count(page, tid("no-key-banner")), 0);
    const text = await page.locator(tid("empty-state")).innerText();
    assert.match(text, /Start a conversation/);
    assert.match(text, /Claude Sonnet 4\.5/, "the model's name, not its id");
    assert.ok(!text.includes("claude-sonnet-4-5"));
    assert.notEqual(await focused(page), "onboarding-key-input");
  });

  test("an open conversation with no key shows the banner, not the card", async () => {
    const page = await app({ keyStatus: "unset" });
    await page.waitForSelector(tid("onboarding"));
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("a-rust"));
    await page.waitForSelector(tid("no-key-banner"));
    assert.equal(await count(page, tid("onboarding")), 0);
    await page.click(tid("conversation-new"));
    await page.waitForSelector(tid("onboarding"));
    assert.equal(await count(page, tid("no-key-banner")), 0);
    assert.notEqual(
      await focused(page),
      "onboarding-key-input",
      "the card takes the focus on the first start only",
    );
  });

  test("an IME's Enter in the key field never saves", async () => {
    const page = await app({ keyStatus: "unset" });
    await page.fill(tid("onboarding-key-input"), "sk-にほんご");
    await imeEnter(page, tid("onboarding-key-input"));
    assert.equal((await calls(page, "set_api_key")).length, 0, "the IME's Enter must not save");
    assert.equal(await page.inputValue(tid("onboarding-key-input")), "sk-にほんご");
  });

  test("the card speaks Chinese when the UI does", async () => {
    const page = await app({ keyStatus: "unset" });
    await page.click(tid("onboarding-settings"));
    await page.selectOption(tid("settings-language"), "zh-CN");
    await page.keyboard.press("Escape");
    assert.equal((await page.textContent("#onboarding-title")).trim(), "连接 Claude");
    assert.equal((await page.textContent(tid("onboarding-save"))).trim(), "保存并测试");
    assert.equal((await page.textContent(tid("onboarding-settings"))).trim(), "更多设置");
  });

  test("keyboard only: provider, key, save, and More settings", async () => {
    const page = await firstStartOnAnthropic();
    await page.waitForSelector(tid("onboarding"));
    assert.equal(await focused(page), "onboarding-key-input");

    // More settings is three Tabs on (Show key, Save and test), and focus comes back to it.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "onboarding-settings");
    await page.keyboard.press("Enter");
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    await page.keyboard.press("Escape");
    await page.waitForSelector(`${tid("settings-dialog")}:not([open])`, { state: "attached" });
    assert.equal(await focused(page), "onboarding-settings");

    // Back to the providers: the checked one is the group's tab stop; arrows choose.
    for (let i = 0; i < 4; i++) await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "onboarding-provider");
    assert.equal(
      await page.evaluate(() => document.activeElement.getAttribute("data-value")),
      "anthropic",
    );
    await page.keyboard.press("ArrowDown");
    assert.ok(await page.isChecked(provider("apimart")));
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "onboarding-key-input");
    await page.keyboard.type(KEY);
    await page.keyboard.press("Enter");
    await page.waitForSelector(`${tid("onboarding-result")}[data-state="ok"]`);
    const [saved] = await calls(page, "set_api_key");
    assert.deepEqual(saved.args, { baseUrl: GATEWAY, key: KEY });
    assert.equal(await focused(page), "composer-input");
  });
});

for (const colorScheme of ["light", "dark"]) {
  test(`the setup card has no serious or critical axe violations (${colorScheme})`, async () => {
    const page = await app({ keyStatus: "unset", colorScheme });
    await page.waitForSelector(tid("onboarding"));
    await page.evaluate(() => {
      window.__MOCK__.handlers.test_connection = () => {
        throw { kind: "network", message: "connection refused", status: null, requestId: null };
      };
    });
    const check = async (where) => {
      // page.evaluate is not subject to the page's CSP, unlike a <script> tag.
      await page.evaluate(`window.axe || ${AXE}`);
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, { resultTypes: ["violations"] });
        return result.violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ")) }));
      });
      assert.deepEqual(violations, [], `${where} (${colorScheme}): ${JSON.stringify(violations)}`);
    };
    await check("the card");
    await page.fill(tid("onboarding-key-input"), KEY);
    await page.click(tid("onboarding-save"));
    await page.waitForSelector(`${tid("onboarding-result")}[data-state="error"]`);
    await check("the card with an error");
  });
}
