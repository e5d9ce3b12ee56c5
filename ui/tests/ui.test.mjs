// End-to-end tests of the web UI against a fake backend (IPC mocked in the page).
// Run with `npm run test:ui` (builds ui/dist first when it is stale).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RUST_REPLY, seedConversations } from "./fixtures/conversations.mjs";
import {
  calls,
  emit,
  finish,
  imeEnter,
  messageSel,
  appPerTest,
  send,
  streamText,
  tid,
  usage,
} from "./harness.mjs";

const app = appPerTest(() => ({ conversations: seedConversations() }));

const text = (page, selector) => page.locator(selector).innerText();
const count = (page, selector) => page.locator(selector).count();

describe("sending and streaming", () => {
  test("Enter sends; the reply streams in, grows, and ends done with usage", async () => {
    const page = await app();
    const id = await send(page, "Hello Claude");

    const [call] = await calls(page, "send_message");
    assert.equal(call.args.request.text, "Hello Claude");
    assert.equal(call.args.request.conversationId, null, "a draft sends with no conversation id");
    assert.equal(call.args.request.model, "claude-sonnet-4-5", "the default model is used");
    assert.match(call.args.onEvent, /^__CHANNEL__:\d+$/, "events come back over a Channel");

    const user = page.locator('[data-testid="message"][data-role="user"]');
    await user.waitFor();
    assert.equal(await user.locator(tid("message-content")).innerText(), "Hello Claude");
    await page.waitForSelector(messageSel(id, '[data-role="assistant"][data-status="streaming"]'));
    assert.equal(await page.inputValue(tid("composer-input")), "", "sent text is cleared");
    await page.waitForSelector(tid("composer-stop"));
    await page.fill(tid("composer-input"), "next question");
    assert.ok(await page.isDisabled(tid("composer-send")), "no second send while a reply streams");
    await page.fill(tid("composer-input"), "");

    const content = page.locator(messageSel(id, ` ${tid("message-content")}`));
    await emit(page, {
      type: "blockStart",
      messageId: id,
      index: 0,
      block: { type: "text", text: "" },
    });
    await emit(page, { type: "textDelta", messageId: id, index: 0, text: "Hello" });
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes("Hello"),
      messageSel(id, ` ${tid("message-content")}`),
    );
    const first = (await content.innerText()).length;
    await emit(page, {
      type: "textDelta",
      messageId: id,
      index: 0,
      text: ", how can I help today?",
    });
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes("help today?"),
      messageSel(id, ` ${tid("message-content")}`),
    );
    assert.ok((await content.innerText()).length > first, "the reply text grows");

    await emit(page, { type: "usage", messageId: id, usage: usage(1234, 567) });
    await finish(page, { usage: usage(1234, 567) });
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));
    const usageEl = page.locator(messageSel(id, ` ${tid("message-usage")}`));
    assert.equal(await usageEl.getAttribute("data-input-tokens"), "1234");
    assert.equal(await usageEl.getAttribute("data-output-tokens"), "567");
    assert.equal(await usageEl.innerText(), "1,234 in · 567 out");
    assert.equal(await count(page, tid("composer-stop")), 0, "stop disappears when done");
    await page.waitForSelector(messageSel(id, ` ${tid("message-regenerate")}`));

    // The new conversation joins the sidebar, active: its row is read, the list is not
    // listed again (issue 13: with 20,000 conversations that was the whole history per send).
    await page.waitForSelector(`${tid("conversation-item")}[data-active="true"]`);
    assert.equal((await calls(page, "list_history")).length, 1, "no full reload");
    const rows = await calls(page, "conversation_summary");
    assert.ok(rows.length >= 1, "the new row is read");
    const newId = await page.getAttribute(
      `${tid("conversation-item")}[data-active="true"]`,
      "data-id",
    );
    assert.ok(
      rows.every((call) => call.args.id === newId),
      "only that row",
    );
    assert.equal(await count(page, tid("empty-state")), 0);
  });

  test("Shift+Enter inserts a newline and does not send", async () => {
    const page = await app();
    const input = page.locator(tid("composer-input"));
    await input.click();
    await page.keyboard.type("line one");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("line two");
    assert.equal(await input.inputValue(), "line one\nline two");
    assert.equal((await calls(page, "send_message")).length, 0);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => window.__MOCK__.callsOf("send_message").length === 1);
    const [call] = await calls(page, "send_message");
    assert.equal(call.args.request.text, "line one\nline two");
  });

  test("Enter while an IME is composing never sends", async () => {
    const page = await app();
    await page.fill(tid("composer-input"), "にほんご");
    await imeEnter(page, tid("composer-input"));
    assert.equal((await calls(page, "send_message")).length, 0, "the IME's Enter must not send");
    assert.equal(await page.inputValue(tid("composer-input")), "にほんご");
    // A plain Enter afterwards sends.
    await page.press(tid("composer-input"), "Enter");
    await page.waitForFunction(() => window.__MOCK__.callsOf("send_message").length === 1);
  });

  test("a failed send keeps the typed text and shows an error toast", async () => {
    const page = await app();
    await page.evaluate(() => {
      window.__MOCK__.handlers.send_message = () => {
        throw {
          kind: "no_api_key",
          message: "No API key is stored",
          status: null,
          requestId: null,
        };
      };
    });
    await page.fill(tid("composer-input"), "keep me");
    await page.press(tid("composer-input"), "Enter");
    const toast = page.locator(`${tid("toast")}[data-kind="error"]`);
    await toast.waitFor();
    assert.match(await toast.innerText(), /No API key/);
    assert.equal(await page.inputValue(tid("composer-input")), "keep me");
    assert.equal(await count(page, tid("message")), 0);
  });

  test("events that arrive before send_message returns are not lost", async () => {
    const page = await app();
    await page.evaluate(() => {
      window.__MOCK__.handlers.send_message = (args, defaults) => {
        const started = defaults.send_message(args);
        const id = started.assistantMessage.id;
        window.__MOCK__.emit({
          type: "blockStart",
          messageId: id,
          index: 0,
          block: { type: "text", text: "" },
        });
        window.__MOCK__.emit({ type: "textDelta", messageId: id, index: 0, text: "early bird" });
        return started;
      };
    });
    const id = await send(page, "hi");
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes("early bird"),
      messageSel(id, ` ${tid("message-content")}`),
    );
  });

  test("stop cancels the stream; partial text stays and retry regenerates", async () => {
    const page = await app();
    const id = await send(page, "Tell me a long story");
    await streamText(page, id, ["Once upon ", "a time"]);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes("Once upon a time"),
      messageSel(id),
    );
    await page.click(tid("composer-stop"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("cancel_stream").length === 1);
    const [call] = await calls(page, "cancel_stream");
    assert.equal(call.args.messageId, id);

    await finish(page, { status: "cancelled", stopReason: null });
    await page.waitForSelector(messageSel(id, '[data-status="cancelled"]'));
    assert.match(
      await text(page, messageSel(id, ` ${tid("message-content")}`)),
      /Once upon a time/,
    );
    assert.equal(await text(page, messageSel(id, ` ${tid("message-stopped")}`)), "Stopped");

    await page.click(messageSel(id, ` ${tid("message-retry")}`));
    await page.waitForFunction(() => window.__MOCK__.callsOf("regenerate_reply").length === 1);
    const [regen] = await calls(page, "regenerate_reply");
    assert.equal(regen.args.messageId, id);
    const newId = await page.evaluate(() => window.__MOCK__.lastChannel.messageId);
    await page.waitForSelector(messageSel(newId, '[data-status="streaming"]'));
    assert.equal(await count(page, messageSel(id)), 0, "the new reply takes the old one's place");
  });

  test("Escape in the composer stops a streaming reply", async () => {
    const page = await app();
    const id = await send(page, "hi");
    await page.focus(tid("composer-input"));
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => window.__MOCK__.callsOf("cancel_stream").length === 1);
    assert.equal((await calls(page, "cancel_stream"))[0].args.messageId, id);
  });

  test("retrying shows a live countdown until text arrives", async () => {
    const page = await app();
    const id = await send(page, "hi");
    await emit(page, {
      type: "retrying",
      messageId: id,
      attempt: 2,
      delayMs: 3000,
      error: { kind: "overloaded", message: "Overloaded", status: 529, requestId: "req_o" },
    });
    const notice = page.locator(messageSel(id, ` ${tid("message-retrying")}`));
    await notice.waitFor();
    assert.match(await notice.innerText(), /Retrying in 3 s \(attempt 2\)/);
    await page.waitForFunction(
      (sel) => /Retrying in [12] s/.test(document.querySelector(sel)?.textContent ?? ""),
      messageSel(id, ` ${tid("message-retrying")}`),
      { timeout: 3000 },
    );
    await streamText(page, id, ["Back again"]);
    await notice.waitFor({ state: "detached" });
  });

  test("each error kind renders its own error with the request id", async () => {
    const page = await app();
    const kinds = [
      ["rate_limit", 429, /Rate limited/],
      ["overloaded", 529, /Claude is overloaded/],
      ["auth", 401, /Authentication failed/],
      ["invalid_request", 400, /Invalid request/],
      ["network", null, /Network error/],
      ["stream_interrupted", null, /Connection lost mid-reply/],
      ["api_error", 500, /Claude API error/],
    ];
    for (const [kind, status, title] of kinds) {
      const id = await send(page, `trigger ${kind}`);
      await finish(page, {
        status: "error",
        stopReason: null,
        error: { kind, message: `server said ${kind}`, status, requestId: `req_${kind}` },
      });
      const error = page.locator(messageSel(id, ` ${tid("message-error")}`));
      await error.waitFor();
      assert.equal(await error.getAttribute("data-error-kind"), kind);
      const shown = await error.innerText();
      assert.match(shown, title, `${kind} has a human title`);
      assert.match(shown, new RegExp(`server said ${kind}`), "the server message is shown");
      assert.match(shown, new RegExp(`req_${kind}`), "the request id is shown");
      assert.equal(await page.getAttribute(messageSel(id), "data-status"), "error");
      await page.waitForSelector(messageSel(id, ` ${tid("message-retry")}`));
    }
  });

  test("an auth error offers to open settings", async () => {
    const page = await app();
    const id = await send(page, "hi");
    await finish(page, {
      status: "error",
      error: { kind: "auth", message: "invalid x-api-key", status: 401, requestId: "req_1" },
    });
    await page.click(messageSel(id, ` ${tid("message-error-settings")}`));
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
  });
});

describe("rendering replies", () => {
  test("model output cannot run script: script, event handlers, javascript: links", async () => {
    const page = await app();
    const id = await send(page, "inject");
    const evil = [
      "<script>window.__pwned=1</script>",
      '<img src=x onerror="window.__pwned=1">',
      "[x](javascript:window.__pwned=1)",
      "[y](data:text/html,<script>window.__pwned=1</script>)",
      '<a href="#" onclick="window.__pwned=1">z</a>',
      '<button data-testid="code-copy" onclick="window.__pwned=1">fake</button>',
      "[safe](https://example.com/docs)",
    ].join("\n\n");
    await streamText(page, id, [evil]);
    await finish(page);
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));
    const content = messageSel(id, ` ${tid("message-content")}`);

    await page.click(`${content} a:text-is("x")`);
    await page.click(`${content} a:text-is("y")`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const shown = await text(page, content);
    assert.match(shown, /<script>window.__pwned=1<\/script>/, "raw HTML is shown as text");
    assert.match(shown, /<img src=x onerror=/);
    const html = await page.evaluate(() => document.body.innerHTML);
    assert.equal(await count(page, "script"), 1, "only the app's own module script");
    assert.equal(await count(page, "[onerror], [onclick]"), 0, "no event handler attributes");
    assert.ok(!/javascript:/i.test(html), "no javascript: URLs in the DOM");
    assert.ok(!/href="data:/i.test(html), "no data: links");
    assert.equal(await count(page, `${content} ${tid("code-copy")}`), 0, "no fake buttons");
    assert.ok(page.url().startsWith(app.baseUrl()), "the webview did not navigate");
    const opened = await calls(page, "plugin:opener|open_url");
    assert.equal(opened.length, 0, "unsafe links open nothing");

    await page.click(`${content} a:text("safe")`);
    await page.waitForFunction(
      () => window.__MOCK__.callsOf("plugin:opener|open_url").length === 1,
    );
    const [open] = await calls(page, "plugin:opener|open_url");
    assert.equal(open.args.url, "https://example.com/docs", "http(s) links open in the browser");
    assert.ok(page.url().startsWith(app.baseUrl()), "the webview did not navigate");
  });

  test("markdown tables and highlighted code with a copy button", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    const content = messageSel("a-rust", ` ${tid("message-content")}`);
    await page.waitForSelector(content);
    assert.equal(await count(page, `${content} table th`), 2);
    assert.equal(await count(page, `${content} table tbody tr`), 3);
    assert.ok(await count(page, `${content} pre code.language-rust .hljs-keyword`), "highlighted");
    assert.equal(await count(page, `${content} ${tid("code-copy")}`), 1);

    await page.click(`${content} ${tid("code-copy")}`);
    const toast = page.locator(`${tid("toast")}[data-kind="info"]`);
    await toast.waitFor();
    assert.match(await toast.innerText(), /Copied/);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(copied.startsWith("fn longest<'a>"), "the code itself is copied");

    await page.click(messageSel("a-rust", ` ${tid("message-copy")}`));
    await page.waitForFunction(async () =>
      (await navigator.clipboard.readText()).includes("**lifetime**"),
    );
  });

  test("thinking is collapsed above the text; tool calls, redacted and unknown blocks", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-blocks"]`);
    const msg = messageSel("a-blocks");
    await page.waitForSelector(msg);
    const thinking = page.locator(`${msg} ${tid("thinking")}`);
    assert.equal(await thinking.evaluate((d) => d.open), false, "thinking starts collapsed");
    const above = await page.evaluate((sel) => {
      const details = document.querySelector(`${sel} [data-testid="thinking"]`);
      const text = document.querySelector(`${sel} .markdown`);
      return !!(details.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING);
    }, msg);
    assert.ok(above, "thinking is shown above the reply text");
    assert.match(await thinking.innerText(), /Thinking/);

    const tool = page.locator(`${msg} ${tid("tool-use")}`);
    assert.match(await tool.innerText(), /Tool call: get_weather/);
    assert.match(await tool.innerText(), /"city": "Paris"/);
    assert.match(await text(page, `${msg} ${tid("redacted-thinking")}`), /redacted thinking/);
    assert.match(
      await text(page, `${msg} ${tid("unsupported-block")}`),
      /Unsupported block: web_search_tool_result/,
    );
  });

  test("streamed thinking and tool input show while they arrive", async () => {
    const page = await app();
    const id = await send(page, "weather?");
    await emit(
      page,
      {
        type: "blockStart",
        messageId: id,
        index: 0,
        block: { type: "thinking", thinking: "", signature: "" },
      },
      { type: "thinkingDelta", messageId: id, index: 0, text: "Consider the tool" },
      {
        type: "blockStop",
        messageId: id,
        index: 0,
        block: { type: "thinking", thinking: "Consider the tool", signature: "s" },
      },
      {
        type: "blockStart",
        messageId: id,
        index: 1,
        block: { type: "tool_use", id: "t1", name: "get_weather", input: {} },
      },
      { type: "toolInputDelta", messageId: id, index: 1, partialJson: '{"city": "Par' },
    );
    const tool = page.locator(`${messageSel(id)} ${tid("tool-use")}`);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes('{"city": "Par'),
      `${messageSel(id)} [data-testid="tool-use"]`,
    );
    assert.match(await tool.innerText(), /Tool call: get_weather/);
    await emit(page, {
      type: "blockStop",
      messageId: id,
      index: 1,
      block: { type: "tool_use", id: "t1", name: "get_weather", input: { city: "Paris" } },
    });
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes('"city": "Paris"'),
      `${messageSel(id)} [data-testid="tool-use"]`,
    );
    await emit(page, {
      type: "blockStart",
      messageId: id,
      index: 2,
      block: { type: "mystery_block", payload: 1 },
    });
    await page.waitForSelector(`${messageSel(id)} ${tid("unsupported-block")}`);
    assert.match(
      await page.locator(`${messageSel(id)} ${tid("thinking")}`).innerText(),
      /Thinking/,
    );
  });

  test("a long reply streams incrementally: settled blocks are not re-rendered", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("a-rust"));
    const id = await send(page, "long please");
    await emit(page, {
      type: "blockStart",
      messageId: id,
      index: 0,
      block: { type: "text", text: "" },
    });
    const content = messageSel(id, ` ${tid("message-content")}`);
    const paragraph = (i) => `Paragraph ${i}: ${"lorem ipsum dolor sit amet ".repeat(4)}\n\n`;
    await emit(page, { type: "textDelta", messageId: id, index: 0, text: paragraph(0) + "Para" });
    await page.waitForSelector(`${content} p`);
    await page.evaluate((sel) => (document.querySelector(`${sel} p`).__marked = true), content);
    // Earlier messages must not be touched while a reply streams.
    await page.evaluate((sel) => {
      window.__mutations = 0;
      new MutationObserver((records) => (window.__mutations += records.length)).observe(
        document.querySelector(sel),
        { subtree: true, childList: true, attributes: true, characterData: true },
      );
    }, messageSel("a-rust"));

    const started = Date.now();
    const total = 1500;
    for (let batch = 0; batch < 15; batch++) {
      const events = [];
      for (let i = 1; i <= total / 15; i++) {
        const n = batch * (total / 15) + i;
        events.push({
          type: "textDelta",
          messageId: id,
          index: 0,
          text: `graph.\n\n${paragraph(n)}Para`,
        });
      }
      await emit(page, ...events);
    }
    await emit(page, { type: "textDelta", messageId: id, index: 0, text: "graph end." });
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes("Paragraph end."),
      content,
      { timeout: 10_000 },
    );
    assert.equal(await page.evaluate(() => window.__mutations), 0, "other messages untouched");
    await finish(page);
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));
    await page.waitForFunction(
      ([sel, n]) => document.querySelectorAll(`${sel} p`).length === n,
      [content, total * 2 + 2],
      { timeout: 10_000 },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 8_000, `1,500 paragraphs stream in well under 8 s (took ${elapsed} ms)`);
    const kept = await page.evaluate((sel) => document.querySelector(`${sel} p`).__marked, content);
    assert.equal(kept, true, "the first paragraph's DOM node survived the whole stream");
  });
});

describe("branches and edits", () => {
  test("the branch switcher shows 1/2 and switches with select_branch", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-kyoto"]`);
    const msg = messageSel("a-k1");
    await page.waitForSelector(msg);
    assert.equal(await text(page, `${msg} ${tid("branch-position")}`), "1/2");
    assert.ok(await page.isDisabled(`${msg} ${tid("branch-prev")}`));
    await page.click(`${msg} ${tid("branch-next")}`);
    await page.waitForSelector(messageSel("a-k2"));
    const [call] = await calls(page, "select_branch");
    assert.equal(call.args.messageId, "a-k2");
    assert.match(
      await text(page, messageSel("a-k2", ` ${tid("message-content")}`)),
      /Second version/,
    );
    assert.equal(await text(page, `${messageSel("a-k2")} ${tid("branch-position")}`), "2/2");
    await page.click(`${messageSel("a-k2")} ${tid("branch-prev")}`);
    await page.waitForSelector(messageSel("a-k1"));
  });

  test("edit and resend replaces the turn with a new branch", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("u-rust"));
    await page.click(messageSel("u-rust", ` ${tid("message-edit")}`));
    const input = page.locator(tid("message-edit-input"));
    assert.match(await input.inputValue(), /What is a lifetime/);
    await input.fill("Explain lifetimes in one sentence.");
    await page.click(tid("message-edit-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("edit_and_resend").length === 1);
    const [call] = await calls(page, "edit_and_resend");
    assert.equal(call.args.messageId, "u-rust");
    assert.equal(call.args.text, "Explain lifetimes in one sentence.");
    assert.match(call.args.onEvent, /^__CHANNEL__:/);

    const replyId = await page.evaluate(() => window.__MOCK__.lastChannel.messageId);
    await page.waitForSelector(messageSel(replyId, '[data-status="streaming"]'));
    assert.equal(await count(page, messageSel("u-rust")), 0);
    assert.equal(await count(page, messageSel("a-rust")), 0);
    const user = page.locator('[data-testid="message"][data-role="user"]');
    assert.equal(
      await user.locator(tid("message-content")).innerText(),
      "Explain lifetimes in one sentence.",
    );
    assert.equal(await user.locator(tid("branch-position")).innerText(), "2/2");
  });

  test("regenerate on the last reply asks for a new sibling", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.click(messageSel("a-rust", ` ${tid("message-regenerate")}`));
    await page.waitForFunction(() => window.__MOCK__.callsOf("regenerate_reply").length === 1);
    assert.equal((await calls(page, "regenerate_reply"))[0].args.messageId, "a-rust");
  });
});

describe("conversations", () => {
  test("the list renders newest first and clicking opens a conversation", async () => {
    const page = await app();
    const ids = await page.$$eval(
      `${tid("conversation-list")} ${tid("conversation-item")}`,
      (els) => els.map((e) => e.dataset.id),
    );
    assert.deepEqual(ids, ["c-rust", "c-kyoto", "c-blocks", "c-sql", "c-essay", "c-regex"]);
    const rust = `${tid("conversation-item")}[data-id="c-rust"]`;
    assert.equal(await text(page, rust), "Rust lifetimes explained", "one line: no repeated time");
    assert.match(
      await page.getAttribute(rust, "title"),
      /^Updated [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M$/,
      "the exact time is the row's tooltip",
    );
    assert.equal(await count(page, tid("empty-state")), 1, "a new draft shows the empty state");

    await page.click(`${tid("conversation-item")}[data-id="c-kyoto"]`);
    await page.waitForSelector(
      `${tid("conversation-item")}[data-id="c-kyoto"][data-active="true"]`,
    );
    await page.waitForSelector(messageSel("u-kyoto"));
    assert.equal((await calls(page, "open_conversation"))[0].args.id, "c-kyoto");
    assert.equal(
      await page.getAttribute(`${tid("conversation-item")}[data-id="c-rust"]`, "data-active"),
      "false",
    );

    await page.click(tid("conversation-new"));
    await page.waitForSelector(tid("empty-state"));
    assert.equal(await count(page, `${tid("conversation-item")}[data-active="true"]`), 0);
    assert.equal(
      await page.evaluate(() => document.activeElement?.dataset.testid),
      "composer-input",
      "a new conversation focuses the composer",
    );
  });

  test("model select: draft model is sent; existing conversation is updated", async () => {
    const page = await app();
    const select = tid("model-select");
    assert.equal(await page.getAttribute(select, "data-value"), "claude-sonnet-4-5");
    await page.selectOption(select, "claude-opus-4-1");
    await page.waitForSelector(`${select}[data-value="claude-opus-4-1"]`);
    assert.equal(
      (await calls(page, "update_conversation")).length,
      0,
      "a draft has no backend row",
    );
    await send(page, "hi");
    assert.equal((await calls(page, "send_message"))[0].args.request.model, "claude-opus-4-1");

    await page.click(`${tid("conversation-item")}[data-id="c-kyoto"]`);
    await page.waitForSelector(messageSel("a-k1"));
    await page.selectOption(select, "claude-haiku-4-5");
    await page.waitForFunction(() => window.__MOCK__.callsOf("update_conversation").length === 1);
    const [update] = await calls(page, "update_conversation");
    assert.deepEqual(update.args, { id: "c-kyoto", model: "claude-haiku-4-5", systemPrompt: null });
    await page.waitForSelector(`${select}[data-value="claude-haiku-4-5"]`);

    await page.selectOption(select, "__custom__");
    await page.fill(tid("model-select-custom"), "claude-experimental-1");
    await page.press(tid("model-select-custom"), "Enter");
    await page.waitForSelector(`${select}[data-value="claude-experimental-1"]`);
    assert.equal((await calls(page, "update_conversation"))[1].args.model, "claude-experimental-1");
  });

  test("the system prompt is saved with update_conversation, or sent with a draft", async () => {
    const page = await app();
    await page.click(tid("system-prompt-toggle"));
    await page.fill(tid("system-prompt"), "Answer like a pirate.");
    await send(page, "hi");
    assert.equal(
      (await calls(page, "send_message"))[0].args.request.systemPrompt,
      "Answer like a pirate.",
    );

    await page.click(`${tid("conversation-item")}[data-id="c-kyoto"]`);
    await page.waitForSelector(messageSel("a-k1"));
    assert.equal(await page.inputValue(tid("system-prompt")), "");
    await page.fill(tid("system-prompt"), "Be brief.");
    await page.click(tid("system-prompt-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("update_conversation").length === 1);
    assert.deepEqual((await calls(page, "update_conversation"))[0].args, {
      id: "c-kyoto",
      model: null,
      systemPrompt: "Be brief.",
    });
  });

  test("keyboard: Ctrl+N starts a draft, Ctrl+, opens settings, Escape closes them", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("a-rust"));
    await page.keyboard.press("Control+n");
    await page.waitForSelector(tid("empty-state"));
    await page.keyboard.press("Control+,");
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    await page.keyboard.press("Escape");
    await page.waitForSelector(`${tid("settings-dialog")}:not([open])`, { state: "attached" });
  });
});

describe("settings", () => {
  test("saving a key sends it once, clears the input, and it never comes back", async () => {
    const page = await app({ keyStatus: "unset" });
    const secret = "sk-ant-api03-TOPSECRET-0123456789";
    await page.click(tid("settings-open"));
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    assert.equal(await page.getAttribute(tid("settings-api-key-status"), "data-state"), "unset");
    assert.equal(await page.inputValue(tid("settings-api-key")), "", "never prefilled");
    assert.equal(await page.getAttribute(tid("settings-api-key"), "type"), "password");
    await page.fill(tid("settings-api-key"), secret);
    await page.click(tid("settings-api-key-save"));
    await page.waitForSelector(`${tid("settings-api-key-status")}[data-state="set"]`);
    assert.equal(await page.inputValue(tid("settings-api-key")), "", "cleared after saving");
    const [call] = await calls(page, "set_api_key");
    assert.deepEqual(call.args, { baseUrl: "https://primary.example.test", key: secret });

    // Later traffic and the DOM never carry the key.
    await page.click(tid("settings-test-connection"));
    await page.waitForSelector(tid("settings-test-result"));
    await page.click(tid("settings-close"));
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("a-rust"));
    const responses = await page.evaluate(() => window.__MOCK__.responses.join("\n"));
    assert.ok(!responses.includes(secret), "no IPC response contains the key");
    const leaked = await page.evaluate((s) => {
      if (document.documentElement.outerHTML.includes(s)) return "DOM";
      for (const el of document.querySelectorAll("input, textarea"))
        if (el.value.includes(s)) return "input";
      return null;
    }, secret);
    assert.equal(leaked, null, "the key is nowhere in the page");
    assert.equal(await count(page, tid("no-key-banner")), 0, "the banner goes once a key is set");

    await page.click(tid("settings-open"));
    await page.click(tid("settings-api-key-clear"));
    await page.click(tid("settings-api-key-clear-confirm"));
    await page.waitForSelector(`${tid("settings-api-key-status")}[data-state="unset"]`);
    assert.equal((await calls(page, "clear_api_key")).length, 1);
  });

  test("a new base URL asks for its own key, which is saved for that origin and listed", async () => {
    const page = await app();
    await page.click(tid("settings-open"));
    const status = tid("settings-api-key-status");
    await page.waitForSelector(
      `${status}[data-state="set"][data-origin="https://primary.example.test"]`,
    );
    assert.equal(await count(page, tid("settings-api-key-needed")), 0);

    // Typing another address switches the key section to that origin before anything is saved.
    await page.fill(tid("settings-base-url"), "https://gateway.example.test/v1");
    await page.waitForSelector(
      `${status}[data-state="unset"][data-origin="https://gateway.example.test"]`,
    );
    assert.match(await text(page, tid("settings-api-key-needed")), /gateway\.example\.test/);
    assert.equal(
      await page.getAttribute(tid("settings-api-key"), "aria-label"),
      "API key for gateway.example.test",
    );
    await page.fill(tid("settings-api-key"), "sk-gateway-secret");
    await page.click(tid("settings-api-key-save"));
    await page.waitForSelector(
      `${status}[data-state="set"][data-origin="https://gateway.example.test"]`,
    );
    assert.deepEqual((await calls(page, "set_api_key")).at(-1).args, {
      baseUrl: "https://gateway.example.test/v1",
      key: "sk-gateway-secret",
    });
    await page.waitForFunction(
      (sel) => document.querySelectorAll(sel).length === 2,
      tid("settings-key-origin"),
    );

    // Each saved origin can be removed, after a confirmation.
    const primary = `${tid("settings-key-origin")}[data-origin="https://primary.example.test"]`;
    await page.click(`${primary} ${tid("settings-key-origin-remove")}`);
    assert.equal(
      (await calls(page, "clear_api_key")).length,
      0,
      "nothing removed before confirming",
    );
    await page.click(`${primary} ${tid("settings-key-origin-remove-confirm")}`);
    await page.waitForSelector(primary, { state: "detached" });
    assert.deepEqual((await calls(page, "clear_api_key")).at(-1).args, {
      baseUrl: "https://primary.example.test",
    });
    assert.equal(
      await page.getAttribute(status, "data-origin"),
      "https://gateway.example.test",
      "the status still describes the origin now chosen",
    );

    // The key field names the provider of the chosen origin.
    await page.selectOption(tid("settings-base-url-preset"), "https://secondary.example.test");
    await page.waitForSelector(`${status}[data-origin="https://secondary.example.test"]`);
    assert.equal(
      await page.getAttribute(tid("settings-api-key"), "aria-label"),
      "Anthropic API key",
    );
    assert.equal(await page.getAttribute(tid("settings-api-key"), "placeholder"), "sk-ant-…");
    assert.equal(await page.inputValue(tid("settings-api-key")), "");
  });

  test("env key status, presets, validation errors inline, and a successful save", async () => {
    const page = await app({ keyStatus: "env" });
    await page.click(tid("settings-open"));
    await page.waitForSelector(`${tid("settings-api-key-status")}[data-state="env"]`);
    assert.match(await text(page, tid("settings-api-key-status")), /ANTHROPIC_API_KEY/);
    assert.equal(await page.inputValue(tid("settings-base-url")), "https://primary.example.test");
    assert.equal(
      await page.inputValue(tid("settings-base-url-preset")),
      "https://primary.example.test",
    );

    await page.selectOption(tid("settings-base-url-preset"), "https://secondary.example.test");
    assert.equal(await page.inputValue(tid("settings-base-url")), "https://secondary.example.test");

    await page.fill(tid("settings-base-url"), "not a url");
    assert.equal(await page.inputValue(tid("settings-base-url-preset")), "custom");
    await page.click(tid("settings-save"));
    const error = page.locator(tid("settings-error"));
    await error.waitFor();
    assert.match(await error.innerText(), /Base URL must be an http\(s\) URL/);

    await page.fill(tid("settings-base-url"), "https://gateway.example.test/");
    // anthropic-version and the auth header sit apart, under Advanced.
    assert.equal(
      await page.locator(`${tid("settings-advanced")} ${tid("settings-api-version")}`).count(),
      1,
    );
    await page.selectOption(tid("settings-api-version"), "2025-10-01");
    await page.selectOption(tid("settings-auth-style"), "bearer");
    await page.selectOption(tid("settings-default-model"), "claude-haiku-4-5");
    await page.fill(tid("settings-max-tokens"), "8192");
    await page.click(tid("settings-save"));
    await error.waitFor({ state: "detached" });
    const saves = await calls(page, "save_settings");
    assert.deepEqual(saves.at(-1).args.settings, {
      baseUrl: "https://gateway.example.test/",
      apiVersion: "2025-10-01",
      authStyle: "bearer",
      defaultModel: "claude-haiku-4-5",
      defaultMaxTokens: 8192,
      imageFullResolution: false,
      titleModel: "claude-haiku-4-5",
      // Request control: left as they were.
      defaultParams: {
        maxTokens: null,
        temperature: null,
        topP: null,
        topK: null,
        stopSequences: [],
        thinking: false,
        thinkingBudget: null,
        toolChoice: { type: "auto" },
        handTools: [],
      },
      metadataUserId: null,
      promptCaching: true,
      tokenCounting: true,
      prices: saves.at(-1).args.settings.prices,
      // Tools: left as they were.
      toolTimeoutSecs: 60,
      toolRoundCap: 25,
      proxy: { mode: "system" },
    });
    assert.equal(saves.at(-1).args.settings.prices.length, 4, "the price table is saved as it was");
    await page.waitForFunction(
      (sel) => document.querySelector(sel).value === "https://gateway.example.test",
      tid("settings-base-url"),
    );
  });

  test("test connection shows success or the exact error", async () => {
    const page = await app();
    await page.click(tid("settings-open"));
    await page.click(tid("settings-test-connection"));
    const result = page.locator(tid("settings-test-result"));
    await page.waitForSelector(`${tid("settings-test-result")}[data-state="ok"]`);
    assert.match(await result.innerText(), /Connected: claude-sonnet-4-5 in 321 ms/);

    await page.evaluate(() => {
      window.__MOCK__.handlers.test_connection = () => {
        throw { kind: "auth", message: "invalid x-api-key", status: 401, requestId: "req_bad" };
      };
    });
    await page.click(tid("settings-test-connection"));
    await page.waitForSelector(`${tid("settings-test-result")}[data-state="error"]`);
    const shown = await result.innerText();
    assert.match(shown, /Authentication failed/);
    assert.match(shown, /invalid x-api-key/);
    assert.match(shown, /req_bad/);
    assert.equal(await result.getAttribute("data-error-kind"), "auth");
  });

  test("a keychain that cannot be read says why in settings", async () => {
    const page = await app({ keyStatus: "unset" });
    await page.evaluate(() => {
      window.__MOCK__.handlers.get_settings = (args, defaults) => ({
        ...defaults.get_settings(args),
        key: {
          ...defaults.get_settings(args).key,
          keychainError: {
            kind: "keychain_unavailable",
            message: "The system keychain is not available (no Secret Service).",
            status: null,
            requestId: null,
          },
        },
      });
    });
    await page.click(tid("settings-open"));
    const error = page.locator(tid("settings-api-key-error"));
    await error.waitFor();
    assert.match(await error.innerText(), /keychain is not available/);
  });

  test("with no key a banner over an open conversation leads to settings", async () => {
    const page = await app({ keyStatus: "unset" });
    // The empty view asks for the key itself (tests/onboarding.test.mjs); the banner is for a
    // conversation.
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("a-rust"));
    const banner = page.locator(tid("no-key-banner"));
    await banner.waitFor();
    assert.match(await banner.innerText(), /No key is saved for https:\/\/primary\.example\.test/);
    assert.match(await banner.innerText(), /Add your apimart API key/);
    await page.click(tid("no-key-banner-settings"));
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="settings-dialog"]').contains(document.activeElement),
    );
  });
});

describe("appearance", () => {
  test("the theme follows the system, toggles, and the choice persists", async () => {
    const page = await app({ colorScheme: "dark" });
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    assert.equal(await theme(), "dark", "prefers-color-scheme: dark is followed");
    await page.click(tid("theme-toggle"));
    assert.equal(await theme(), "light");
    assert.equal(await page.evaluate(() => localStorage.getItem("parley.theme")), "light");
    await page.reload();
    await page.waitForSelector('[data-testid="app"][data-ready="true"]');
    assert.equal(await theme(), "light", "the choice survives a restart");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, "rgb(251, 250, 248)");
  });

  test("the transcript renders the fixture reply with a readable width", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("a-rust"));
    const width = await page.locator(messageSel("a-rust")).evaluate((el) => el.clientWidth);
    assert.ok(width <= 780 && width >= 600, `transcript column ${width}px`);
    assert.ok(RUST_REPLY.includes("lifetime"));
  });
});

describe("an upgrade of the history at start-up", () => {
  const setStartup = (page, startup) =>
    page.evaluate((value) => (window.__MOCK__.startup = value), startup);
  const stepText = (page) => page.locator(tid("upgrade-step")).innerText();

  test("shows each step and the indexing progress, then builds the app once the history is open", async () => {
    const page = await app({
      upgrading: true,
      startup: { ready: false, step: { step: "backingUp" } },
    });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="upgrade-screen"]')?.dataset.step === "backingUp",
    );
    assert.equal(await stepText(page), "Backing up your history…");
    const bar = page.locator(tid("upgrade-progress"));
    assert.equal(
      await bar.getAttribute("aria-valuenow"),
      null,
      "a step without a count has no value",
    );

    await setStartup(page, {
      ready: false,
      step: { step: "indexing", done: 250_000, total: 1_000_000 },
    });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="upgrade-screen"]')?.dataset.step === "indexing",
    );
    assert.equal(
      await stepText(page),
      "Rebuilding the search index: 250,000 of 1,000,000 messages",
    );
    assert.equal(await bar.getAttribute("aria-valuenow"), "25");
    assert.deepEqual(
      [...new Set((await page.evaluate(() => window.__MOCK__.calls)).map((c) => c.cmd))],
      ["startup_status"],
      "nothing else is asked before the history is open",
    );

    await setStartup(page, { ready: true, step: { step: "compacting" } });
    await page.waitForSelector('[data-testid="app"][data-ready="true"]');
    assert.equal(await page.locator(tid("upgrade-screen")).count(), 0);
    await page.waitForSelector(`${tid("conversation-item")}[data-id="c-rust"]`);
  });

  test("speaks the chosen language", async () => {
    const page = await app({
      upgrading: true,
      uiLocale: "zh-CN",
      startup: { ready: false, step: { step: "indexing", done: 1_200, total: 3_000 } },
    });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="upgrade-screen"]')?.dataset.step === "indexing",
    );
    assert.equal(await stepText(page), "正在重建搜索索引：已完成 1,200 / 3,000 条消息");
    assert.equal(await page.locator("h1").innerText(), "正在更新历史记录");
  });
});
