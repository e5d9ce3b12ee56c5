// The history sidebar (issue 4): date groups, virtualization, rename, pin, folders, delete with
// undo, multi-select, search as you type and opening a hit. Run with `npm run test:ui`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seedConversations } from "./fixtures/conversations.mjs";
import { calls, messageSel, appPerTest, send, tid } from "./harness.mjs";

const app = appPerTest(() => ({ conversations: seedConversations() }));

const item = (id) => `${tid("conversation-item")}[data-id="${id}"]`;
const count = (page, selector) => page.locator(selector).count();

/** Ids of the rows and labels of the headers, in the order the list shows them. */
function listShape(page) {
  return page.$$eval(
    `${tid("conversation-list")} [data-testid="conversation-item"], ${tid("conversation-list")} [data-testid="conversation-group"], ${tid("conversation-list")} [data-testid="folder"]`,
    (els) =>
      els.map((e) =>
        e.dataset.testid === "conversation-item"
          ? e.dataset.id
          : e.dataset.testid === "folder"
            ? `[${e.querySelector(".folder-name")?.textContent ?? e.dataset.id}]`
            : `# ${e.textContent.trim()}`,
      ),
  );
}

/** Local dates, like the app groups them. */
function localDay(daysBack, hour = 12) {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysBack, hour).getTime();
}

async function openMenu(page, id) {
  await page.hover(item(id));
  await page.click(`.row:has(${item(id)}) ${tid("conversation-menu")}`);
  await page.waitForSelector(tid("conversation-menu-popup"));
}

describe("browse", () => {
  test("pinned first, then folders, then Today, Yesterday, Previous 7 days and months", async () => {
    const now = Date.now();
    const old = new Date(localDay(70));
    const monthLabel = old.toLocaleDateString("en-US", { month: "long", year: "numeric" });
    const page = await app({
      folders: [{ id: "f-work", name: "Work" }],
      conversations: [
        { id: "c-today", title: "Today chat", updatedAt: now - 1000 },
        { id: "c-yesterday", title: "Yesterday chat", updatedAt: localDay(1) },
        { id: "c-week", title: "Week chat", updatedAt: localDay(4) },
        { id: "c-old", title: "Old chat", updatedAt: old.getTime() },
        { id: "c-pinned", title: "Pinned chat", updatedAt: localDay(200), pinned: true },
        { id: "c-work", title: "Work chat", updatedAt: now - 2000, folderId: "f-work" },
        {
          id: "c-thumb",
          title: "Photo chat",
          updatedAt: now - 3000,
          thumbnailSha256: "a1".repeat(32),
        },
      ],
    });
    assert.deepEqual(await listShape(page), [
      "# Pinned",
      "c-pinned",
      "[Work]",
      "c-work",
      "# Today",
      "c-today",
      "c-thumb",
      "# Yesterday",
      "c-yesterday",
      "# Previous 7 days",
      "c-week",
      `# ${monthLabel}`,
      "c-old",
    ]);
    assert.equal(await page.getAttribute(item("c-pinned"), "data-pinned"), "true");
    // The thumbnail loads through read_image for a row in view.
    await page.waitForSelector(`${item("c-thumb")} ${tid("conversation-thumbnail")} img`);
    const reads = await calls(page, "read_image");
    assert.deepEqual(reads[0].args, { sha256: "a1".repeat(32), variant: "thumbnail" });

    // Collapsing a folder hides its conversations.
    await page.click(tid("folder-toggle"));
    assert.equal(await page.getAttribute(tid("folder-toggle"), "aria-expanded"), "false");
    assert.equal(await count(page, item("c-work")), 0);
    await page.click(tid("folder-toggle"));
    await page.waitForSelector(item("c-work"));
  });

  test("20,000 conversations: only a window is in the DOM; the bottom shows the oldest", async () => {
    const page = await app({ conversations: [], generate: 20_000 });
    const list = tid("conversation-list");
    await page.waitForSelector(item("g-0"));
    assert.equal(await page.getAttribute(list, "data-count"), "20000");
    const rendered = await count(page, tid("conversation-item"));
    assert.ok(rendered > 5 && rendered < 100, `${rendered} rows in the DOM`);

    await page.$eval(list, (el) => (el.scrollTop = el.scrollHeight));
    await page.waitForSelector(item("g-19999"));
    assert.ok((await count(page, tid("conversation-item"))) < 100);
    assert.equal(await count(page, item("g-0")), 0, "rows out of view are not rendered");

    // Keyboard: Up/Down move focus row by row, across the rendered window.
    await page.$eval(list, (el) => (el.scrollTop = 0));
    await page.waitForSelector(item("g-0"));
    await page.focus(item("g-0"));
    for (let i = 0; i < 40; i++) await page.keyboard.press("ArrowDown");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.id), "g-40");
    await page.keyboard.press("ArrowUp");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.id), "g-39");
    await page.keyboard.press("End");
    await page.waitForFunction(() => document.activeElement?.dataset.id === "g-19999");
    await page.keyboard.press("Enter");
    await page.waitForSelector(`${item("g-19999")}[data-active="true"]`);
    assert.equal((await calls(page, "open_conversation")).at(-1).args.id, "g-19999");
  });

  test("20,000 conversations: scrolling reuses row elements; focus and the menu stay with their row", async () => {
    const page = await app({ conversations: [], generate: 20_000 });
    const list = tid("conversation-list");
    await page.waitForSelector(item("g-0"));
    const scrollTo = (top) => page.$eval(list, (el, y) => (el.scrollTop = y), top);
    const gone = (id) => page.waitForFunction((sel) => !document.querySelector(sel), item(id));

    // Rows that scroll out of the window lend their elements to the rows coming in.
    await page.evaluate(() => {
      window.__firstRows = [...document.querySelectorAll('[data-testid="conversation-item"]')];
      window.__firstIds = new Set(window.__firstRows.map((el) => el.dataset.id));
    });
    await scrollTo(3000);
    await gone("g-0");
    const reused = await page.evaluate(() => {
      const before = window.__firstIds;
      const kept = window.__firstRows.filter((el) => el.isConnected);
      return {
        kept: kept.length,
        showingOld: kept.filter((el) => before.has(el.dataset.id)).length,
      };
    });
    assert.ok(reused.kept > 0, "row elements were recreated instead of reused");
    assert.equal(reused.showingOld, 0);

    // Focus does not stay on an element that now shows another conversation.
    await scrollTo(0);
    await page.waitForSelector(item("g-2"));
    await page.focus(item("g-2"));
    await scrollTo(3000);
    await gone("g-2");
    const focused = await page.evaluate(() => ({
      testid: document.activeElement?.dataset.testid,
      id: document.activeElement?.dataset.id,
    }));
    assert.notEqual(focused.testid, "conversation-item", `focus stayed on ${focused.id}`);

    // The menu opened from a row gives focus back to that row, even after the list scrolled away.
    await scrollTo(0);
    await page.waitForSelector(item("g-3"));
    await page.focus(item("g-3"));
    await page.keyboard.press("ContextMenu");
    await page.waitForSelector(tid("conversation-menu-popup"));
    await scrollTo(3000);
    await gone("g-3");
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.activeElement?.dataset.id === "g-3");
  });
});

describe("organize", () => {
  test("rename inline: double-click, Enter saves; F2, Escape cancels", async () => {
    const page = await app();
    await page.dblclick(item("c-kyoto"));
    const input = page.locator(tid("conversation-rename-input"));
    await input.waitFor();
    assert.equal(await input.inputValue(), "Trip ideas for Kyoto");
    await input.fill("Kyoto in autumn");
    await input.press("Enter");
    await page.waitForSelector(`${item("c-kyoto")}:has-text("Kyoto in autumn")`);
    assert.deepEqual((await calls(page, "rename_conversation"))[0].args, {
      id: "c-kyoto",
      title: "Kyoto in autumn",
    });
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.id), "c-kyoto");

    await page.keyboard.press("F2");
    await input.waitFor();
    await input.fill("Never saved");
    await input.press("Escape");
    await page.waitForSelector(`${item("c-kyoto")}:has-text("Kyoto in autumn")`);
    assert.equal((await calls(page, "rename_conversation")).length, 1);

    // From the menu, by keyboard.
    await openMenu(page, "c-sql");
    await page.keyboard.press("Enter"); // the first item, Rename, has focus
    await input.waitFor();
    await input.fill("SQL windows");
    await input.press("Enter");
    await page.waitForSelector(`${item("c-sql")}:has-text("SQL windows")`);
  });

  test("pin and unpin from the menu: the row moves to the Pinned group", async () => {
    const page = await app();
    await openMenu(page, "c-essay");
    await page.click(tid("conversation-pin"));
    await page.waitForSelector(`${item("c-essay")}[data-pinned="true"]`);
    assert.deepEqual((await listShape(page)).slice(0, 2), ["# Pinned", "c-essay"]);
    assert.deepEqual((await calls(page, "set_pinned"))[0].args, { id: "c-essay", pinned: true });

    await openMenu(page, "c-essay");
    assert.equal(await page.innerText(tid("conversation-pin")), "Unpin");
    await page.click(tid("conversation-pin"));
    await page.waitForSelector(`${item("c-essay")}[data-pinned="false"]`);
    assert.ok(!(await listShape(page)).includes("# Pinned"));
  });

  test("folders: create, move into, rename, delete with confirmation keeps the conversation", async () => {
    const page = await app();
    await page.click(tid("folder-new"));
    await page.fill(tid("folder-new-input"), "Travel");
    await page.press(tid("folder-new-input"), "Enter");
    await page.waitForSelector(tid("folder"));
    const folderId = await page.getAttribute(tid("folder"), "data-id");
    assert.deepEqual((await calls(page, "create_folder"))[0].args, { name: "Travel" });

    await openMenu(page, "c-kyoto");
    await page.click(`${tid("conversation-move")}[data-folder-id="${folderId}"]`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="folder"] .count')?.textContent?.trim() === "1",
    );
    const shape = await listShape(page);
    assert.deepEqual(shape.slice(0, 2), ["[Travel]", "c-kyoto"]);
    assert.equal(shape.filter((x) => x === "c-kyoto").length, 1, "only inside its folder");
    assert.deepEqual((await calls(page, "move_to_folder"))[0].args, {
      ids: ["c-kyoto"],
      folderId,
    });

    await page.hover(tid("folder"));
    await page.click(tid("folder-rename"));
    await page.fill(tid("folder-rename-input"), "Trips");
    await page.press(tid("folder-rename-input"), "Enter");
    await page.waitForSelector(`${tid("folder")}:has-text("Trips")`);
    assert.deepEqual((await calls(page, "rename_folder"))[0].args, { id: folderId, name: "Trips" });

    await page.hover(tid("folder"));
    await page.click(tid("folder-delete"));
    await page.click(tid("folder-delete-cancel"));
    assert.equal(await count(page, tid("folder")), 1, "cancel keeps the folder");
    await page.hover(tid("folder"));
    await page.click(tid("folder-delete"));
    await page.click(tid("folder-delete-confirm"));
    await page.waitForSelector(tid("folder"), { state: "detached" });
    assert.deepEqual((await calls(page, "delete_folder"))[0].args, { id: folderId });
    await page.waitForSelector(item("c-kyoto"));

    // Back out of a folder: "No folder".
    await page.click(tid("folder-new"));
    await page.fill(tid("folder-new-input"), "Again");
    await page.press(tid("folder-new-input"), "Enter");
    await page.waitForSelector(tid("folder"));
    await openMenu(page, "c-kyoto");
    await page.click(`${tid("conversation-move")}:not([data-folder-id=""])`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="folder"] .count')?.textContent?.trim() === "1",
    );
    await openMenu(page, "c-kyoto");
    await page.click(`${tid("conversation-move")}[data-folder-id=""]`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="folder"] .count')?.textContent?.trim() === "0",
    );
  });

  test("delete shows an undo toast; Undo restores; expiry purges the trash", async () => {
    const page = await app();
    await page.click(item("c-kyoto"));
    await page.waitForSelector(messageSel("u-kyoto"));
    await openMenu(page, "c-kyoto");
    await page.click(tid("conversation-delete"));
    await page.waitForSelector(item("c-kyoto"), { state: "detached" });
    await page.waitForSelector(tid("empty-state"));
    const toast = page.locator(`${tid("toast")}[data-kind="info"]`);
    await toast.waitFor();
    assert.deepEqual((await calls(page, "trash_conversations"))[0].args, { ids: ["c-kyoto"] });

    await page.click(tid("toast-undo"));
    await page.waitForSelector(item("c-kyoto"));
    assert.deepEqual((await calls(page, "restore_conversations"))[0].args, { ids: ["c-kyoto"] });
    assert.equal(await count(page, tid("toast-undo")), 0);
    assert.equal((await calls(page, "purge_trash")).length, 0, "nothing purged after Undo");

    // The Delete key, then let the toast expire.
    await page.focus(item("c-sql"));
    await page.keyboard.press("Delete");
    await page.waitForSelector(item("c-sql"), { state: "detached" });
    await page.waitForSelector(tid("toast-undo"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("purge_trash").length === 1, null, {
      timeout: 9_000,
    });
    assert.equal(await count(page, tid("toast-undo")), 0);
    assert.equal(await page.evaluate(() => window.__MOCK__.conversation("c-sql")), null);
    assert.notEqual(await page.evaluate(() => window.__MOCK__.conversation("c-kyoto")), null);
  });

  test("multi-select with Ctrl and Shift; the bar deletes and moves the selection", async () => {
    const page = await app({ folders: [{ id: "f-keep", name: "Keep" }] });
    await page.click(item("c-rust"));
    await page.waitForSelector(`${item("c-rust")}[data-active="true"]`);
    await page.click(item("c-kyoto"), { modifiers: ["Control"] });
    await page.waitForSelector(tid("selection-bar"));
    assert.equal(await page.getAttribute(item("c-rust"), "data-selected"), "true");
    assert.equal(await page.getAttribute(item("c-kyoto"), "data-selected"), "true");
    // Shift selects the range from the last Ctrl+click.
    await page.click(item("c-sql"), { modifiers: ["Shift"] });
    assert.equal(await count(page, `${tid("conversation-item")}[data-selected="true"]`), 3);
    assert.equal(await page.getAttribute(item("c-blocks"), "data-selected"), "true");
    assert.equal(await page.getAttribute(item("c-rust"), "data-selected"), "false");

    // Move two to a folder.
    await page.click(item("c-kyoto"), { modifiers: ["Control"] });
    assert.equal(await count(page, `${tid("conversation-item")}[data-selected="true"]`), 2);
    await page.selectOption(tid("selection-move"), "f-keep");
    await page.waitForFunction(
      () => document.querySelector('[data-testid="folder"] .count')?.textContent?.trim() === "2",
    );
    const moved = (await calls(page, "move_to_folder"))[0].args;
    assert.deepEqual([...moved.ids].sort(), ["c-blocks", "c-sql"]);
    assert.equal(moved.folderId, "f-keep");

    // Delete the open conversation with another: both go, the empty state shows, Undo restores.
    await page.click(item("c-rust"), { modifiers: ["Control"] });
    await page.click(item("c-regex"), { modifiers: ["Control"] });
    await page.click(tid("selection-delete"));
    await page.waitForSelector(item("c-rust"), { state: "detached" });
    await page.waitForSelector(item("c-regex"), { state: "detached" });
    await page.waitForSelector(tid("empty-state"));
    assert.equal(await count(page, tid("selection-bar")), 0);
    const trashed = (await calls(page, "trash_conversations"))[0].args.ids;
    assert.deepEqual([...trashed].sort(), ["c-regex", "c-rust"]);
    await page.click(tid("toast-undo"));
    await page.waitForSelector(item("c-regex"));
    await page.waitForSelector(item("c-rust"));
  });

  test("a title made by the model replaces the row's title live", async () => {
    const page = await app();
    await send(page, "Tell me about otters");
    await page.waitForSelector(`${tid("conversation-item")}[data-active="true"]`);
    const id = await page.evaluate(() => window.__MOCK__.lastChannel.conversationId);
    await page.evaluate(
      (conversationId) =>
        window.__MOCK__.emit({ type: "titleUpdated", conversationId, title: "Otter facts" }),
      id,
    );
    await page.waitForSelector(`${item(id)}:has-text("Otter facts")`);
    // The row is read again (the newest read wins over one started before the title), and the
    // whole list never is.
    await page.waitForFunction(
      (conversationId) =>
        window.__MOCK__.callsOf("conversation_summary").filter((c) => c.args.id === conversationId)
          .length >= 2,
      id,
    );
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    assert.match(await page.locator(item(id)).innerText(), /Otter facts/);
    assert.equal((await calls(page, "list_history")).length, 1, "no full reload");
  });

  test("Automatic titles: Off or a model, saved with the settings", async () => {
    const page = await app();
    await page.click(tid("settings-open"));
    const select = tid("settings-title-model");
    assert.equal(await page.inputValue(select), "claude-haiku-4-5");
    const options = await page.$$eval(`${select} option`, (els) => els.map((e) => e.value));
    assert.deepEqual(options, [
      "",
      "claude-opus-4-1",
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
      "claude-sonnet-4-5-thinking",
      "claude-3-5-haiku",
    ]);
    const labels = await page.$$eval(`${select} option`, (els) => els.map((e) => e.textContent));
    assert.equal(labels[2], "Claude Sonnet 4.5", "models show their display names");
    await page.selectOption(select, "");
    await page.click(tid("settings-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_settings").length === 1);
    assert.equal((await calls(page, "save_settings"))[0].args.settings.titleModel, null);
  });
});

describe("search", () => {
  const hostileSeed = {
    id: "c-html",
    title: "Markup talk",
    updatedAt: Date.now() - 60_000,
    turns: [
      {
        user: 'Is <b>bold</b> or <img src=x onerror="window.__pwned=1"> safe?',
        userExtra: { id: "u-html" },
        replies: [{ id: "a-html", blocks: [{ type: "text", text: "Shown as text." }] }],
      },
    ],
  };

  test("results as you type, highlighted with <mark>; Escape clears", async () => {
    const page = await app();
    await page.keyboard.press("Control+k");
    assert.equal(
      await page.evaluate(() => document.activeElement?.dataset.testid),
      "history-search",
    );
    await page.keyboard.type("borrow", { delay: 20 });
    const hit = page.locator(`${tid("search-result")}[data-message-id="a-rust"]`);
    await hit.waitFor();
    assert.equal(await hit.getAttribute("data-conversation-id"), "c-rust");
    assert.equal(await hit.locator("mark").innerText(), "borrow");
    assert.match(await hit.innerText(), /Rust lifetimes explained/);
    // Debounced: typing six letters quickly asks far fewer than six times.
    const searches = await calls(page, "search_history");
    assert.ok(searches.length <= 3, `${searches.length} searches`);
    assert.deepEqual(searches.at(-1).args, { query: "borrow", limit: 50 });
    assert.equal(await count(page, tid("conversation-list")), 0, "results replace the list");

    await page.fill(tid("history-search"), "zebra crossing");
    await page.waitForSelector(`${tid("search-status")}[data-state="empty"]`);

    await page.press(tid("history-search"), "Escape");
    assert.equal(await page.inputValue(tid("history-search")), "");
    await page.waitForSelector(tid("conversation-list"));
  });

  test("stale answers are ignored and the loading state shows", async () => {
    const page = await app();
    await page.evaluate(() => {
      window.__MOCK__.handlers.search_history = async (args, defaults) => {
        if (args.query === "ky") await new Promise((ok) => setTimeout(ok, 800));
        return defaults.search_history(args);
      };
    });
    await page.fill(tid("history-search"), "ky");
    await page.waitForSelector(`${tid("search-status")}[data-state="loading"]`);
    await page.waitForFunction(() => window.__MOCK__.callsOf("search_history").length === 1);
    await page.fill(tid("history-search"), "kyoto");
    await page.waitForSelector(`${tid("search-result")}[data-message-id="u-kyoto"]`);
    await page.waitForTimeout(1000);
    const hits = await page.$$eval(tid("search-result"), (els) =>
      els.map((e) => e.querySelector("mark")?.textContent),
    );
    assert.ok(hits.length > 0 && hits.every((m) => m.toLowerCase() === "kyoto"), `${hits}`);
  });

  test("a hostile query goes through as literal text; snippets stay text", async () => {
    const page = await app({ conversations: [...seedConversations(), hostileSeed] });
    const hostile = `"unbalanced AND NEAR(* OR <script>`;
    await page.fill(tid("history-search"), hostile);
    await page.waitForSelector(`${tid("search-status")}[data-state="empty"]`);
    assert.equal((await calls(page, "search_history")).at(-1).args.query, hostile);

    await page.fill(tid("history-search"), "<img");
    const hit = page.locator(`${tid("search-result")}[data-message-id="u-html"]`);
    await hit.waitFor();
    assert.equal(await hit.locator("mark").innerText(), "<img");
    assert.equal(await hit.locator("img, b, script").count(), 0, "no markup from the snippet");
    assert.match(await hit.innerText(), /<b>bold<\/b>/);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  test("opening a hit shows its branch, scrolls to the message and highlights it", async () => {
    const turns = Array.from({ length: 30 }, (_, i) => ({
      user: i === 2 ? "Where do herons nest?" : `Question ${i}`,
      userExtra: { id: `u-long-${i}` },
      replies: [
        { id: `a-long-${i}`, blocks: [{ type: "text", text: `Answer ${i}. `.repeat(40) }] },
      ],
    }));
    const page = await app({
      conversations: [
        ...seedConversations(),
        { id: "c-long", title: "Birds", updatedAt: Date.now() - 2 * 86_400_000, turns },
      ],
    });
    // A hit on the inactive branch (the second reply of Kyoto), opened with the keyboard.
    await page.fill(tid("history-search"), "gardens");
    await page.waitForSelector(`${tid("search-result")}[data-message-id="a-k2"]`);
    await page.press(tid("history-search"), "ArrowDown");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.messageId), "a-k2");
    await page.keyboard.press("Enter");
    await page.waitForSelector(messageSel("a-k2", '[data-highlighted="true"]'));
    assert.deepEqual((await calls(page, "open_search_hit"))[0].args, { messageId: "a-k2" });
    // The results stay until the search is cleared; then the list shows the open conversation.
    await page.fill(tid("history-search"), "");
    await page.waitForSelector(`${item("c-kyoto")}[data-active="true"]`);

    // A message far up a long conversation is scrolled into view.
    await page.fill(tid("history-search"), "herons");
    await page.click(`${tid("search-result")}[data-message-id="u-long-2"]`);
    const target = page.locator(messageSel("u-long-2", '[data-highlighted="true"]'));
    await target.waitFor();
    await page.waitForFunction((sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    }, messageSel("u-long-2"));
    // The highlight is brief.
    await page.waitForSelector(messageSel("u-long-2", ':not([data-highlighted="true"])'), {
      timeout: 5_000,
    });
  });
});
