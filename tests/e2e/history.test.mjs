// End to end, history (issue 4): chat in three conversations, restart, find a Chinese substring of
// one of them through search, open the hit, rename, delete and undo, export everything as JSON
// through the real save dialog, import it into a fresh data directory through the real open
// dialog, and see the same conversations there.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  lastAssistant,
  launchApp,
  newDataDir,
  saveKeyInSettings,
  saveScreenshot,
  sendMessage,
  startMockServer,
} from "./harness.mjs";
import { answerFileDialog } from "./tools/native_dialog.mjs";

const KEY = "sk-ant-e2e-history-0123456789";
const CONVERSATIONS = [
  "Plan a weekend in Lisbon with a small budget",
  "北京烤鸭的做法是什么？请一步一步说明",
  "Explain the borrow checker to a Python programmer",
];
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

/** Progress on stderr, so a hang in CI shows where it stopped. */
function step(text) {
  process.stderr.write(`[e2e history] ${text}\n`);
}

/** The sidebar's rows as `{id, title}`, top to bottom (the list is virtual; all fit here). */
function sidebarRows(app) {
  return app.execute(
    `return [...document.querySelectorAll('[data-testid="conversation-item"]')]
       .map((row) => ({ id: row.dataset.id, title: row.querySelector(".title")?.textContent ?? "" }))`,
  );
}

/** Clicks an element through the page: for controls shown only on hover or focus. */
function clickInPage(app, selector) {
  return app.execute(
    `const el = document.querySelector(arguments[0]);
     if (!el) throw new Error("no element " + arguments[0]);
     el.click(); return true;`,
    [selector],
  );
}

async function waitForRowCount(app, count) {
  return app.waitFor(`${count} conversations in the sidebar`, async () => {
    const rows = await sidebarRows(app);
    return rows.length === count ? rows : null;
  });
}

test("history: search after a restart, open a hit, rename, delete with undo, export and import", async (t) => {
  const dataDir = newDataDir();
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app?.quit());
  try {
    await saveKeyInSettings(app, KEY);

    // 1. Three conversations.
    for (const [index, text] of CONVERSATIONS.entries()) {
      step(`conversation ${index + 1}`);
      if (index > 0) await (await app.find("conversation-new")).click();
      await sendMessage(app, text);
      await lastAssistant(app, ["done"]);
      await waitForRowCount(app, index + 1);
    }

    // 2. Restart.
    step("restarting");
    await app.quit();
    app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
    const rows = await waitForRowCount(app, 3);

    // 3. Search a Chinese substring from the middle of the second conversation.
    step("searching 烤鸭");
    const search = await app.find("history-search");
    await search.click();
    await search.type("烤鸭");
    const hits = await app.waitFor("search hits for 烤鸭", async () => {
      const found = await app.findAll("search-result");
      return found.length > 0 ? found : null;
    });
    const hitConversation = await hits[0].attr("data-conversation-id");
    const hitMessage = await hits[0].attr("data-message-id");
    const snippet = await (await hits[0].find("search-snippet")).text();
    assert.match(snippet, /烤鸭/, "the snippet shows the match");
    const mark = await app.execute(
      `return document.querySelector('[data-testid="search-snippet"] mark')?.textContent ?? null`,
    );
    assert.equal(mark, "烤鸭", "the match is highlighted");

    // 4. Open the hit: that conversation, that message, highlighted.
    step("opening the hit");
    await hits[0].click();
    await app.waitFor("the hit's message highlighted", async () => {
      const message = await app.find("message", `[data-id="${hitMessage}"]`);
      return (await message.attr("data-highlighted")) === "true";
    });
    const chinese = rows.find((row) => row.id === hitConversation);
    assert.ok(chinese, "the hit belongs to a listed conversation");
    // Escape clears the search, and the sidebar shows the list again with that row active.
    await search.type("\uE00C");
    await app.waitFor(
      "the hit's conversation active",
      async () =>
        (await (
          await app.find("conversation-item", `[data-id="${hitConversation}"]`)
        ).attr("data-active")) === "true",
    );

    // 5. Rename it inline.
    step("renaming");
    await clickInPage(
      app,
      `[data-testid="conversation-item"][data-id="${hitConversation}"] ~ [data-testid="conversation-menu"]`,
    );
    await (await app.find("conversation-rename")).click();
    const input = await app.find("conversation-rename-input");
    // Backspace over the old title first: WebDriver puts the caret at the end, undoing the
    // input's own select-all.
    const old = await app.execute(`return document.querySelector('[data-testid="conversation-rename-input"]').value`);
    await input.type("\uE003".repeat(old.length) + "烤鸭 recipe\uE007");
    await app.waitFor("the new title", async () =>
      (await sidebarRows(app)).some((row) => row.id === hitConversation && row.title === "烤鸭 recipe"),
    );

    // 6. Delete another one, then undo.
    step("deleting and undoing");
    const victim = (await sidebarRows(app)).find((row) => row.id !== hitConversation);
    await clickInPage(
      app,
      `[data-testid="conversation-item"][data-id="${victim.id}"] ~ [data-testid="conversation-menu"]`,
    );
    await (await app.find("conversation-delete")).click();
    await waitForRowCount(app, 2);
    await (await app.find("toast-undo")).click();
    await waitForRowCount(app, 3);
    const before = (await sidebarRows(app)).map((row) => `${row.id} ${row.title}`).sort();

    // 7. Export everything as JSON through the real save dialog.
    step("exporting");
    const exportDir = mkdtempSync(join(tmpdir(), "parley e2e export "));
    const exportFile = join(exportDir, "all conversations.json");
    await (await app.find("history-export-all")).click();
    await answerFileDialog("Export conversations", exportFile, { save: true });
    await app.waitFor("the export file", async () => existsSync(exportFile), 30000);
    await app.waitFor("the export's result toast", async () =>
      (await app.findAll("toast", '[data-kind="info"]')).length > 0,
    );
    const exported = readFileSync(exportFile, "utf8");
    assert.ok(!exported.includes(KEY), "the export does not contain the API key");
    assert.match(exported, /烤鸭 recipe/, "the export holds the renamed title");
    await app.quit();

    // 8. Import it into a fresh data directory: the same conversations.
    step("importing into a fresh data directory");
    app = await launchApp({ dataDir: newDataDir(), baseUrl: mock.baseUrl });
    await app.find("composer-input");
    assert.equal((await sidebarRows(app)).length, 0, "a fresh data directory is empty");
    await (await app.find("history-import")).click();
    await answerFileDialog("Import conversations", exportFile);
    const imported = await waitForRowCount(app, 3);
    assert.deepEqual(imported.map((row) => `${row.id} ${row.title}`).sort(), before);
    await (await app.find("conversation-item", `[data-id="${hitConversation}"]`)).click();
    await app.waitFor("the imported messages", async () => {
      const texts = await app.execute(
        `return [...document.querySelectorAll('[data-testid="message-content"]')].map((m) => m.textContent)`,
      );
      return texts.some((text) => text.includes("北京烤鸭的做法")) ? texts : null;
    });
  } catch (error) {
    await saveScreenshot(app, "history-failure");
    throw error;
  }
});
