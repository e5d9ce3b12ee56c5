// Export and import (issue 4): the row menu, the selection bar and the history header start them,
// progress shows while Rust works, the result or the error is a toast, and an import reloads the
// sidebar. The native dialogs are Rust's; the mock stands in for them (see mock-backend.js).
// Run with `node tests/run.mjs tests/export.test.mjs`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seedConversations } from "./fixtures/conversations.mjs";
import { appPerTest, calls, tid } from "./harness.mjs";

const app = appPerTest(() => ({ conversations: seedConversations() }));

const item = (id) => `${tid("conversation-item")}[data-id="${id}"]`;
const infoToast = `${tid("toast")}[data-kind="info"]`;
const errorToast = `${tid("toast")}[data-kind="error"]`;

async function openMenu(page, id) {
  await page.hover(item(id));
  await page.click(`.row:has(${item(id)}) ${tid("conversation-menu")}`);
  await page.waitForSelector(tid("conversation-menu-popup"));
}

async function toastText(page, selector) {
  const toast = page.locator(selector).first();
  await toast.waitFor();
  return (await toast.innerText()).replace(/\s+/g, " ").trim();
}

describe("export", () => {
  test("a row's menu exports that conversation as JSON or Markdown", async () => {
    const page = await app();
    await page.waitForSelector(item("c-rust"));
    await openMenu(page, "c-rust");
    await page.click(tid("conversation-export-json"));
    assert.match(
      await toastText(page, infoToast),
      /Exported 1 conversation to \/home\/ada\/Rust lifetimes explained\.json/,
    );
    assert.equal(await page.locator(tid("conversation-menu-popup")).count(), 0, "menu closed");

    await openMenu(page, "c-kyoto");
    await page.click(tid("conversation-export-markdown"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("export_conversations").length === 2);
    const sent = (await calls(page, "export_conversations")).map((c) => c.args);
    assert.deepEqual(
      sent.map(({ ids, format }) => ({ ids, format })),
      [
        { ids: ["c-rust"], format: "json" },
        { ids: ["c-kyoto"], format: "markdown" },
      ],
    );
    assert.match(sent[0].onProgress, /^__CHANNEL__:/, "progress comes over a Channel");
  });

  test("the selection bar exports the selected conversations", async () => {
    const page = await app();
    await page.click(item("c-rust"));
    await page.click(item("c-kyoto"), { modifiers: ["Control"] });
    await page.waitForSelector(tid("selection-bar"));
    await page.click(tid("selection-export-markdown"));
    assert.match(
      await toastText(page, infoToast),
      /Exported 2 conversations to \/home\/ada\/Exports/,
    );
    await page.click(tid("selection-export-json"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("export_conversations").length === 2);
    const sent = (await calls(page, "export_conversations")).map((c) => c.args);
    assert.deepEqual([...sent[0].ids].sort(), ["c-kyoto", "c-rust"]);
    assert.equal(sent[0].format, "markdown");
    assert.deepEqual([...sent[1].ids].sort(), ["c-kyoto", "c-rust"]);
    assert.equal(sent[1].format, "json");
  });

  test("export all shows progress while it runs, then the result", async () => {
    const page = await app({ generate: 6 });
    await page.evaluate(() => (window.__MOCK__.transferDelayMs = 150));
    await page.click(tid("history-export-all"));
    // Everything read in one go in the page, so a step of progress cannot slip in between.
    const shown = await (
      await page.waitForFunction(
        () => {
          const el = document.querySelector('[data-testid="export-progress"]');
          if (!el) return null;
          return {
            kind: el.dataset.kind,
            done: Number(el.dataset.done),
            total: Number(el.dataset.total),
            text: el.innerText,
            busy: document.querySelector('[data-testid="history-export-all"]').disabled,
          };
        },
        null,
        { timeout: 15_000 },
      )
    ).jsonValue();
    assert.equal(shown.kind, "export");
    const total = shown.total;
    assert.ok(total >= 6, `every live conversation is counted (${total})`);
    assert.ok(shown.done >= 1 && shown.done <= total, `${shown.done} of ${total}`);
    assert.match(shown.text, new RegExp(`Exporting… ${shown.done} of ${total}`));
    assert.equal(shown.busy, true, "one transfer at a time");
    const progress = page.locator(tid("export-progress"));
    await progress.waitFor({ state: "detached", timeout: 15_000 });
    assert.match(await toastText(page, infoToast), new RegExp(`Exported ${total} conversations`));
    const [{ args }] = await calls(page, "export_conversations");
    assert.equal(args.ids, null, "null means everything");
    assert.equal(args.format, "json");
  });

  test("a cancelled dialog ends quietly; a failure shows its message", async () => {
    const page = await app();
    await page.evaluate(() => (window.__MOCK__.dialogCancelled = true));
    await page.click(tid("history-export-all"));
    await page.waitForFunction(() => window.__MOCK__.responses.includes("null"));
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="history-export-all"]').disabled,
    );
    assert.equal(await page.locator(tid("toast")).count(), 0);

    await page.evaluate(() => {
      window.__MOCK__.dialogCancelled = false;
      window.__MOCK__.handlers.export_conversations = () => {
        throw {
          kind: "internal",
          message: "Could not write /mnt/usb/all.json: Read-only file system",
          status: null,
          requestId: null,
        };
      };
    });
    await page.click(tid("history-export-all"));
    assert.match(
      await toastText(page, errorToast),
      /Export failed Could not write \/mnt\/usb\/all\.json: Read-only file system/,
    );
    assert.equal(await page.locator(tid("export-progress")).count(), 0);
  });
});

describe("import", () => {
  test("imports, reloads the sidebar, and a second import adds nothing", async () => {
    const page = await app();
    await page.waitForSelector(item("c-rust"));
    await page.evaluate(() => (window.__MOCK__.transferDelayMs = 150));
    await page.click(tid("history-import"));
    const label = await (
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="export-progress"][data-kind="import"]')?.innerText,
        null,
        { timeout: 15_000 },
      )
    ).jsonValue();
    assert.match(label, /Importing… \d+%/);
    assert.match(await toastText(page, infoToast), /Imported 2 conversations/);
    await page.waitForSelector(item("imported-1"));
    await page.waitForSelector(item("imported-2"));

    await page.evaluate(() => {
      window.__MOCK__.transferDelayMs = 0;
      window.__MOCK__.importFile.conversations.push({
        id: "imported-3",
        title: "Imported chat three",
        text: "new",
      });
    });
    await page.locator(infoToast).first().waitFor({ state: "detached", timeout: 10_000 });
    await page.click(tid("history-import"));
    assert.match(await toastText(page, infoToast), /Imported 1, skipped 2 already present/);
    await page.waitForSelector(item("imported-3"));
    assert.equal(await page.locator(item("imported-1")).count(), 1, "no duplicate row");
  });

  test("a file Parley refuses shows why, and nothing is added", async () => {
    const page = await app();
    await page.waitForSelector(item("c-rust"));
    const rows = await page.locator(tid("conversation-item")).count();
    await page.evaluate(() => {
      window.__MOCK__.handlers.import_conversations = () => {
        throw {
          kind: "invalid_input",
          message:
            "chats.json was written by a newer Parley (export format version 2); this version reads version 1. Update Parley to import it.",
          status: null,
          requestId: null,
        };
      };
    });
    await page.click(tid("history-import"));
    assert.match(
      await toastText(page, errorToast),
      /Import failed chats\.json was written by a newer Parley/,
    );
    assert.equal(await page.locator(tid("conversation-item")).count(), rows);
    assert.equal((await calls(page, "list_history")).length, 1, "no reload after a failure");
  });
});
