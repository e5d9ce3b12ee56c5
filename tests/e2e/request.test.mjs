// End to end: request control in the built app against the mock Claude server, which records
// every request it receives (never its headers). Parameters, a stop sequence and a prefill set
// in the UI reach the request exactly; the reply shows why it stopped and what it cost; the
// parameters survive a restart; a preset saved from one conversation starts another.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import {
  lastAssistant,
  launchApp,
  newDataDir,
  saveKeyInSettings,
  saveScreenshot,
  startMockServer,
} from "./harness.mjs";
import { ENTER } from "./webdriver.mjs";

const KEY = "sk-ant-e2e-request-control";
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

/** The body of the newest streamed `POST /v1/messages` (a reply, not a title) the mock received. */
function lastMessagesBody() {
  const sent = mock
    .requests()
    .filter(
      (r) => r.method === "POST" && r.path === "/v1/messages" && r.body?.stream,
    );
  assert.ok(sent.length > 0, "the mock received a request");
  return sent.at(-1).body;
}

async function setField(app, testid, value) {
  const field = await app.find(testid);
  await field.clear();
  await field.type(value);
}

async function openParams(app) {
  const button = await app.find("params-open");
  if ((await button.attr("aria-expanded")) !== "true") await button.click();
  await app.find("param-temperature");
}

test("parameters, a stop sequence and a prefill set in the UI are exactly what is sent; they survive a restart and travel in a preset", async (t) => {
  const dataDir = newDataDir();
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);

    // Tokens before sending: a burst of typing costs one count_tokens request, not one a key.
    const counts = () =>
      mock.requests().filter((r) => r.path === "/v1/messages/count_tokens")
        .length;
    const before = counts();
    const composer = await app.find("composer-input");
    await composer.click();
    await composer.type("Hello there friend");
    const tokenCount = await app.waitFor("an API token count", async () => {
      const element = await app.find("composer-token-count");
      return (await element.attr("data-source")) === "api" ? element : null;
    });
    assert.ok(Number(await tokenCount.attr("data-tokens")) > 0);
    assert.ok(
      counts() - before <= 2,
      `typing 18 keys at once sent ${counts() - before} count_tokens requests`,
    );

    await openParams(app);
    await setField(app, "param-temperature", "0.2");
    await setField(app, "param-stop-sequences", "there");
    await setField(app, "composer-prefill", "Echo: Hel");
    await composer.click();
    await composer.type(ENTER);

    const reply = await lastAssistant(app, ["done"]);
    const body = lastMessagesBody();
    assert.equal(body.temperature, 0.2);
    assert.deepEqual(body.stop_sequences, ["there"]);
    assert.equal(body.top_p, undefined, "unset fields are not sent");
    assert.equal(body.top_k, undefined);
    assert.deepEqual(body.messages.at(-1), {
      role: "assistant",
      content: [{ type: "text", text: "Echo: Hel" }],
    });

    const stop = await reply.find("message-stop-reason");
    assert.equal(await stop.attr("data-stop-reason"), "stop_sequence");
    assert.equal(await stop.attr("data-stop-sequence"), "there");
    assert.match(
      await (await reply.find("message-content")).text(),
      /Echo: Hello/,
      "the prefill and its continuation read as one reply",
    );
    const cost = await reply.find("message-cost");
    assert.ok(
      Number(await cost.attr("data-micro-usd")) > 0,
      "the default model has a price",
    );

    const conversationId = await (
      await app.find("conversation-item")
    ).attr("data-id");
    await app.quit();
    app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
    await (
      await app.find("conversation-item", `[data-id="${conversationId}"]`)
    ).click();
    await lastAssistant(app, ["done"]);
    await openParams(app);
    assert.equal(
      await app.execute(
        "return document.querySelector('[data-testid=\"param-temperature\"]').value",
      ),
      "0.2",
      "the parameters survive a restart",
    );

    // A preset saved from this conversation starts the next one.
    await (await app.find("preset-save")).click();
    await (await app.find("preset-name-input")).type("Precise");
    await (await app.find("preset-name-save")).click();
    const presetId = await app.waitFor("the saved preset chosen", async () => {
      const value = await (await app.find("preset-select")).attr("data-value");
      return value || null;
    });
    await (await app.find("conversation-new")).click();
    await openParams(app);
    await app.execute(
      `const select = document.querySelector('[data-testid="preset-select"]');
       select.value = ${JSON.stringify(presetId)};
       select.dispatchEvent(new Event("change", { bubbles: true }));`,
    );
    await app.waitFor(
      "the preset's temperature in the panel",
      async () =>
        (await app.execute(
          "return document.querySelector('[data-testid=\"param-temperature\"]').value",
        )) === "0.2",
    );
    const input = await app.find("composer-input");
    await input.click();
    await input.type("A new conversation from the preset");
    await input.type(ENTER);
    await app.waitFor(
      "two conversations",
      async () => (await app.findAll("conversation-item")).length === 2,
    );
    await lastAssistant(app, ["done"]);
    const fromPreset = lastMessagesBody();
    assert.equal(fromPreset.temperature, 0.2);
    assert.deepEqual(fromPreset.stop_sequences, ["there"]);
    assert.equal(
      fromPreset.messages.at(-1).content[0].text,
      "A new conversation from the preset",
      "the prefill was for one message only",
    );
  } catch (error) {
    await saveScreenshot(app, "request-control");
    throw error;
  }
});
