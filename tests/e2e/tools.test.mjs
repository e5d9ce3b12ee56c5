// End to end: tools in the built app. The test MCP server (a real child process of the app) is
// added through Settings → Tools; the mock Claude server scripts the tool_use replies
// (`[[tool:NAME:JSON]]`) and refuses, like the API, any tool_use sent without its tool_result.
// A call shows its full arguments and waits for the user; Allow once runs it and the loop goes
// on by itself; Always allow survives a restart and runs the next call without asking, until it
// is revoked in settings; Stop during a slow tool cancels the call and sends nothing more.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import {
  ROOT,
  lastAssistant,
  launchApp,
  newDataDir,
  saveKeyInSettings,
  saveScreenshot,
  sendMessage,
  startMockServer,
} from "./harness.mjs";

const KEY = "sk-ant-e2e-tools";
const TEST_SERVER =
  process.env.PARLEY_MCP_TEST_SERVER_BINARY ??
  join(ROOT, "target/debug/parley-mcp-test-server");
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

/** The streamed `POST /v1/messages` requests the mock received (replies, not titles). */
function replyRequests() {
  return mock
    .requests()
    .filter(
      (r) => r.method === "POST" && r.path === "/v1/messages" && r.body?.stream,
    );
}

/** The newest tool call card once its `data-state` is one of `states`. */
async function lastCall(app, states, timeoutMs = 20000) {
  return app.waitFor(
    `a tool call in state ${states.join("|")}`,
    async () => {
      const calls = await app.findAll("tool-call");
      const last = calls.at(-1);
      if (!last) return null;
      return states.includes(await last.attr("data-state")) ? last : null;
    },
    timeoutMs,
  );
}

/** The text of the newest finished reply that is not a tool_use reply (the loop's answer). */
async function finalText(app, expected) {
  return app.waitFor(`a final reply containing ${expected}`, async () => {
    const reply = await lastAssistant(app, ["done", "error", "cancelled"]);
    const text = await reply.text();
    return text.includes(expected) ? text : null;
  });
}

async function addTestServer(app) {
  await (await app.find("settings-open")).click();
  await app.find("tools-settings");
  // One click: the button sits above the lists that fill in over IPC, so it never moves.
  await (await app.find("mcp-server-add")).click();
  const name = await app.find("mcp-server-name");
  await name.type("t");
  await (await app.find("mcp-server-command")).type(TEST_SERVER);
  await (await app.find("mcp-server-save")).click();
  const server = await app.waitFor(
    "the test server ready",
    async () => {
      const found = await app.findAll("mcp-server");
      const first = found[0];
      if (!first) return null;
      return (await first.attr("data-state")) === "ready" ? first : null;
    },
    30000,
  );
  const tools = Number(await server.attr("data-tool-count"));
  assert.ok(tools >= 6, `the test server offers its tools (${tools})`);
  await (await app.find("settings-close")).click();
}

test("a tool call shows its arguments, runs when allowed, and always-allow survives a restart until revoked", async (t) => {
  const dataDir = newDataDir();
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);
    await addTestServer(app);

    await sendMessage(app, '[[tool:t__echo:{"text":"hello tools"}]]');
    const pending = await lastCall(app, ["pending"]);
    assert.equal(await pending.attr("data-tool-name"), "t__echo");
    const args = await (await pending.find("tool-call-args")).text();
    assert.match(args, /"text": "hello tools"/);
    // The request offered the server's tools under API names.
    const offered = replyRequests()
      .at(-1)
      .body.tools.map((tool) => tool.name);
    assert.ok(offered.includes("t__echo"), offered.join(", "));
    await (await pending.find("tool-approve-once")).click();
    await finalText(app, "=hello tools");
    const done = await lastCall(app, ["done"]);
    assert.match(await done.text(), /hello tools/);

    // Always allow, then a restart: the next call of that tool runs without asking.
    await sendMessage(app, '[[tool:t__add:{"a":2,"b":3}]]');
    const add = await lastCall(app, ["pending"]);
    await (await add.find("tool-approve-always")).click();
    await finalText(app, "=5");
    await app.quit();
    app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
    await app.find("composer-input");
    const before = replyRequests().length;
    await sendMessage(app, '[[tool:t__add:{"a":4,"b":5}]]');
    await finalText(app, "=9");
    assert.equal(
      replyRequests().length,
      before + 2,
      "the call ran without a decision: one request for the call, one with its result",
    );

    // Revoked in settings: it asks again. (The Tools section reads its lists once on screen.)
    await (await app.find("settings-open")).click();
    // A click scrolls it into view, as a user scrolling to it would.
    await (await app.find("tool-permissions")).click();
    const permission = await app.waitFor(
      "the always-allowed tool",
      async () => {
        const rows = await app.findAll("tool-permission");
        return rows[0] ?? null;
      },
    );
    assert.match(await permission.text(), /add/);
    await (await permission.find("tool-permission-revoke")).click();
    await app.waitFor(
      "the permission gone",
      async () => (await app.findAll("tool-permission")).length === 0,
    );
    await (await app.find("settings-close")).click();
    await sendMessage(app, '[[tool:t__add:{"a":1,"b":1}]]');
    const asked = await lastCall(app, ["pending"], 30000);
    await (await asked.find("tool-deny")).click();
    await finalText(app, "The user denied this tool call.");
    await lastCall(app, ["denied"]);
  } catch (error) {
    await saveScreenshot(app, "tools-allow");
    throw error;
  }
});

test("Stop during a slow tool cancels the call and sends nothing more", async (t) => {
  const dataDir = newDataDir();
  const app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);
    await addTestServer(app);
    await sendMessage(app, '[[tool:t__sleep:{"ms":60000}]]');
    const pending = await lastCall(app, ["pending"]);
    await (await pending.find("tool-approve-once")).click();
    await lastCall(app, ["running"]);
    const sent = replyRequests().length;
    const stoppedAt = Date.now();
    await (await app.find("composer-stop")).click();
    await lastCall(app, ["cancelled"], 10000);
    assert.ok(Date.now() - stoppedAt < 10000, "Stop ended the call at once");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(replyRequests().length, sent, "nothing was sent after Stop");
    // The conversation goes on: the cancelled call went with its (error) result.
    await sendMessage(app, "Still there?");
    await finalText(app, "Still there?");
  } catch (error) {
    await saveScreenshot(app, "tools-stop");
    throw error;
  }
});
