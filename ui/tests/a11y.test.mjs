// Accessibility: axe-core over every view and dialog in both themes, the live announcer (a
// streamed reply is announced once, an error once and assertively), keyboard-only journeys with
// focus checked after each step, the shortcuts sheet, text zoom and reduced motion.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { photoConversation, seedConversations } from "./fixtures/conversations.mjs";
import { appPerTest, emit, finish, messageSel, send, streamText, tid } from "./harness.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const app = appPerTest(() => ({ conversations: [photoConversation(), ...seedConversations()] }));

/** Runs axe on the page as it is and fails on any serious or critical violation. */
async function axe(page, where) {
  // page.evaluate is not subject to the page's CSP, unlike a <script> tag.
  await page.evaluate(`window.axe || ${AXE}`);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
      }));
  });
  assert.deepEqual(
    violations,
    [],
    `${where}: serious or critical axe violations shut someone out:\n${JSON.stringify(violations, null, 2)}`,
  );
}

/** The data-testid of the focused element (or its tag when it has none). */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute("data-testid") ?? el?.tagName.toLowerCase() ?? null;
  });

async function openConversation(page, id) {
  await page.click(`${tid("conversation-item")}[data-id="${id}"]`);
  await page.waitForSelector(`${tid("conversation-item")}[data-id="${id}"][data-active="true"]`);
  await page.waitForSelector(tid("message"));
}

/** Counts changes of a live region's `data-last-announcement` from now on. */
async function watchAnnouncements(page, testid) {
  await page.evaluate((id) => {
    const region = document.querySelector(`[data-testid="${id}"]`);
    window.__announced ??= {};
    const seen = (window.__announced[id] = []);
    new MutationObserver(() => seen.push(region.getAttribute("data-last-announcement"))).observe(
      region,
      { attributes: true, attributeFilter: ["data-last-announcement"] },
    );
  }, testid);
}
const announced = (page, testid) => page.evaluate((id) => window.__announced[id], testid);

for (const [colorScheme, uiLocale] of [
  ["light", "en"],
  ["dark", "en"],
  ["light", "zh-CN"],
  ["dark", "zh-CN"],
]) {
  describe(`axe, ${colorScheme} theme, ${uiLocale}`, () => {
    test(`the main views have no serious or critical violations (${colorScheme}, ${uiLocale})`, async () => {
      const page = await app({ colorScheme, uiLocale });
      assert.equal(await page.getAttribute("html", "lang"), uiLocale);
      await axe(page, "empty state");

      await openConversation(page, "c-rust");
      await page.waitForSelector(`${tid("message")} pre code`);
      await axe(page, "a chat with text and code");

      await openConversation(page, "c-blocks");
      await axe(page, "a chat with tool calls");

      await openConversation(page, "c-photo");
      await page.waitForSelector(`${tid("message")} ${tid("attachment")} img`);
      await axe(page, "a chat with images");

      await page.click(`${tid("message")} button${tid("attachment")}`);
      await page.waitForSelector(`${tid("image-viewer")}[data-state="ready"]`);
      await axe(page, "the image viewer");
      await page.keyboard.press("Escape");
      await page.waitForSelector(tid("image-viewer"), { state: "detached" });

      const id = await send(page, "fail please");
      await finish(page, {
        status: "error",
        stopReason: null,
        error: { kind: "overloaded", message: "Overloaded", status: 529, requestId: "req_1" },
      });
      await page.waitForSelector(messageSel(id, ` ${tid("message-error")}`));
      await axe(page, "a failed reply");

      await page.fill(tid("history-search"), "lifetime");
      await page.waitForSelector(tid("search-result"));
      await axe(page, "the sidebar with search results");
      await page.fill(tid("history-search"), "zebra crossing");
      await page.waitForSelector(`${tid("search-status")}[data-state="empty"]`);
      await axe(page, "a search without results");
      await page.fill(tid("history-search"), "");
    });

    test(`dialogs and the gallery have no serious or critical violations (${colorScheme}, ${uiLocale})`, async () => {
      const page = await app({ colorScheme, uiLocale, generateImages: 6 });
      await page.click(tid("settings-open"));
      await page.waitForSelector(`${tid("settings-dialog")}[open]`);
      await axe(page, "settings");
      await page.keyboard.press("Escape");

      await page.click(tid("shortcuts-open"));
      await page.waitForSelector(tid("shortcuts-sheet"));
      await axe(page, "the shortcuts sheet");
      await page.keyboard.press("Escape");
      await page.waitForSelector(tid("shortcuts-sheet"), { state: "detached" });

      await page.click(tid("gallery-open"));
      await page.waitForSelector(`${tid("gallery-item")}[data-status="ready"]`);
      await axe(page, "the gallery");
    });
  });
}

describe("live announcer", () => {
  test("a reply streamed as 500 deltas is announced exactly once, when it ends", async () => {
    const page = await app();
    const region = tid("live-announcer");
    assert.equal(await page.getAttribute(region, "aria-live"), "polite");
    const id = await send(page, "count to 500");
    await watchAnnouncements(page, "live-announcer");
    assert.equal(
      await page.getAttribute('[role="log"]', "aria-busy"),
      "true",
      "the transcript says it is being written",
    );
    const chunks = Array.from({ length: 500 }, (_, i) => `w${i} `);
    for (let i = 0; i < 500; i += 50) {
      await streamText(page, id, chunks.slice(i, i + 50), i / 50);
      await page.waitForTimeout(20);
    }
    await finish(page);
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));
    await page.waitForTimeout(300);
    assert.deepEqual(
      await announced(page, "live-announcer"),
      ["Reply finished, 500 words"],
      "one announcement per reply, never one per delta",
    );
    assert.equal(await page.getAttribute('[role="log"]', "aria-busy"), "false");
  });

  test("a short reply is read out whole", async () => {
    const page = await app();
    const id = await send(page, "hi");
    await streamText(page, id, ["Hello ", "**there**."]);
    await finish(page);
    await page.waitForSelector(`${tid("live-announcer")}[data-last-announcement="Hello there."]`);
  });

  test("a retry and a failed reply are each announced once, assertively", async () => {
    const page = await app();
    const id = await send(page, "hi");
    await watchAnnouncements(page, "live-announcer-assertive");
    await watchAnnouncements(page, "live-announcer");
    const overloaded = { kind: "overloaded", message: "Overloaded", status: 529, requestId: null };
    await emit(page, {
      type: "retrying",
      messageId: id,
      attempt: 2,
      delayMs: 3000,
      error: overloaded,
    });
    await page.waitForSelector(tid("message-retrying"));
    // The countdown ticks, the announcement does not.
    await page.waitForTimeout(700);
    await finish(page, { status: "error", stopReason: null, error: overloaded });
    await page.waitForSelector(messageSel(id, '[data-status="error"]'));
    await page.waitForTimeout(300);
    const loud = await announced(page, "live-announcer-assertive");
    assert.equal(loud.length, 2, `one retry, one failure: ${JSON.stringify(loud)}`);
    assert.match(loud[0], /Retrying/);
    assert.match(loud[1], /Reply failed/);
    assert.deepEqual(await announced(page, "live-announcer"), [], "nothing polite about it");
    assert.equal(
      await page.getAttribute(tid("live-announcer-assertive"), "aria-live"),
      "assertive",
    );
  });

  test("search counts, no results and the Undo notice are announced", async () => {
    const page = await app();
    await page.fill(tid("history-search"), "lifetime");
    await page.waitForFunction(() =>
      /^\d+ results?$/.test(
        document.querySelector('[data-testid="live-announcer"]').dataset.lastAnnouncement,
      ),
    );
    await page.fill(tid("history-search"), "zebra crossing");
    await page.waitForSelector(`${tid("live-announcer")}[data-last-announcement="No results"]`);
    await page.fill(tid("history-search"), "");
    await page.focus(`${tid("conversation-item")}[data-id="c-kyoto"]`);
    await page.keyboard.press("Delete");
    await page.waitForSelector(tid("toast-undo"));
    const said = await page.getAttribute(tid("live-announcer"), "data-last-announcement");
    assert.match(said, /Deleted .*Undo with Control Z/);
  });
});

describe("keyboard only", () => {
  test("new conversation, send, stop and retry keep focus in the composer", async () => {
    const page = await app();
    await openConversation(page, "c-rust");
    await page.keyboard.press("Control+n");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "composer-input");
    await page.keyboard.type("hello");
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("composer-stop"));
    await page.focus(tid("composer-stop"));
    await page.keyboard.press("Enter");
    assert.equal(await focused(page), "composer-input", "Stop hands the keyboard to the composer");
    await finish(page, { status: "cancelled", stopReason: null });
    await page.waitForSelector(tid("message-retry"));
    await page.focus(tid("message-retry"));
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("message-retry"), { state: "detached" });
    await page.waitForTimeout(100);
    assert.equal(await focused(page), "composer-input", "focus never drops to <body>");
  });

  test("settings opens from its button and Escape gives focus back to it", async () => {
    const page = await app();
    await page.focus(tid("settings-open"));
    await page.keyboard.press("Enter");
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    await page.keyboard.press("Escape");
    await page.waitForSelector(`${tid("settings-dialog")}:not([open])`, { state: "attached" });
    assert.equal(await focused(page), "settings-open");
  });

  test("the shortcuts sheet opens with Ctrl+/ and ?, and Escape returns focus", async () => {
    const page = await app();
    await page.focus(tid("composer-input"));
    await page.keyboard.press("Control+/");
    await page.waitForSelector(tid("shortcuts-sheet"));
    assert.equal(await page.getAttribute(tid("shortcuts-sheet"), "open"), "");
    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("shortcuts-sheet"), { state: "detached" });
    assert.equal(await focused(page), "composer-input");

    await page.keyboard.type("?");
    assert.equal(await page.inputValue(tid("composer-input")), "?", "? types in a text field");
    assert.equal(await page.$(tid("shortcuts-sheet")), null);

    await page.focus(tid("shortcuts-open"));
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("shortcuts-sheet"));
    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("shortcuts-sheet"), { state: "detached" });
    assert.equal(await focused(page), "shortcuts-open");

    await page.focus(tid("conversation-new"));
    await page.keyboard.press("Shift+Slash");
    await page.waitForSelector(tid("shortcuts-sheet"));
  });

  test("search from the keyboard and open a hit", async () => {
    const page = await app();
    await page.keyboard.press("Control+k");
    assert.equal(await focused(page), "history-search");
    await page.keyboard.type("lifetime");
    await page.waitForSelector(tid("search-result"));
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "search-result");
    await page.keyboard.press("Enter");
    await page.waitForSelector(messageSel("a-rust", '[data-highlighted="true"]'));
  });

  test("rename with F2, delete with Delete, Ctrl+Z brings it back with focus on it", async () => {
    const page = await app();
    const row = `${tid("conversation-item")}[data-id="c-kyoto"]`;
    await page.focus(row);
    await page.keyboard.press("F2");
    await page.waitForSelector(tid("conversation-rename-input"));
    await page.keyboard.press("Control+a");
    await page.keyboard.type("Kyoto plans");
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.includes("Kyoto plans"),
      row,
    );
    assert.equal(await focused(page), "conversation-item");

    await page.focus(row);
    await page.keyboard.press("Delete");
    await page.waitForSelector(row, { state: "detached" });
    await page.waitForSelector(tid("toast-undo"));
    await page.keyboard.press("Control+z");
    await page.waitForSelector(row);
    await page.waitForFunction(
      (sel) => document.activeElement === document.querySelector(sel),
      row,
    );
  });

  test("Undo's countdown pauses while the pointer is on it", async () => {
    const page = await app();
    await page.focus(`${tid("conversation-item")}[data-id="c-kyoto"]`);
    await page.keyboard.press("Delete");
    await page.hover(tid("toast-undo"));
    await page.waitForTimeout(7_000);
    assert.ok(await page.$(tid("toast-undo")), "the Undo notice waits while it is hovered");
  });

  test("the row menu opens with Shift+F10, its button is a Tab stop, Escape returns", async () => {
    const page = await app();
    const row = `${tid("conversation-item")}[data-id="c-rust"]`;
    await page.focus(row);
    await page.keyboard.press("Shift+F10");
    await page.waitForSelector(tid("conversation-menu-popup"));
    assert.equal(await focused(page), "conversation-rename");
    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("conversation-menu-popup"), { state: "detached" });
    assert.equal(await focused(page), "conversation-item");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "conversation-menu");
  });

  test("cancelling an edit gives focus back to the Edit button", async () => {
    const page = await app();
    await openConversation(page, "c-rust");
    await page.focus(messageSel("u-rust", ` ${tid("message-edit")}`));
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("message-edit-input"));
    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("message-edit-input"), { state: "detached" });
    assert.equal(await focused(page), "message-edit");
  });

  test("Escape closes the innermost first: the shortcuts sheet, then the gallery", async () => {
    const page = await app({ generateImages: 3 });
    await page.focus(tid("gallery-open"));
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("gallery-item"));
    await page.keyboard.press("Control+/");
    await page.waitForSelector(tid("shortcuts-sheet"));
    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("shortcuts-sheet"), { state: "detached" });
    assert.ok(await page.$(tid("gallery")), "the gallery under the sheet stays open");
    await page.keyboard.press("Escape");
    await page.waitForSelector(tid("gallery"), { state: "detached" });
    assert.equal(await focused(page), "gallery-open", "focus goes back to the gallery button");
  });

  test("opening an image from the gallery leaves focus in the chat, not on <body>", async () => {
    const page = await app({ generateImages: 3 });
    await page.focus(tid("gallery-open"));
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "gallery-item");
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("gallery"), { state: "detached" });
    await page.waitForFunction(() => document.activeElement !== document.body);
    assert.equal(await focused(page), "composer-input");
  });

  test("clearing the key leaves focus on the key field", async () => {
    const page = await app({ keyStatus: "set" });
    await page.click(tid("settings-open"));
    await page.waitForSelector(tid("settings-api-key-clear"));
    await page.focus(tid("settings-api-key-clear"));
    await page.keyboard.press("Enter");
    await page.focus(tid("settings-api-key-clear-confirm"));
    await page.keyboard.press("Enter");
    await page.waitForSelector(tid("settings-api-key-clear-confirm"), { state: "detached" });
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "settings-api-key");
  });

  test("every message has a heading to jump by, and its place in the branch", async () => {
    const page = await app();
    await openConversation(page, "c-rust");
    const headings = await page.$$eval(`${tid("message")} h2`, (hs) =>
      hs.map((h) => h.textContent.trim()),
    );
    assert.deepEqual(headings, ["You said", "Claude said"]);
    assert.equal(await page.getAttribute(messageSel("a-rust"), "aria-setsize"), "2");
    assert.equal(await page.getAttribute(messageSel("a-rust"), "aria-posinset"), "2");
  });
});

describe("zoom and motion", () => {
  test("Ctrl+= / Ctrl+- / Ctrl+0 zoom between 50% and 200%, remembered", async () => {
    const page = await app();
    const level = () => page.evaluate(() => document.documentElement.dataset.zoom);
    for (let i = 0; i < 12; i++) await page.keyboard.press("Control+Equal");
    assert.equal(await level(), "200");
    // At 200% the composer and the sidebar's buttons are still on screen and usable.
    for (const id of ["composer-input", "conversation-new", "settings-open"]) {
      const box = await page.locator(tid(id)).boundingBox();
      assert.ok(
        box && box.y + box.height <= 820 && box.x + box.width <= 1280,
        `${id} is on screen`,
      );
    }
    await page.fill(tid("composer-input"), "still works");
    await page.reload();
    await page.waitForSelector('[data-testid="app"][data-ready="true"]');
    assert.equal(await level(), "200", "the zoom is remembered");
    for (let i = 0; i < 12; i++) await page.keyboard.press("Control+Minus");
    assert.equal(await level(), "50");
    await page.keyboard.press("Control+0");
    assert.equal(await level(), "100");
  });

  test("prefers-reduced-motion turns transitions and animations off", async () => {
    const page = await app();
    await page.emulateMedia({ reducedMotion: "reduce" });
    const motion = await page.$eval(tid("conversation-new"), (el) => {
      const style = getComputedStyle(el);
      return { transition: style.transitionDuration, animation: style.animationName };
    });
    assert.equal(motion.transition, "0s");
  });
});
