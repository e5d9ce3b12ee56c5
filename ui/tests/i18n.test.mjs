// Languages (issue 12): the UI switches to Simplified Chinese from Settings at once, without a
// reload (a typed draft survives), remembers the choice, and formats dates and money for the
// chosen locale. Tests find elements by test id only; the text read here is what is checked.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seedConversations } from "./fixtures/conversations.mjs";
import { appPerTest, finish, send, streamText, tid, usage } from "./harness.mjs";

const app = appPerTest(() => ({ conversations: seedConversations() }));

async function chooseLanguage(page, value) {
  await page.click(tid("settings-open"));
  await page.waitForSelector(tid("settings-language"));
  await page.selectOption(tid("settings-language"), value);
  await page.waitForSelector(`${tid("settings-language")}[data-value="${value}"]`);
}

/** The month header of the sidebar, e.g. "November 2026" or "2026年11月". */
async function monthHeader(page) {
  const header = page.locator(`${tid("conversation-group")}[data-group^="month-"]`).first();
  const key = await header.getAttribute("data-group");
  const [, year, month] = /^month-(\d+)-(\d+)$/.exec(key);
  return { text: (await header.textContent()).trim(), date: new Date(+year, +month - 1, 15) };
}

describe("languages", () => {
  test("English is the default for an English OS", async () => {
    const page = await app();
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.equal(await page.getAttribute(tid("composer-input"), "placeholder"), "Message Claude…");
    const { text, date } = await monthHeader(page);
    const expected = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric" });
    assert.equal(text, expected.format(date));
  });

  test("switching to 中文 in settings applies at once and keeps the draft", async () => {
    const page = await app();
    await page.fill(tid("composer-input"), "a draft that must survive");
    await chooseLanguage(page, "zh-CN");
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN", "<html lang> follows the UI");
    assert.equal(
      (await page.textContent("#settings-title")).trim(),
      "设置",
      "the settings heading is Chinese without a reload",
    );
    await page.keyboard.press("Escape");
    assert.equal(
      await page.getAttribute(tid("composer-input"), "placeholder"),
      "给 Claude 发消息…",
    );
    assert.equal(
      await page.inputValue(tid("composer-input")),
      "a draft that must survive",
      "switching the language never loses what the user typed",
    );

    // Dates: the month groups of the sidebar in Chinese.
    const { text, date } = await monthHeader(page);
    const zhMonth = new Intl.DateTimeFormat("zh-CN", { month: "long", year: "numeric" });
    assert.equal(text, zhMonth.format(date));
    assert.match(text, /^\d{4}年\d{1,2}月$/);

    // Numbers and money: a reply's usage and cost.
    const id = await send(page, "hello");
    await streamText(page, id, ["你好"]);
    await finish(page, { usage: usage(1234567, 2000) });
    const usageText = (await page.textContent(tid("message-usage"))).trim();
    assert.equal(usageText, "输入 1,234,567 · 输出 2,000");
    const cost = page.locator(tid("message-cost")).last();
    if ((await cost.getAttribute("data-micro-usd")) !== null) {
      assert.match((await cost.textContent()).trim(), /^US\$\d/, "dollars as zh-CN writes them");
    }
  });

  test("the choice is remembered across starts", async () => {
    const page = await app();
    await chooseLanguage(page, "zh-CN");
    await page.reload();
    await page.waitForSelector('[data-testid="app"][data-ready="true"]');
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
    await chooseLanguage(page, "en");
    assert.equal((await page.textContent("#settings-title")).trim(), "Settings");
  });

  test("the sidebar and the shortcuts sheet speak Chinese", async () => {
    const page = await app();
    await chooseLanguage(page, "zh-CN");
    await page.keyboard.press("Escape");
    const text = async (id) => (await page.locator(tid(id)).first().textContent()).trim();
    assert.equal(await text("conversation-new"), "新对话");
    assert.equal(await text("gallery-open"), "图片");
    assert.equal(await text("settings-open"), "设置");
    assert.match(await page.getAttribute(tid("history-search"), "placeholder"), /^搜索 /);
    const row = page.locator(tid("conversation-item")).first();
    assert.match(await row.getAttribute("title"), /^更新于 \d{4}年/, "the row's exact time");
    assert.match(
      await page.locator(tid("conversation-menu")).first().getAttribute("aria-label"),
      /的操作$/,
    );

    await page.click(tid("shortcuts-open"));
    const sheet = await text("shortcuts-sheet");
    assert.match(sheet, /\p{Script=Han}/u, "the sheet is in Chinese");
    for (const english of [
      "Keyboard shortcuts",
      "Anywhere",
      "Composer",
      "New conversation",
      "Click",
    ]) {
      assert.ok(!sheet.includes(english), `"${english}" is still English in the sheet`);
    }
  });

  test("the settings dialog speaks Chinese in every section", async () => {
    const page = await app();
    await chooseLanguage(page, "zh-CN");
    await page.waitForSelector(`${tid("settings-spend")}[aria-busy="false"]`);
    const text = async (id) => (await page.locator(tid(id)).first().innerText()).trim();
    const han = /\p{Script=Han}/u;
    for (const id of [
      "settings-api-key-status",
      "settings-advanced",
      "settings-test-connection",
      "settings-network",
      "settings-models-status",
      "settings-prices",
      "settings-spend",
      "settings-save",
    ]) {
      assert.match(await text(id), han, `${id} is in Chinese`);
    }
    const dialog = await text("settings-dialog");
    for (const english of [
      "Save settings",
      "Test connection",
      "Refresh models",
      "System proxy",
      "Add a model",
      "Prompt caching",
      "Auth header",
      "Automatic titles",
      "Send images at full resolution",
    ]) {
      assert.ok(!dialog.includes(english), `"${english}" is still English in settings`);
    }
  });

  test("the parameters panel speaks Chinese after switching to 中文", async () => {
    const page = await app();
    await chooseLanguage(page, "zh-CN");
    await page.keyboard.press("Escape");
    await page.click(tid("params-open"));
    await page.waitForSelector(tid("param-temperature"));
    // Each control's visible name (its <label>, or what labels the switch), the preset bar's
    // button and the tool choice's options, all found from their test ids.
    const texts = await page.evaluate(() => {
      const byId = (id) => document.querySelector(`[data-testid="${id}"]`);
      const labelOf = (el) =>
        el.labels?.[0]?.textContent ??
        document.getElementById(el.getAttribute("aria-labelledby"))?.textContent;
      const ids = ["param-temperature", "param-stop-sequences", "param-thinking", "tool-choice"];
      return [
        ...ids.map((id) => labelOf(byId(id))),
        byId("preset-save").textContent,
        byId("param-hand-tool-add").textContent,
        ...[...byId("tool-choice").options].map((option) => option.textContent),
      ].map((text) => (text ?? "").trim());
    });
    for (const text of texts) assert.match(text, /\p{Script=Han}/u, `"${text}" is in Chinese`);
    const joined = texts.join(" | ");
    for (const english of [
      "Temperature",
      "Stop sequences",
      "Extended thinking",
      "Save as preset",
    ]) {
      assert.ok(!joined.includes(english), `"${english}" is still English in the panel`);
    }
  });
});
