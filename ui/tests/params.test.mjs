// Request control (issue 10) against the fake backend: the parameters panel and its rules,
// what a send carries, presets, prefill, stop reasons and Continue, usage and cost, the token
// count, and the settings for defaults, prices, models and spend.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { paramsConversation, seedConversations } from "./fixtures/conversations.mjs";
import { appPerTest, calls, emit, finish, messageSel, send, tid, usage } from "./harness.mjs";

const app = appPerTest(() => ({ conversations: [paramsConversation(), ...seedConversations()] }));

const EMPTY = {
  maxTokens: null,
  temperature: null,
  topP: null,
  topK: null,
  stopSequences: [],
  thinking: false,
  thinkingBudget: null,
  toolChoice: { type: "auto" },
  handTools: [],
};

const attr = (page, selector, name) => page.getAttribute(selector, name);
const text = (page, selector) => page.locator(selector).innerText();
const focusedTestid = (page) => page.evaluate(() => document.activeElement?.dataset.testid);

async function openPanel(page) {
  if ((await attr(page, tid("params-open"), "aria-expanded")) !== "true") {
    await page.click(tid("params-open"));
  }
  await page.waitForSelector(tid("param-temperature"));
}

async function openConversation(page, id, lastMessage) {
  await page.click(`${tid("conversation-item")}[data-id="${id}"]`);
  await page.waitForSelector(messageSel(lastMessage));
}

/** Renders the whole branch (the transcript opens on its newest 8 messages). */
async function showAll(page) {
  const earlier = page.locator(tid("transcript-load-earlier"));
  // The button may go while it is clicked: the sentinel in view loads the last page by itself.
  for (let i = 0; i < 50 && (await earlier.count()) > 0; i++) {
    await earlier.click({ timeout: 1000 }).catch(() => {});
  }
  assert.equal(await earlier.count(), 0, "the whole branch is shown");
}

/** The text of every element an input's aria-describedby names. */
function description(page, selector) {
  return page.$eval(selector, (el) =>
    (el.getAttribute("aria-describedby") || "")
      .split(" ")
      .map((id) => document.getElementById(id)?.textContent?.trim() ?? "")
      .join(" | "),
  );
}

describe("the parameters panel", () => {
  test("opens by its button and by Ctrl+Shift+P (focus inside); Escape closes it", async () => {
    const page = await app();
    const button = tid("params-open");
    assert.equal(await attr(page, button, "aria-expanded"), "false");
    assert.equal(await page.locator(tid("param-max-tokens")).count(), 0);

    await page.click(button);
    assert.equal(await attr(page, button, "aria-expanded"), "true");
    await page.waitForSelector(tid("param-max-tokens"));
    for (const id of ["temperature", "top-p", "top-k", "stop-sequences", "thinking-budget"]) {
      await page.waitForSelector(tid(`param-${id}`));
    }
    assert.equal(await page.locator(tid("system-prompt")).count(), 1, "the prompt is beside");
    assert.match(
      await attr(page, tid("param-temperature"), "placeholder"),
      /not sent — API default/,
      "an empty field says it is not sent",
    );
    await page.click(button);
    assert.equal(await attr(page, button, "aria-expanded"), "false");

    await page.focus(tid("composer-input"));
    await page.keyboard.press("Control+Shift+P");
    await page.waitForSelector(`${button}[aria-expanded="true"]`);
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "param-max-tokens");
    await page.keyboard.press("Tab");
    assert.equal(await focusedTestid(page), "param-temperature", "fields follow in order");
    await page.keyboard.press("Escape");
    await page.waitForSelector(`${button}[aria-expanded="false"]`);
    assert.equal(await focusedTestid(page), "params-open", "focus returns to the button");
    await page.keyboard.press("Control+Shift+P");
    await page.waitForSelector(`${button}[aria-expanded="true"]`);
    await page.keyboard.press("Control+Shift+P");
    await page.waitForSelector(`${button}[aria-expanded="false"]`);
  });

  test("temperature and top_p exclude each other, with the reason shown", async () => {
    const page = await app();
    await openPanel(page);
    await page.fill(tid("param-temperature"), "0.4");
    assert.ok(await page.isDisabled(tid("param-top-p")), "typing temperature disables top_p");
    assert.match(
      await description(page, tid("param-top-p")),
      /The API advises setting temperature or top_p, not both/,
    );
    assert.ok(await page.isEnabled(tid("param-temperature")));
    await page.fill(tid("param-temperature"), "");
    assert.ok(await page.isEnabled(tid("param-top-p")), "clearing it enables top_p again");
    await page.fill(tid("param-top-p"), "0.9");
    assert.ok(await page.isDisabled(tid("param-temperature")));
    assert.match(await description(page, tid("param-temperature")), /not both/);
  });

  test("thinking: a -thinking model thinks by itself, an old model cannot, a Claude 4 model takes it", async () => {
    const page = await app();
    await openPanel(page);
    const toggle = tid("param-thinking");

    await page.selectOption(tid("model-select"), "claude-sonnet-4-5-thinking");
    await page.waitForSelector(`${toggle}:disabled`);
    assert.equal(await attr(page, toggle, "data-state"), "off");
    assert.equal(await text(page, tid("param-thinking-reason")), "This model thinks by itself");
    assert.ok(await page.isDisabled(tid("param-thinking-budget")));

    await page.selectOption(tid("model-select"), "claude-3-5-haiku");
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes("does not support"),
      tid("param-thinking-reason"),
    );
    assert.equal(
      await text(page, tid("param-thinking-reason")),
      "This model does not support extended thinking",
    );
    assert.ok(await page.isDisabled(toggle));

    await page.selectOption(tid("model-select"), "claude-sonnet-4-5");
    await page.waitForSelector(`${toggle}:enabled`);
    await page.fill(tid("param-temperature"), "0.5");
    await page.fill(tid("param-max-tokens"), "8000");
    // By keyboard: the switch takes Space.
    await page.focus(toggle);
    await page.keyboard.press("Space");
    await page.waitForSelector(`${toggle}[data-state="on"][aria-checked="true"]`);
    assert.ok(await page.isDisabled(tid("param-temperature")), "temperature is not used");
    assert.match(
      await description(page, tid("param-temperature")),
      /Not used with extended thinking/,
    );
    assert.ok(await page.isDisabled(tid("param-top-k")));
    assert.ok(await page.isEnabled(tid("param-thinking-budget")));
    // The kept temperature can still be cleared, which frees top_p (0.95 or more only).
    await page.click(tid("param-temperature-clear"));
    await page.fill(tid("param-top-p"), "0.9");
    assert.equal(await attr(page, tid("param-top-p"), "aria-invalid"), "true");
    assert.match(await description(page, tid("param-top-p")), /at least 0\.95/);
    await page.fill(tid("param-top-p"), "0.95");
    assert.equal(await attr(page, tid("param-top-p"), "aria-invalid"), null);
  });

  test("invalid values are marked, explained and block sending; nothing is sent", async () => {
    const page = await app();
    await openPanel(page);
    await page.fill(tid("composer-input"), "Hello");
    assert.ok(await page.isEnabled(tid("composer-send")));

    const cases = [
      ["param-temperature", "1.5", /temperature must be between 0 and 1/],
      ["param-top-k", "0", /top_k must be a positive whole number/],
      ["param-max-tokens", "70000", /at most 64000 for this model/],
      ["param-stop-sequences", "a\nb\nc\nd\ne", /At most 4 stop sequences/],
    ];
    for (const [id, value, message] of cases) {
      await page.fill(tid(id), value);
      assert.equal(await attr(page, tid(id), "aria-invalid"), "true", id);
      assert.match(await description(page, tid(id)), message, `${id} says why`);
      assert.ok(await page.isDisabled(tid("composer-send")), `${id} blocks sending`);
      assert.match(await text(page, tid("composer-blocked")), message);
      assert.equal(
        await attr(page, tid("composer-send"), "aria-describedby"),
        "composer-blocked",
        "the send button is described by the reason",
      );
      await page.press(tid("composer-input"), "Enter");
      await page.fill(tid(id), "");
      assert.equal(await attr(page, tid(id), "aria-invalid"), null);
    }
    // The thinking budget must stay below max_tokens (the settings' 4096 when unset).
    await page.click(tid("param-thinking"));
    await page.fill(tid("param-thinking-budget"), "5000");
    assert.match(
      await description(page, tid("param-thinking-budget")),
      /below max_tokens \(4096\)/,
    );
    assert.ok(await page.isDisabled(tid("composer-send")));
    await page.fill(tid("param-thinking-budget"), "1000");
    assert.match(await description(page, tid("param-thinking-budget")), /at least 1024/);
    await page.fill(tid("param-thinking-budget"), "");
    assert.ok(await page.isEnabled(tid("composer-send")));
    assert.equal((await calls(page, "send_message")).length, 0, "nothing invalid was sent");
  });
});

describe("what a send carries", () => {
  test("the prefill field grows with its lines up to a limit and is one row again when emptied", async () => {
    const page = await app();
    const field = page.locator(tid("composer-prefill"));
    const height = () => field.evaluate((el) => el.getBoundingClientRect().height);
    const oneRow = await height();
    assert.ok(oneRow > 0, "the empty field shows");
    await field.fill("one\ntwo\nthree");
    const threeLines = await height();
    assert.ok(threeLines > oneRow * 2, `three lines: ${threeLines} px, one row: ${oneRow} px`);
    await field.fill("line\n".repeat(40));
    assert.ok((await height()) <= 122, "capped at 120 px and its border: it scrolls beyond");
    await field.fill("");
    assert.equal(await height(), oneRow, "one row again once emptied");
  });

  test("a new conversation sends the panel's params and the prefill exactly; the prefill is cleared", async () => {
    const page = await app();
    await openPanel(page);
    await page.fill(tid("param-max-tokens"), "1000");
    await page.fill(tid("param-temperature"), "0.2");
    await page.fill(tid("param-top-k"), "40");
    await page.fill(tid("param-stop-sequences"), "END\n\\n\\nHuman:\n");
    await page.fill(tid("composer-prefill"), "Sure, the answer is");
    const id = await send(page, "What is 6 × 7?");

    const [call] = await calls(page, "send_message");
    assert.deepEqual(call.args.request.params, {
      ...EMPTY,
      maxTokens: 1000,
      temperature: 0.2,
      topK: 40,
      stopSequences: ["END", "\n\nHuman:"],
    });
    assert.equal(call.args.request.prefill, "Sure, the answer is");
    assert.equal(await page.inputValue(tid("composer-prefill")), "", "cleared after sending");
    assert.equal(
      (await calls(page, "update_conversation_params")).length,
      0,
      "a new conversation's params travel with the send",
    );

    // The reply continues the prefill: one reply, the user's start marked.
    await emit(page, { type: "textDelta", messageId: id, index: 0, text: " 42." });
    await finish(page, { usage: usage(20, 5) });
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));
    const prefill = page.locator(messageSel(id, ` ${tid("message-prefill")}`));
    assert.equal(await prefill.innerText(), "Sure, the answer is");
    assert.equal(await prefill.getAttribute("title"), "You started the reply with this");
    assert.equal(
      (await text(page, messageSel(id, ` ${tid("message-content")}`))).trim(),
      "Sure, the answer is 42.",
      "the prefill and its continuation read as one line",
    );

    // The next message of the now existing conversation carries the panel's params too.
    await page.fill(tid("composer-input"), "Thanks");
    await page.press(tid("composer-input"), "Enter");
    await page.waitForFunction(() => window.__MOCK__.callsOf("send_message").length === 2);
    const second = (await calls(page, "send_message"))[1].args.request;
    assert.equal(second.params.temperature, 0.2);
    assert.equal(second.prefill, null, "no prefill unless typed");
  });

  test("an existing conversation stores edits after a pause, and before a send", async () => {
    const page = await app();
    await openConversation(page, "c-params", "a-long");
    await openPanel(page);
    assert.equal(await page.inputValue(tid("param-temperature")), "0.3", "its stored params");
    assert.equal(await page.inputValue(tid("param-max-tokens")), "2000");
    assert.equal(await page.inputValue(tid("param-stop-sequences")), "END");

    await page.fill(tid("param-temperature"), "0.5");
    await page.waitForTimeout(150);
    assert.equal((await calls(page, "update_conversation_params")).length, 0, "debounced");
    await page.waitForFunction(
      () => window.__MOCK__.callsOf("update_conversation_params").length === 1,
    );
    assert.deepEqual((await calls(page, "update_conversation_params"))[0].args, {
      id: "c-params",
      params: { ...EMPTY, maxTokens: 2000, temperature: 0.5, stopSequences: ["END"] },
    });

    // An edit followed at once by a send is stored first.
    await page.fill(tid("param-temperature"), "0.6");
    await send(page, "Once more");
    const order = await page.evaluate(() =>
      window.__MOCK__.calls
        .map((c) => c.cmd)
        .filter((c) => c === "update_conversation_params" || c === "send_message"),
    );
    assert.deepEqual(order, [
      "update_conversation_params",
      "update_conversation_params",
      "send_message",
    ]);
    assert.equal((await calls(page, "send_message"))[0].args.request.params.temperature, 0.6);
    assert.equal(
      await page.evaluate(() => window.__MOCK__.conversation("c-params").params.temperature),
      0.6,
    );
    // An invalid value is never stored.
    await page.fill(tid("param-temperature"), "9");
    await page.waitForTimeout(600);
    assert.equal((await calls(page, "update_conversation_params")).length, 2);
  });

  test("a new conversation starts from the settings' default parameters", async () => {
    const page = await app({ settings: { defaultParams: { ...EMPTY, temperature: 0.7 } } });
    await openPanel(page);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.value === "0.7",
      tid("param-temperature"),
    );
    await send(page, "Hi");
    assert.equal((await calls(page, "send_message"))[0].args.request.params.temperature, 0.7);
  });
});

describe("presets", () => {
  test("save, apply to a new conversation, default for Ctrl+N, rename, delete", async () => {
    const page = await app();
    await openPanel(page);
    await page.selectOption(tid("model-select"), "claude-opus-4-1");
    await page.fill(tid("system-prompt"), "Be careful.");
    await page.fill(tid("param-temperature"), "0.1");

    await page.click(tid("preset-save"));
    await page.fill(tid("preset-name-input"), "Careful");
    await page.press(tid("preset-name-input"), "Enter");
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_preset").length === 1);
    assert.deepEqual((await calls(page, "save_preset"))[0].args.draft, {
      id: null,
      name: "Careful",
      model: "claude-opus-4-1",
      systemPrompt: "Be careful.",
      params: { ...EMPTY, temperature: 0.1 },
    });
    const presetId = await page.evaluate(() => [...window.__MOCK__.state.presets.keys()][0]);
    await page.waitForSelector(`${tid("preset-select")}[data-value="${presetId}"]`);

    // A new conversation starts plain (no default yet); choosing the preset fills it.
    await page.keyboard.press("Control+n");
    await openPanel(page);
    await page.waitForSelector(`${tid("preset-select")}[data-value=""]`);
    assert.equal(await page.inputValue(tid("param-temperature")), "");
    assert.equal(await attr(page, tid("model-select"), "data-value"), "claude-sonnet-4-5");
    await page.selectOption(tid("preset-select"), presetId);
    await page.waitForSelector(`${tid("model-select")}[data-value="claude-opus-4-1"]`);
    assert.equal(await page.inputValue(tid("system-prompt")), "Be careful.");
    assert.equal(await page.inputValue(tid("param-temperature")), "0.1");

    // Made the default, it starts every new conversation.
    await page.click(tid("preset-default"));
    await page.waitForSelector(`${tid("preset-default")}[aria-pressed="true"]`);
    assert.deepEqual((await calls(page, "set_default_preset"))[0].args, { id: presetId });
    await page.selectOption(tid("model-select"), "claude-haiku-4-5");
    await page.keyboard.press("Control+n");
    await page.waitForSelector(`${tid("model-select")}[data-value="claude-opus-4-1"]`);
    await openPanel(page);
    assert.equal(await attr(page, tid("preset-select"), "data-value"), presetId);
    assert.equal(await page.inputValue(tid("param-temperature")), "0.1");
    await send(page, "Go");
    const request = (await calls(page, "send_message"))[0].args.request;
    assert.equal(request.model, "claude-opus-4-1");
    assert.equal(request.systemPrompt, "Be careful.");
    assert.equal(request.params.temperature, 0.1);

    // Rename (Escape cancels, Enter saves), then delete after a confirmation.
    await openPanel(page);
    await page.click(tid("preset-rename"));
    await page.press(tid("preset-name-input"), "Escape");
    await page.waitForSelector(tid("preset-select"));
    assert.equal((await calls(page, "save_preset")).length, 1);
    await page.click(tid("preset-rename"));
    await page.fill(tid("preset-name-input"), "Very careful");
    await page.click(tid("preset-name-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_preset").length === 2);
    const renamed = (await calls(page, "save_preset"))[1].args.draft;
    assert.equal(renamed.id, presetId);
    assert.equal(renamed.name, "Very careful");
    await page.waitForFunction(
      (sel) =>
        document.querySelector(sel)?.selectedOptions[0]?.textContent.includes("Very careful"),
      tid("preset-select"),
    );

    await page.click(tid("preset-delete"));
    assert.equal((await calls(page, "delete_preset")).length, 0, "nothing before confirming");
    await page.click(tid("preset-delete-confirm"));
    await page.waitForSelector(`${tid("preset-select")}[data-value=""]`);
    assert.deepEqual((await calls(page, "delete_preset"))[0].args, { id: presetId });
  });

  test("a default preset loaded at start sets up the first draft", async () => {
    const page = await app({
      presets: [
        {
          id: "p-terse",
          name: "Terse",
          model: "claude-haiku-4-5",
          systemPrompt: "One sentence.",
          params: { ...EMPTY, maxTokens: 300 },
          isDefault: true,
          createdAt: 1,
          updatedAt: 1,
        },
      ],
    });
    await page.waitForSelector(`${tid("model-select")}[data-value="claude-haiku-4-5"]`);
    await openPanel(page);
    assert.equal(await attr(page, tid("preset-select"), "data-value"), "p-terse");
    assert.equal(await page.inputValue(tid("param-max-tokens")), "300");
  });
});

describe("replies: stop reasons, Continue, usage and cost", () => {
  test("each stop reason is shown; a refusal offers to edit the message", async () => {
    const page = await app();
    await openConversation(page, "c-params", "a-long");
    await showAll(page);
    const stop = (id) => messageSel(id, ` ${tid("message-stop-reason")}`);

    assert.equal(await attr(page, stop("a-cache"), "data-stop-reason"), "end_turn");
    assert.equal(await text(page, stop("a-cache")), "Finished");
    assert.equal(await attr(page, stop("a-stop"), "data-stop-reason"), "stop_sequence");
    assert.equal(await attr(page, stop("a-stop"), "data-stop-sequence"), "END");
    assert.equal(await text(page, stop("a-stop")), "Stopped at “END”");
    assert.equal(await attr(page, stop("a-long"), "data-stop-reason"), "max_tokens");
    assert.equal(await text(page, stop("a-long")), "Stopped at the max_tokens limit");
    assert.equal(
      await page.locator(messageSel("a-stop", ` ${tid("message-continue")}`)).count(),
      0,
    );

    // The prefilled reply reads as one, its start marked.
    const prefill = page.locator(messageSel("a-json", ` ${tid("message-prefill")}`));
    assert.equal(await prefill.innerText(), "The answer is");

    assert.equal(await attr(page, stop("a-refused"), "data-stop-reason"), "refusal");
    assert.match(await text(page, stop("a-refused")), /declined/);
    await page.click(messageSel("a-refused", ` ${tid("message-refusal-edit")}`));
    const edit = page.locator(messageSel("u-refused", ` ${tid("message-edit-input")}`));
    await edit.waitFor();
    assert.equal(await edit.inputValue(), "Something the model refuses.");
    assert.equal(await focusedTestid(page), "message-edit-input");
  });

  test("usage shows cache tokens; each reply its cost or 'no price'; the header the total", async () => {
    const page = await app();
    await openConversation(page, "c-params", "a-long");
    await showAll(page);
    const usageEl = messageSel("a-cache", ` ${tid("message-usage")}`);
    assert.equal(await attr(page, usageEl, "data-cache-read-tokens"), "20000");
    assert.equal(await attr(page, usageEl, "data-cache-write-tokens"), "10000");
    assert.equal(
      await text(page, usageEl),
      "1,000 in · 500 out · 20,000 cache read · 10,000 cache write",
    );
    // Sonnet: 1,000 × $3 + 500 × $15 + 10,000 × $3.75 + 20,000 × $0.30 per MTok = 54,000 µ$.
    const cost = messageSel("a-cache", ` ${tid("message-cost")}`);
    assert.equal(await attr(page, cost, "data-micro-usd"), "54000");
    assert.equal(await text(page, cost), "$0.054");
    assert.equal(
      await attr(page, messageSel("a-stop", ` ${tid("message-usage")}`), "data-cache-read-tokens"),
      "0",
    );

    const unpriced = messageSel("a-custom", ` ${tid("message-cost")}`);
    assert.equal(await attr(page, unpriced, "data-micro-usd"), null, "no price, no amount");
    assert.equal(await text(page, unpriced), "no price");

    const total = await page.evaluate(() => {
      const c = window.__MOCK__.state.conversations.get("c-params");
      return [...c.messages.values()]
        .filter((m) => m.role === "assistant" && m.model !== "my-local-model")
        .map((m) => window.__MOCK__.message(m.id).costMicroUsd)
        .reduce((a, b) => a + b, 0);
    });
    assert.equal(await attr(page, tid("conversation-cost"), "data-micro-usd"), String(total));
    assert.match(await text(page, tid("conversation-cost")), /^\$0\.\d{4} \+ 1 unpriced$/);

    // A conversation of an unpriced model says so, without an amount.
    await page.evaluate(() => {
      window.__MOCK__.state.settings.prices = [];
    });
    await openConversation(page, "c-rust", "a-rust");
    assert.equal(await attr(page, tid("conversation-cost"), "data-micro-usd"), null);
    assert.equal(await text(page, tid("conversation-cost")), "no price");
    assert.equal(await text(page, messageSel("a-rust", ` ${tid("message-cost")}`)), "no price");
  });

  test("Continue (by keyboard) calls continue_reply and the same reply streams on", async () => {
    const page = await app();
    await openConversation(page, "c-params", "a-long");
    const before = await text(page, messageSel("a-long", ` ${tid("message-content")}`));
    await page.focus(messageSel("a-long", ` ${tid("message-continue")}`));
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => window.__MOCK__.callsOf("continue_reply").length === 1);
    const [call] = await calls(page, "continue_reply");
    assert.equal(call.args.messageId, "a-long");
    assert.match(call.args.onEvent, /^__CHANNEL__:\d+$/);
    await page.waitForSelector(messageSel("a-long", '[data-status="streaming"]'));
    assert.equal(await page.locator(tid("message-continue")).count(), 0);

    // Text continues the last text block; a new block follows it.
    await emit(page, { type: "textDelta", messageId: "a-long", index: 0, text: " it went on" });
    await emit(
      page,
      { type: "blockStart", messageId: "a-long", index: 1, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: "a-long", index: 1, text: "The end." },
    );
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.includes("The end."),
      messageSel("a-long", ` ${tid("message-content")}`),
    );
    const during = await text(page, messageSel("a-long", ` ${tid("message-content")}`));
    assert.ok(during.startsWith(`${before} it went on`), during);
    assert.equal(await attr(page, tid("transcript"), "data-count"), "12", "still one reply");

    const totalsBefore = (await calls(page, "conversation_totals")).length;
    await finish(page, { stopReason: "end_turn", usage: usage(1500, 2600) });
    await page.waitForSelector(messageSel("a-long", '[data-status="done"]'));
    assert.equal(
      await attr(page, messageSel("a-long", ` ${tid("message-stop-reason")}`), "data-stop-reason"),
      "end_turn",
    );
    await page.waitForFunction(
      (n) => window.__MOCK__.callsOf("conversation_totals").length > n,
      totalsBefore,
    );
  });
});

describe("tokens before sending", () => {
  test("counted after typing pauses, at most one request at a time; api or ≈ estimate", async () => {
    const page = await app();
    await page.evaluate(() => (window.__MOCK__.countDelayMs = 400));
    await page.locator(tid("composer-input")).pressSequentially("How many tokens is this?", {
      delay: 40,
    });
    const count = tid("composer-token-count");
    await page.waitForSelector(`${count}[data-source="api"]`);
    const requests = await calls(page, "count_tokens");
    assert.equal(requests.length, 1, "one request for one pause in typing");
    assert.deepEqual(requests[0].args.request, {
      conversationId: null,
      text: "How many tokens is this?",
      images: [],
      model: "claude-sonnet-4-5",
      systemPrompt: null,
      params: EMPTY,
      prefill: null,
    });
    assert.ok(Number(await attr(page, count, "data-tokens")) > 0);
    assert.doesNotMatch(await text(page, count), /≈/);

    // Typing on while a count is out: it waits, then one more request for the latest text.
    await page.evaluate(() => (window.__MOCK__.tokenSource = "estimate"));
    await page.fill(tid("composer-input"), "A");
    await page.waitForFunction(() => window.__MOCK__.callsOf("count_tokens").length === 2);
    await page.fill(tid("composer-input"), "A longer question now");
    await page.waitForSelector(`${count}[data-source="estimate"]`);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent.startsWith("≈"),
      count,
    );
    await page.waitForTimeout(500);
    const texts = (await calls(page, "count_tokens")).map((c) => c.args.request.text);
    assert.deepEqual(texts, ["How many tokens is this?", "A", "A longer question now"]);

    // Content counted before comes from the cache.
    await page.fill(tid("composer-input"), "A");
    await page.waitForTimeout(500);
    assert.equal((await calls(page, "count_tokens")).length, 3);
  });
});

describe("settings", () => {
  test("prices are edited in dollars per MTok and saved as micro-dollars; bad ones block saving", async () => {
    const page = await app({ capabilities: { cacheControl: false } });
    await page.click(tid("settings-open"));
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    const sonnet = `${tid("settings-price-row")}[data-model="claude-sonnet-4-5"]`;
    assert.equal(await page.inputValue(`${sonnet} ${tid("settings-price-input")}`), "3");
    assert.equal(await page.inputValue(`${sonnet} ${tid("settings-price-cache-read")}`), "0.30");
    await page.fill(`${sonnet} ${tid("settings-price-input")}`, "2.5");

    await page.click(tid("settings-price-add"));
    assert.equal(await focusedTestid(page), "settings-price-model", "the new row takes the focus");
    await page.keyboard.type("my-local-model");
    const added = `${tid("settings-price-row")}[data-model="my-local-model"]`;
    await page.fill(`${added} ${tid("settings-price-input")}`, "abc");
    await page.fill(`${added} ${tid("settings-price-output")}`, "0.5");
    assert.equal(
      await attr(page, `${added} ${tid("settings-price-input")}`, "aria-invalid"),
      "true",
    );
    await page.click(tid("settings-save"));
    await page.waitForSelector(tid("settings-error"));
    assert.equal((await calls(page, "save_settings")).length, 0, "not saved while invalid");
    await page.fill(`${added} ${tid("settings-price-input")}`, "0.25");

    const haiku = `${tid("settings-price-row")}[data-model="claude-haiku-4-5"]`;
    await page.click(`${haiku} ${tid("settings-price-remove")}`);
    await page.fill(tid("settings-metadata-user-id"), "user-7f3a");
    await page.uncheck(tid("settings-prompt-caching"));
    assert.match(
      await text(page, tid("settings-cache-rejected")),
      /This endpoint rejected cache_control; Parley sends requests without it/,
    );
    await page.fill(tid("settings-param-temperature"), "0.4");
    await page.click(tid("settings-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_settings").length === 1);
    const saved = (await calls(page, "save_settings"))[0].args.settings;
    assert.deepEqual(
      saved.prices.map((p) => [p.model, p.input, p.output, p.cacheWrite, p.cacheRead]),
      [
        ["claude-opus-4-1", 15_000_000, 75_000_000, 18_750_000, 1_500_000],
        ["claude-sonnet-4-5", 2_500_000, 15_000_000, 3_750_000, 300_000],
        ["claude-sonnet-4-5-thinking", 3_000_000, 15_000_000, 3_750_000, 300_000],
        ["my-local-model", 250_000, 500_000, 0, 0],
      ],
    );
    assert.equal(saved.metadataUserId, "user-7f3a");
    assert.equal(saved.promptCaching, false);
    assert.deepEqual(saved.defaultParams, { ...EMPTY, temperature: 0.4 });
  });

  test("models refresh on demand (errors shown) and once in the background at start", async () => {
    const page = await app();
    await page.waitForFunction(() => window.__MOCK__.callsOf("refresh_models").length === 1);
    assert.deepEqual((await calls(page, "refresh_models"))[0].args, { force: false });

    await page.click(tid("settings-open"));
    await page.evaluate(() => {
      window.__MOCK__.modelsError = {
        kind: "network",
        message: "could not reach the endpoint",
        status: null,
        requestId: null,
      };
    });
    await page.click(tid("settings-models-refresh"));
    await page.waitForSelector(tid("settings-models-error"));
    assert.match(await text(page, tid("settings-models-error")), /could not reach the endpoint/);
    await page.evaluate(() => (window.__MOCK__.modelsError = null));
    await page.click(tid("settings-models-refresh"));
    await page.waitForSelector(tid("settings-models-error"), { state: "detached" });
    assert.deepEqual((await calls(page, "refresh_models")).at(-1).args, { force: true });
    assert.match(await text(page, tid("settings-models-status")), /fetched just now/);
  });

  test("spend per model for today and this month, with 'no price' rows", async () => {
    const page = await app();
    await page.click(tid("settings-open"));
    await page.waitForSelector(tid("settings-spend-row"));
    const [call] = await calls(page, "spend_summary");
    const now = new Date();
    assert.equal(
      call.args.todayStartMs,
      new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime(),
      "local midnight",
    );
    assert.equal(
      call.args.monthStartMs,
      new Date(now.getFullYear(), now.getMonth(), 1).getTime(),
      "the local first of the month",
    );
    const custom = `${tid("settings-spend-row")}[data-period="today"][data-model="my-local-model"]`;
    assert.equal(await attr(page, custom, "data-micro-usd"), null);
    assert.match(await text(page, custom), /no price/);
    const sonnet = `${tid("settings-spend-row")}[data-period="month"][data-model="claude-sonnet-4-5"]`;
    assert.ok(Number(await attr(page, sonnet, "data-micro-usd")) > 0);
  });
});
