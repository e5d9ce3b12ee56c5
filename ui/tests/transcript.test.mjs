// The transcript renders a window of a long conversation: the newest messages first, older ones
// as the user scrolls up, a window around a search hit far up; and streamed markdown that ends
// up exactly as a fresh render of the same text. Run with `npm run test:ui`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { appPerTest, calls, emit, finish, messageSel, send, tid } from "./harness.mjs";

const app = appPerTest();

/** A conversation of `turns` question/answer pairs (ids u-i / a-i); turn 40 mentions herons. */
function longConversation(turns) {
  return {
    id: "c-long",
    title: "A very long chat",
    updatedAt: Date.now() - 60_000,
    turns: Array.from({ length: turns }, (_, i) => ({
      user: i === 40 ? "Where do herons nest?" : `Question number ${i}`,
      userExtra: { id: `u-${i}` },
      replies: [
        {
          id: `a-${i}`,
          blocks: [
            {
              type: "text",
              text: `Answer **${i}**, with some *markdown*:\n\n- one\n- two\n\n\`\`\`rust\nfn answer() -> u32 { ${i} }\n\`\`\``,
            },
          ],
        },
      ],
    })),
  };
}

const messageCount = (page) => page.locator(tid("message")).count();
const renderedIds = (page) =>
  page.$$eval(tid("message"), (els) => els.map((el) => el.getAttribute("data-id")));

/** Opens a conversation from the sidebar; resolves with the ms from click to the next frame. */
async function openTimed(page, id) {
  return page.evaluate(async (conversationId) => {
    const item = document.querySelector(
      `[data-testid="conversation-item"][data-id="${conversationId}"]`,
    );
    const t0 = performance.now();
    item.click();
    while (!document.querySelector('[data-testid="message"]')) {
      await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
  }, id);
}

/** Waits until an open has added the older messages of its window (one a frame). */
const filled = (page) => page.waitForSelector(`${tid("transcript")}:not([data-filling])`);

/**
 * Clicks conversation `id` in the sidebar; resolves with what the page held when the message
 * `lastId` appeared: the messages rendered, and whether they filled the view.
 */
function openAndCount(page, id, lastId) {
  return page.evaluate(
    ([conversationId, sel]) =>
      new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          if (!document.querySelector(sel)) return;
          observer.disconnect();
          const scroller = document.querySelector('[data-testid="transcript"]');
          resolve({
            rendered: document.querySelectorAll('[data-testid="message"]').length,
            overflows: scroller.scrollHeight > scroller.clientHeight,
          });
        });
        observer.observe(document.body, { childList: true, subtree: true });
        document
          .querySelector(`[data-testid="conversation-item"][data-id="${conversationId}"]`)
          .click();
      }),
    [id, messageSel(lastId)],
  );
}

/** The position of a message's top edge in the transcript's viewport. */
function topInView(page, id) {
  return page.evaluate((sel) => {
    const scroller = document.querySelector('[data-testid="transcript"]');
    const el = document.querySelector(sel);
    return el.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
  }, messageSel(id));
}

function inView(page, id) {
  return page.evaluate((sel) => {
    const scroller = document.querySelector('[data-testid="transcript"]').getBoundingClientRect();
    const r = document.querySelector(sel)?.getBoundingClientRect();
    return !!r && r.top >= scroller.top - 1 && r.bottom <= scroller.bottom + 1;
  }, messageSel(id));
}

describe("opening a conversation", () => {
  test("keeps the view shown until the answer and says it is loading only when that is slow", async () => {
    const other = {
      id: "c-other",
      title: "Another chat",
      updatedAt: Date.now(),
      turns: [
        {
          user: "Hello there",
          userExtra: { id: "u-other" },
          replies: [{ id: "a-other", blocks: [{ type: "text", text: "Hi" }] }],
        },
      ],
    };
    const page = await app({ conversations: [longConversation(3), other] });
    await page.click(`${tid("conversation-item")}[data-id="c-long"]`);
    await page.waitForSelector(messageSel("a-2"));
    // Whether the notice ever shows, from here on.
    await page.evaluate(() => {
      window.__noticeSeen = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="transcript-loading"]'))
          window.__noticeSeen = true;
      }).observe(document.body, { childList: true, subtree: true });
    });

    await page.evaluate(() => (window.__MOCK__.openDelayMs = 800));
    await page.click(`${tid("conversation-item")}[data-id="c-other"]`);
    // At first the last view stays, inert (its buttons cannot act on the conversation left).
    assert.equal(await page.locator(messageSel("a-2")).count(), 1);
    assert.equal(await page.getAttribute(tid("transcript"), "inert"), "");
    await page.waitForSelector(tid("transcript-loading"));
    await page.waitForSelector(messageSel("a-other"));
    assert.equal(await page.locator(tid("transcript-loading")).count(), 0);
    assert.equal(await page.getAttribute(tid("transcript"), "inert"), null);

    // A quick open never flashes the notice.
    await page.evaluate(() => {
      window.__MOCK__.openDelayMs = 0;
      window.__noticeSeen = false;
    });
    await page.click(`${tid("conversation-item")}[data-id="c-long"]`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="transcript"]')?.getAttribute("inert") === null,
    );
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__noticeSeen), false);
  });
});

describe("a long conversation", () => {
  test("opens on the newest messages that fill the view, then adds older ones a frame at a time", async () => {
    const long = longConversation(20);
    for (const turn of long.turns) {
      const text = turn.replies[0].blocks[0].text;
      turn.replies[0].blocks[0].text = `${text}\n\n${"A longer paragraph of the answer. ".repeat(40)}`;
    }
    const page = await app({ conversations: [long] });
    const first = await openAndCount(page, "c-long", "a-19");
    assert.ok(first.overflows, "what the open shows first fills the view");
    assert.ok(
      first.rendered >= 2 && first.rendered < 8,
      `${first.rendered} messages rendered with the newest`,
    );
    await filled(page);
    assert.equal(await messageCount(page), 8, "the whole opening window, once filled");
    assert.ok(await inView(page, "a-19"), "the newest message stays in view");
    assert.equal((await calls(page, "branch_before")).length, 0, "no page read while filling");
  });

  test("opens with the whole window at once when its newest messages fall short of the view", async () => {
    // Forty source lines that render as one line each: longer to the guess than on the screen.
    const short = longConversation(20);
    for (const turn of short.turns) {
      turn.replies[0].blocks[0].text = Array(40).fill("word").join("\n");
    }
    const page = await app({ conversations: [short] });
    const first = await openAndCount(page, "c-long", "a-19");
    assert.equal(first.rendered, 8, "every message of the opening window with the newest");
  });

  test("opens on its newest messages with only a few rendered", async () => {
    const page = await app({ conversations: [longConversation(1000)] });
    const ms = await openTimed(page, "c-long");
    await page.waitForSelector(messageSel("a-999"));
    assert.equal(await page.getAttribute(tid("transcript"), "data-count"), "2000");
    const rendered = await messageCount(page);
    assert.ok(rendered > 0 && rendered <= 60, `${rendered} messages rendered of 2,000`);
    assert.ok(await inView(page, "a-999"), "the newest message is in view");
    const ids = await renderedIds(page);
    assert.deepEqual(ids.slice(-2), ["u-999", "a-999"], "the newest messages, in order");
    const position = await page.getAttribute(messageSel("a-999"), "aria-posinset");
    assert.equal(position, "2000");
    assert.equal(await page.getAttribute(messageSel("a-999"), "aria-setsize"), "2000");
    console.log(`# opened 2,000 messages in ${ms.toFixed(0)} ms (${rendered} rendered)`);
  });

  test("scrolling up adds older messages and keeps the view where it was", async () => {
    const page = await app({ conversations: [longConversation(200)] });
    await page.click(`${tid("conversation-item")}[data-id="c-long"]`);
    await page.waitForSelector(messageSel("a-199"));
    await filled(page);
    const before = await renderedIds(page);
    const oldest = before[0];
    // At the very top, older messages are added above what is shown.
    await page.evaluate(() => {
      document.querySelector('[data-testid="transcript"]').scrollTop = 0;
    });
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="message"]').length > n,
      before.length,
    );
    const after = await renderedIds(page);
    assert.deepEqual(after.slice(-before.length), before, "older messages come before");
    assert.ok(
      after.indexOf(oldest) > 0 && (await topInView(page, oldest)) > 0,
      "the view stays on what was shown, not on the new top",
    );

    // Going on up reaches the first message; then there is nothing more to load.
    for (let i = 0; i < 40 && (await page.locator(messageSel("u-0")).count()) === 0; i++) {
      await page.evaluate(() => {
        document.querySelector('[data-testid="transcript"]').scrollTop = 0;
      });
      await page.waitForTimeout(30);
    }
    await page.waitForSelector(messageSel("u-0"));
    assert.equal(await page.locator(tid("transcript-load-earlier")).count(), 0);
    // The store sent the newest 30 of 400 on opening; the rest came a page at a time.
    const pages = await calls(page, "branch_before");
    assert.ok(pages.length >= 2, `${pages.length} pages read`);
    assert.equal(pages[0].args.messageId, "u-185", "before the first of the 30 sent");
  });

  test("an earlier page that cannot be read says so once and is not asked for in a loop", async () => {
    const page = await app({ conversations: [longConversation(200)] });
    await page.click(`${tid("conversation-item")}[data-id="c-long"]`);
    await page.waitForSelector(messageSel("a-199"));
    await page.evaluate(() => {
      window.__MOCK__.handlers.branch_before = () => {
        throw { kind: "missing", message: "gone", status: null, requestId: null };
      };
    });
    for (let i = 0; i < 10; i++) {
      await page.evaluate(() => {
        document.querySelector('[data-testid="transcript"]').scrollTop = 0;
      });
      await page.waitForTimeout(30);
    }
    await page.waitForTimeout(500);
    const asked = (await calls(page, "branch_before")).length;
    assert.ok(asked >= 1 && asked <= 3, `branch_before asked ${asked} times`);
    // The button still reads the page once it can be read.
    await page.evaluate(() => delete window.__MOCK__.handlers.branch_before);
    await page.click(tid("transcript-load-earlier"));
    await page.waitForSelector(messageSel("a-184"));
  });

  test("the view stays put when older messages are added above it", async () => {
    const page = await app({ conversations: [longConversation(200)] });
    // As in an engine without CSS scroll anchoring: the app's own code must keep the view.
    await page.addStyleTag({ content: '[data-testid="transcript"] { overflow-anchor: none; }' });
    await page.click(`${tid("conversation-item")}[data-id="c-long"]`);
    await page.waitForSelector(messageSel("a-199"));
    await filled(page);
    const before = await renderedIds(page);
    // A message in the middle of the view, and the view scrolled near the top of the window.
    const anchor = before[2];
    await page.evaluate((sel) => document.querySelector(sel).scrollIntoView(), messageSel(anchor));
    await page.waitForTimeout(50);
    const firstTop = await topInView(page, anchor);
    // The button is a sentinel too; with the keyboard it loads the same way.
    await page.evaluate(() =>
      document
        .querySelector('[data-testid="transcript-load-earlier"]')
        .focus({ preventScroll: true }),
    );
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="message"]').length > n,
      before.length,
    );
    await page.waitForTimeout(50);
    const secondTop = await topInView(page, anchor);
    assert.ok(Math.abs(secondTop - firstTop) <= 2, `moved from ${firstTop} to ${secondTop}`);
  });

  test("a search hit far up is rendered, scrolled to and highlighted; sending returns to the end", async () => {
    const page = await app({ conversations: [longConversation(500)] });
    await page.fill(tid("history-search"), "herons");
    await page.click(`${tid("search-result")}[data-message-id="u-40"]`);
    await page.waitForSelector(messageSel("u-40", '[data-highlighted="true"]'));
    await page.waitForFunction((sel) => {
      const scroller = document.querySelector('[data-testid="transcript"]').getBoundingClientRect();
      const r = document.querySelector(sel).getBoundingClientRect();
      return r.top >= scroller.top && r.bottom <= scroller.bottom;
    }, messageSel("u-40"));
    const rendered = await messageCount(page);
    assert.ok(rendered <= 60, `${rendered} messages rendered around the hit`);
    assert.equal(await page.locator(messageSel("a-499")).count(), 0, "the end is not rendered");
    assert.equal(await page.locator(tid("transcript-load-later")).count(), 1);

    // Scrolling down adds newer messages below.
    const last = (await renderedIds(page)).at(-1);
    await page.evaluate(() => {
      const scroller = document.querySelector('[data-testid="transcript"]');
      scroller.scrollTop = scroller.scrollHeight;
    });
    await page.waitForFunction((id) => {
      const ids = [...document.querySelectorAll('[data-testid="message"]')].map(
        (el) => el.dataset.id,
      );
      return ids.indexOf(id) !== ids.length - 1;
    }, last);

    // Sending shows the end of the conversation with the new turn.
    await page.fill(tid("history-search"), "");
    const id = await send(page, "One more question");
    await page.waitForSelector(messageSel(id));
    await page.waitForSelector(messageSel("a-499"));
    assert.equal(await page.locator(tid("transcript-load-later")).count(), 0);
  });

  test("a streaming reply keeps the view at the bottom unless the user scrolled up", async () => {
    const page = await app({ conversations: [longConversation(100)] });
    await page.click(`${tid("conversation-item")}[data-id="c-long"]`);
    await page.waitForSelector(messageSel("a-99"));
    const id = await send(page, "Tell me a long story");
    await emit(page, {
      type: "blockStart",
      messageId: id,
      index: 0,
      block: { type: "text", text: "" },
    });
    for (let i = 0; i < 20; i++) {
      await emit(page, {
        type: "textDelta",
        messageId: id,
        index: 0,
        text: `Line ${i} of the story.\n\n`,
      });
    }
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="transcript"]');
      return s.textContent.includes("Line 19") && s.scrollHeight - s.scrollTop - s.clientHeight < 4;
    });
    // Scrolled up, the view no longer follows.
    await page.evaluate(() => {
      const s = document.querySelector('[data-testid="transcript"]');
      s.scrollTop = s.scrollHeight - s.clientHeight - 600;
      s.dispatchEvent(new Event("scroll"));
    });
    const held = await page.evaluate(
      () => document.querySelector('[data-testid="transcript"]').scrollTop,
    );
    for (let i = 20; i < 30; i++) {
      await emit(page, {
        type: "textDelta",
        messageId: id,
        index: 0,
        text: `Line ${i} of the story.\n\n`,
      });
    }
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="transcript"]').textContent.includes("Line 29"),
    );
    assert.equal(
      await page.evaluate(() => document.querySelector('[data-testid="transcript"]').scrollTop),
      held,
    );
    await finish(page);
  });
});

describe("streamed markdown", () => {
  test("ends up as the same HTML as rendering the finished text afresh", async () => {
    const paragraph = Array.from(
      { length: 60 },
      (_, i) =>
        `word ${i} with **bold ${i}** and \`code ${i}\` and [a link](https://example.com/${i})`,
    ).join(" ");
    const reply = [
      "# A heading",
      paragraph,
      "",
      "- item one",
      "- item two",
      "",
      "| a | b |",
      "| - | - |",
      "| 1 | 2 |",
      "",
      "```python",
      "def f(x):",
      "",
      "    return x * 2",
      "```",
      "Right after the code, " + "more words ".repeat(120),
      "Still the same paragraph <b>not html</b>",
    ].join("\n");
    const page = await app();
    const id = await send(page, "Show me everything");
    await emit(page, {
      type: "blockStart",
      messageId: id,
      index: 0,
      block: { type: "text", text: "" },
    });
    // Small pieces, each applied in its own frame.
    for (let at = 0; at < reply.length; at += 37) {
      await emit(page, {
        type: "textDelta",
        messageId: id,
        index: 0,
        text: reply.slice(at, at + 37),
      });
      if (at % (37 * 8) === 0)
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    }
    await finish(page);
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));
    const markdownOf = (sel) =>
      page.$eval(sel, (el) =>
        [...el.querySelectorAll(".markdown > .segment")].map((s) => s.innerHTML).join(""),
      );
    const streamed = await markdownOf(messageSel(id));
    assert.match(streamed, /<table>/);
    assert.match(streamed, /hljs-keyword/);

    // The same conversation opened again renders the stored text in one pass.
    const conversationId = await page.evaluate(
      () =>
        document.querySelector('[data-testid="conversation-item"][data-active="true"]').dataset.id,
    );
    await page.click(tid("conversation-new"));
    await page.waitForSelector(tid("empty-state"));
    await page.click(`${tid("conversation-item")}[data-id="${conversationId}"]`);
    await page.waitForSelector(messageSel(id));
    assert.equal(await markdownOf(messageSel(id)), streamed);
  });

  test("a long finished reply renders in slices behind a notice once, then opens from the cache", async () => {
    const sections = Array.from(
      { length: 400 },
      (_, i) =>
        `## Part ${i}\n\n${"Some *words* and `code` go here. ".repeat(8)}\n\n\`\`\`js\nconst part = ${i};\n\`\`\``,
    );
    const text = sections.join("\n\n") + "\n\nThe very last line.";
    const conversation = (id, replyId) => ({
      id,
      title: `Long reply ${id}`,
      updatedAt: Date.now() - 60_000,
      turns: [
        { user: "Write a lot", replies: [{ id: replyId, blocks: [{ type: "text", text }] }] },
      ],
    });
    const page = await app({
      conversations: [conversation("c-one", "a-one"), conversation("c-two", "a-two")],
    });
    /**
     * Opens a conversation; says whether the rendering notice showed, whether the reply was ever
     * in the page with its markdown empty (shown before its render), and the reply's HTML.
     */
    const open = (conversationId, replyId) =>
      page.evaluate(
        async ([conversationId, replyId]) => {
          const sel = `[data-testid="message"][data-id="${replyId}"] .markdown`;
          let noticed = false;
          let blank = false;
          const seen = new MutationObserver(() => {
            if (document.querySelector('[data-testid="markdown-rendering"]')) noticed = true;
            const markdown = document.querySelector(sel);
            if (markdown && !markdown.querySelector(".segment, [data-testid=markdown-rendering]"))
              blank = true;
          });
          seen.observe(document.body, { childList: true, subtree: true });
          document
            .querySelector(`[data-testid="conversation-item"][data-id="${conversationId}"]`)
            .click();
          while (
            !document.querySelector(sel)?.textContent?.includes("The very last line.") ||
            document.querySelector('[data-testid="markdown-rendering"]')
          ) {
            await new Promise((r) => setTimeout(r, 5));
          }
          seen.disconnect();
          const html = [...document.querySelector(sel).querySelectorAll(".segment")]
            .map((s) => s.innerHTML)
            .join("");
          return { noticed, blank, html };
        },
        [conversationId, replyId],
      );
    const first = await open("c-one", "a-one");
    assert.ok(first.noticed, "the first opening rendered in slices behind a notice");
    assert.equal((first.html.match(/<h2>/g) ?? []).length, 400);
    assert.equal((first.html.match(/hljs-keyword/g) ?? []).length, 400);

    // Another conversation, then back: the kept render is shown at once.
    await open("c-two", "a-two");
    const again = await open("c-one", "a-one");
    assert.equal(again.noticed, false, "opened again from the cache");
    assert.equal(again.html, first.html);

    // Kept across launches: each reply written once, a moment after its render.
    let writes = [];
    for (let i = 0; i < 100 && writes.length < 2; i++) {
      writes = await calls(page, "write_rendered");
      if (writes.length < 2) await new Promise((r) => setTimeout(r, 20));
    }
    const keys = writes.map((w) => w.args.key);
    assert.equal(keys.length, 2, `one write per reply: ${keys}`);
    const kept = keys.find((key) => key.startsWith("a-one_0-"));
    assert.match(kept, /^a-one_0-\d+-[0-9a-z]+-en-[0-9a-z]+$/);
    assert.ok(keys.some((key) => key.startsWith("a-two_0-")));
    await page.reload();
    await page.waitForSelector(tid("conversation-item"));
    // The other reply first: its markdown shows once the renderer's chunk has loaded.
    await open("c-two", "a-two");
    const relaunched = await open("c-one", "a-one");
    assert.equal(relaunched.noticed, false, "after a restart, shown as kept: not rendered again");
    assert.equal(relaunched.blank, false, "the kept render was read before the reply was shown");
    assert.equal(relaunched.html, first.html);
    const reads = (await calls(page, "read_rendered")).map((c) => c.args.key);
    assert.equal(reads.length, 2, `one read per reply: ${reads}`);
    assert.ok(reads.includes(kept));
    assert.equal((await calls(page, "write_rendered")).length, 0, "nothing written again");
  });
});
