// The images gallery (issue 4, point 6): every image sent, newest first, paged as it scrolls,
// thumbnails only for tiles on screen, keyboard navigation, and opening an image on its message.
// Run with `npm run test:ui` (or `node tests/run.mjs tests/gallery.test.mjs`).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seedConversations } from "./fixtures/conversations.mjs";
import { appPerTest, calls, messageSel, tid } from "./harness.mjs";

const app = appPerTest(() => ({ conversations: seedConversations() }));

const PAGE = 60;
const tile = (messageId) => `${tid("gallery-item")}[data-message-id="${messageId}"]`;
const tileIds = (page) =>
  page.$$eval(tid("gallery-item"), (els) => els.map((e) => e.dataset.messageId));
const range = (from, to) => Array.from({ length: to - from }, (_, i) => `img-${from + i}`);

async function openGallery(page) {
  await page.click(tid("gallery-open"));
  await page.waitForSelector(tid("gallery"));
}

/** Scrolls the gallery to its end and waits until `count` tiles are shown. */
async function scrollToEnd(page, count) {
  await page.$eval(`${tid("gallery")} .scroller`, (el) => {
    el.scrollTop = el.scrollHeight;
  });
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(sel).length === n,
    [tid("gallery-item"), count],
  );
}

const focusedMessageId = (page) => page.evaluate(() => document.activeElement?.dataset.messageId);

describe("images gallery", () => {
  test("with no images sent: an empty state; Escape closes it and gives focus back", async () => {
    const page = await app();
    assert.equal(await page.getAttribute(tid("gallery-open"), "aria-pressed"), "false");
    await openGallery(page);
    assert.equal(await page.getAttribute(tid("gallery-open"), "aria-pressed"), "true");
    const status = page.locator(`${tid("gallery-status")}[data-state="empty"]`);
    await status.waitFor();
    assert.match(await status.innerText(), /No images yet/);
    assert.equal(await page.locator(tid("gallery-item")).count(), 0);
    assert.deepEqual((await calls(page, "list_gallery"))[0].args, { before: null, limit: PAGE });
    // The chat is covered, not gone.
    assert.equal(await page.isVisible(tid("composer-input")), false);

    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("gallery"), { state: "detached" });
    assert.equal(await page.isVisible(tid("composer-input")), true);
    assert.equal(
      await page.evaluate(() => document.activeElement?.dataset.testid),
      "gallery-open",
      "focus goes back to where it was",
    );
  });

  test("a loading state until the first page arrives, then tiles newest first", async () => {
    const page = await app({ generateImages: 8 });
    await page.evaluate(() => {
      window.__releaseGallery = null;
      window.__MOCK__.handlers.list_gallery = (args, defaults) =>
        new Promise((ok) => (window.__releaseGallery = () => ok(defaults.list_gallery(args))));
    });
    await openGallery(page);
    await page.waitForSelector(`${tid("gallery-status")}[data-state="loading"]`);
    assert.equal(await page.getAttribute(tid("gallery"), "aria-busy"), "true");
    await page.evaluate(() => window.__releaseGallery());
    await page.waitForSelector(tile("img-7"));
    assert.equal(await page.locator(tid("gallery-status")).count(), 0, "no status once loaded");

    assert.deepEqual(await tileIds(page), range(0, 8), "newest first");
    const newest = page.locator(tile("img-0"));
    assert.equal(await newest.getAttribute("data-conversation-id"), "album-0");
    assert.equal(
      await newest.getAttribute("data-sha256"),
      await page.evaluate(() => window.__MOCK__.sha("img-0")),
    );
    assert.equal(await page.locator(tile("img-4")).getAttribute("data-conversation-id"), "album-1");
    // Labelled with the conversation and the date, on the tile and its image.
    const label = await newest.getAttribute("aria-label");
    assert.match(label, /^Image in “Album 0”, sent \w{3} \d{1,2}, \d{4}/);
    await page.waitForSelector(`${tile("img-0")}[data-status="ready"] img`);
    assert.equal(await page.getAttribute(`${tile("img-0")} img`, "alt"), label);
    assert.equal(await page.getAttribute(tid("gallery"), "aria-busy"), "false");
  });

  test("pages load as the grid scrolls; thumbnails only for tiles on screen", async () => {
    const page = await app({ generateImages: 150 });
    await openGallery(page);
    await page.waitForSelector(tile(`img-${PAGE - 1}`));
    assert.equal(await page.locator(tid("gallery-item")).count(), PAGE);
    assert.equal((await calls(page, "list_gallery")).length, 1, "one page fills the screen");

    // Only the tiles in (or just below) the viewport asked for their thumbnail.
    await page.waitForSelector(`${tile("img-0")}[data-status="ready"]`);
    const thumbsAtTop = (await calls(page, "read_image")).filter(
      (c) => c.args.variant === "thumbnail",
    );
    assert.ok(thumbsAtTop.length > 0 && thumbsAtTop.length < 40, `${thumbsAtTop.length} reads`);
    assert.equal(
      await page.getAttribute(tile(`img-${PAGE - 1}`), "data-status"),
      "idle",
      "a tile far below the fold has not loaded its thumbnail",
    );

    await scrollToEnd(page, 2 * PAGE);
    let pages = await calls(page, "list_gallery");
    assert.equal(pages.length, 2);
    assert.deepEqual(pages[1].args.before, {
      createdAt: await page.evaluate(() => window.__MOCK__.message("img-59").createdAt),
      messageId: "img-59",
      position: 0,
    });
    // Scrolled to the old end: those tiles load their thumbnails, the new end waits its turn.
    await page.waitForSelector(`${tile(`img-${PAGE - 1}`)}[data-status="ready"]`);
    assert.equal(await page.getAttribute(tile(`img-${2 * PAGE - 1}`), "data-status"), "idle");

    await scrollToEnd(page, 150);
    assert.deepEqual(await tileIds(page), range(0, 150), "every image once, newest first");
    // The last page said there is no more: scrolling further asks for nothing.
    await page.$eval(`${tid("gallery")} .scroller`, (el) => {
      el.scrollTop = 0;
      el.scrollTop = el.scrollHeight;
    });
    await page.waitForTimeout(200);
    pages = await calls(page, "list_gallery");
    assert.equal(pages.length, 3);
    assert.equal(pages[2].args.before.messageId, `img-${2 * PAGE - 1}`);
  });

  test("clicking an image opens its conversation at that message, highlighted", async () => {
    const page = await app({ generateImages: 12 });
    await openGallery(page);
    await page.click(tile("img-4"));
    await page.waitForSelector(tid("gallery"), { state: "detached" });
    await page.waitForSelector(messageSel("img-4", '[data-highlighted="true"]'));
    assert.deepEqual((await calls(page, "open_search_hit")).at(-1).args, { messageId: "img-4" });
    await page.waitForSelector(
      `${tid("conversation-item")}[data-id="album-1"][data-active="true"]`,
    );
    assert.equal(await page.getAttribute(tid("gallery-open"), "aria-pressed"), "false");
  });

  test("from the keyboard: arrows move across the grid, Enter opens the image", async () => {
    const page = await app({ generateImages: 30 });
    await page.focus(tid("gallery-open"));
    await page.keyboard.press("Enter");
    await page.waitForSelector(tile("img-0"));
    await page.waitForFunction(() => document.activeElement?.dataset.messageId === "img-0");
    // One tile is in the tab order (roving tabindex).
    assert.equal(await page.locator(`${tid("gallery-item")}[tabindex="0"]`).count(), 1);

    await page.keyboard.press("ArrowRight");
    assert.equal(await focusedMessageId(page), "img-1");
    const columns = await page.$eval(
      `${tid("gallery")} ul`,
      (ul) => getComputedStyle(ul).gridTemplateColumns.split(" ").length,
    );
    assert.ok(columns >= 3, `${columns} columns at 1280 px`);
    await page.keyboard.press("ArrowDown");
    assert.equal(await focusedMessageId(page), `img-${1 + columns}`);
    await page.keyboard.press("ArrowLeft");
    assert.equal(await focusedMessageId(page), `img-${columns}`);
    await page.keyboard.press("ArrowUp");
    assert.equal(await focusedMessageId(page), "img-0");
    await page.keyboard.press("End");
    assert.equal(await focusedMessageId(page), "img-29");
    await page.keyboard.press("Home");
    assert.equal(await focusedMessageId(page), "img-0");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.getAttribute(tile("img-1"), "tabindex"), "0");

    await page.keyboard.press("Enter");
    await page.waitForSelector(messageSel("img-1", '[data-highlighted="true"]'));
    assert.equal(await page.locator(tid("gallery")).count(), 0);
  });

  test("a typed draft survives a visit; choosing a conversation closes the gallery", async () => {
    const page = await app({ generateImages: 3 });
    await page.fill(tid("composer-input"), "half-written thought");
    await openGallery(page);
    await page.click(tid("gallery-close"));
    await page.waitForSelector(tid("gallery"), { state: "detached" });
    assert.equal(await page.inputValue(tid("composer-input")), "half-written thought");

    await openGallery(page);
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(tid("gallery"), { state: "detached" });
    await page.waitForSelector(messageSel("a-rust"));

    // Even the conversation already open: the click brings the chat back.
    await openGallery(page);
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(tid("gallery"), { state: "detached" });

    // So does a new conversation (Ctrl+N).
    await openGallery(page);
    await page.keyboard.press("Control+n");
    await page.waitForSelector(tid("gallery"), { state: "detached" });
  });

  test("a failed page shows the error and can be tried again", async () => {
    const page = await app({ generateImages: 5 });
    await page.evaluate(() => {
      window.__MOCK__.handlers.list_gallery = () => {
        delete window.__MOCK__.handlers.list_gallery;
        throw { kind: "database", message: "disk I/O error", status: null, requestId: null };
      };
    });
    await openGallery(page);
    const status = page.locator(`${tid("gallery-status")}[data-state="error"]`);
    await status.waitFor();
    assert.match(await status.innerText(), /disk I\/O error/);
    await page.click(tid("gallery-retry"));
    await page.waitForSelector(tile("img-4"));
    assert.equal(await page.locator(tid("gallery-status")).count(), 0);
  });

  test("light and dark themes: the gallery follows the theme toggle", async () => {
    const page = await app({ generateImages: 2, colorScheme: "light" });
    await openGallery(page);
    await page.waitForSelector(tile("img-1"));
    const colours = () =>
      page.evaluate(() => {
        const gallery = document.querySelector('[data-testid="gallery"]');
        const caption = gallery.querySelector('[data-testid="gallery-item"] .title');
        return {
          theme: document.documentElement.dataset.theme,
          background: getComputedStyle(gallery).backgroundColor,
          text: getComputedStyle(caption).color,
        };
      });
    const light = await colours();
    await page.click(tid("theme-toggle"));
    // Buttons fade their colours (0.12 s): wait until the caption's has settled.
    await page.waitForFunction(
      (darkText) =>
        getComputedStyle(
          document.querySelector('[data-testid="gallery-item"] .title'),
        ).color.replace(/\s/g, "") === darkText,
      "rgb(236,235,231)",
    );
    const dark = await colours();
    assert.deepEqual([light.theme, dark.theme], ["light", "dark"]);
    assert.equal(dark.background, "rgb(30, 29, 27)", "the dark --bg");
    assert.notEqual(light.background, dark.background);
    assert.notEqual(light.text, dark.text);
    assert.equal(await page.locator(tid("gallery")).count(), 1, "the gallery stays open");
  });
});
