// Tools (issue 11) against the fake backend: MCP servers in settings (states, stderr, restart,
// the add form's secrets, import, "always allow" and revoke), tool calls in the transcript
// (arguments, approval, hand-written results, states read from history, Run tools, Stop), and
// the tool choice and hand-written tools of the parameters panel.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seedConversations } from "./fixtures/conversations.mjs";
import { appPerTest, calls, emit, finish, messageSel, send, tid } from "./harness.mjs";

const HOUR = 3_600_000;

const tool = (name, description, enabled = true) => ({
  name,
  apiName: name,
  description,
  inputSchema: { type: "object" },
  enabled,
  alwaysAllowed: false,
});

function servers() {
  return [
    {
      id: "srv-ready",
      name: "test-server",
      transport: {
        type: "stdio",
        command: "node",
        args: ["server.js"],
        envNames: ["TOKEN"],
        cwd: null,
      },
      enabled: true,
      state: "ready",
      error: null,
      stderrTail: [],
      tools: [tool("echo", "Says it back"), tool("sleep", "Waits", false)],
    },
    {
      id: "srv-failed",
      name: "broken",
      transport: {
        type: "stdio",
        command: "npx",
        args: ["-y", "nothing"],
        envNames: [],
        cwd: null,
      },
      enabled: true,
      state: "failed",
      error: "spawn npx ENOENT",
      stderrTail: ["npm ERR! 404 Not Found", "npm ERR! nothing is not in the registry"],
      tools: [],
    },
    {
      id: "srv-web",
      name: "web",
      transport: {
        type: "http",
        url: "https://mcp.example.test/mcp",
        headerNames: ["Authorization"],
      },
      enabled: false,
      state: "disabled",
      error: null,
      stderrTail: [],
      tools: [],
    },
  ];
}

const permissions = () => [
  {
    serverId: "srv-ready",
    serverName: "test-server",
    toolName: "echo",
    fingerprint: "f1",
    grantedAt: Date.now() - 2 * HOUR,
    stale: false,
  },
  {
    serverId: "srv-ready",
    serverName: "test-server",
    toolName: "sleep",
    fingerprint: "f0",
    grantedAt: Date.now() - 30 * 24 * HOUR,
    stale: true,
  },
];

const DENIED = "The user denied this tool call.";
const STOPPED = "The user stopped this tool call.";
const use = (id, name, input) => ({ type: "tool_use", id, name, input });
const result = (id, content, isError = false) => ({
  type: "tool_result",
  tool_use_id: id,
  content,
  is_error: isError,
});

/**
 * A loop in history: the first reply's four calls answered (done, error, denied, stopped), the
 * second reply's call never answered (the app was closed mid-loop).
 */
function toolsConversation() {
  return {
    id: "c-tools",
    title: "Tools in history",
    updatedAt: Date.now(),
    turns: [
      {
        user: "Use the tools",
        userExtra: { id: "u-tools" },
        replies: [
          {
            id: "a-t1",
            stopReason: "tool_use",
            blocks: [
              { type: "text", text: "Running them." },
              use("t-a", "echo", { text: "hello" }),
              use("t-b", "fail", {}),
              use("t-c", "echo", { text: "no" }),
              use("t-d", "sleep", { ms: 10000 }),
            ],
          },
        ],
      },
      {
        user: "",
        userBlocks: [
          result("t-a", [{ type: "text", text: "hello" }]),
          result("t-b", "it broke", true),
          result("t-c", DENIED, true),
          result("t-d", [{ type: "text", text: STOPPED }], true),
        ],
        userExtra: { id: "u-res" },
        replies: [
          {
            id: "a-t2",
            stopReason: "tool_use",
            blocks: [use("t-e", "echo", { text: "again" })],
          },
        ],
      },
    ],
  };
}

const mcpCall = (id, state, input = { text: "hi" }, outcome = null) => ({
  id,
  name: "echo",
  input,
  state,
  outcome,
  source: { type: "mcp", serverName: "test-server", toolName: "echo" },
});

const toolCalls = (messageId, calls, conversationId = "c-tools") => ({
  type: "toolCalls",
  messageId,
  conversationId,
  calls,
  awaiting: calls.some((c) => c.state === "pending"),
});

/** A MessageView as Rust sends it in `toolResults` / `nextReply`. */
function view(id, parentId, role, blocks, extra = {}) {
  return {
    id,
    conversationId: "c-tools",
    parentId,
    role,
    blocks,
    status: "done",
    error: null,
    model: role === "assistant" ? "claude-sonnet-4-5" : null,
    stopReason: null,
    stopSequence: null,
    prefill: null,
    usage: null,
    costMicroUsd: null,
    siblingIds: [id],
    siblingIndex: 0,
    createdAt: Date.now(),
    ...extra,
  };
}

const app = appPerTest(() => ({
  conversations: [toolsConversation(), ...seedConversations()],
  mcpServers: servers(),
  toolPermissions: permissions(),
}));

const server = (id) => `${tid("mcp-server")}[data-id="${id}"]`;

async function openTools(page) {
  await page.click(tid("settings-open"));
  await page.locator(tid("tools-settings")).scrollIntoViewIfNeeded();
  await page.waitForSelector(tid("mcp-server"));
}

describe("MCP servers in settings", () => {
  test("start after the first paint, without waiting for settings to open", async () => {
    const page = await app();
    await page.waitForFunction(() => window.__MOCK__.callsOf("start_mcp_servers").length === 1);
    assert.equal((await calls(page, "list_mcp_servers")).length, 0, "no polling while hidden");
  });

  test("each server shows its state, tools, stderr when failed, and Restart", async () => {
    const page = await app();
    await openTools(page);
    const ready = server("srv-ready");
    assert.equal(await page.getAttribute(ready, "data-state"), "ready");
    assert.equal(await page.getAttribute(ready, "data-tool-count"), "2");
    assert.match(await page.locator(ready).innerText(), /Ready · 2 tools/);
    assert.match(
      await page.locator(ready).innerText(),
      /Says it back/,
      "tools show their description",
    );
    assert.equal(
      await page.isChecked(`${ready} ${tid("tool-toggle")}[data-tool-name="echo"]`),
      true,
    );
    assert.equal(
      await page.isChecked(`${ready} ${tid("tool-toggle")}[data-tool-name="sleep"]`),
      false,
    );
    assert.equal(await page.locator(`${ready} ${tid("mcp-server-stderr")}`).count(), 0);

    const failed = server("srv-failed");
    assert.equal(await page.getAttribute(failed, "data-state"), "failed");
    assert.match(await page.locator(failed).innerText(), /Failed: spawn npx ENOENT/);
    assert.equal(
      await page.locator(`${failed} ${tid("mcp-server-stderr")}`).innerText(),
      "npm ERR! 404 Not Found\nnpm ERR! nothing is not in the registry",
      "the last stderr lines say why it failed",
    );
    assert.equal(await page.getAttribute(server("srv-web"), "data-state"), "disabled");
    assert.equal(
      await page.locator(`${server("srv-web")} ${tid("mcp-server-restart")}`).count(),
      0,
    );

    await page.click(`${failed} ${tid("mcp-server-restart")}`);
    await page.waitForSelector(`${failed}[data-state="starting"]`);
    assert.deepEqual((await calls(page, "restart_mcp_server")).at(-1).args, {
      serverId: "srv-failed",
    });
    assert.match(await page.locator(failed).innerText(), /Starting…/);

    // The list follows Rust while the section is on screen (states change by themselves).
    await page.evaluate(() => {
      const s = window.__MOCK__.state.mcpServers.find((x) => x.id === "srv-failed");
      s.state = "ready";
      s.tools = [
        {
          name: "fetch",
          apiName: "fetch",
          description: "Fetches",
          inputSchema: {},
          enabled: true,
          alwaysAllowed: false,
        },
      ];
    });
    await page.waitForSelector(`${failed}[data-state="ready"][data-tool-count="1"]`);

    await page.uncheck(`${ready} ${tid("tool-toggle")}[data-tool-name="echo"]`);
    assert.deepEqual((await calls(page, "set_mcp_tool_enabled")).at(-1).args, {
      serverId: "srv-ready",
      toolName: "echo",
      enabled: false,
    });
    await page.uncheck(`${ready} ${tid("mcp-server-enabled")}`);
    await page.waitForSelector(`${ready}[data-state="disabled"]`);

    // Closing settings stops the polling.
    await page.click(tid("settings-close"));
    await page.waitForTimeout(100);
    const before = (await calls(page, "list_mcp_servers")).length;
    await page.waitForTimeout(1600);
    assert.equal((await calls(page, "list_mcp_servers")).length, before, "no polling once hidden");
  });

  test("adding a server sends its secrets; editing leaves stored values empty and sends null", async () => {
    const page = await app();
    await openTools(page);
    await page.click(tid("mcp-server-add"));
    await page.fill(tid("mcp-server-name"), "notes");
    await page.fill(tid("mcp-server-command"), "npx");
    await page.fill(
      tid("mcp-server-args"),
      "-y\n@modelcontextprotocol/server-filesystem\n/home/me/My Notes",
    );
    await page.click(tid("mcp-server-env-add"));
    await page.fill(tid("mcp-server-env-name"), "API_TOKEN");
    await page.fill(tid("mcp-server-env-value"), "s3cret");
    // Enter in a field must not submit the settings form around the section.
    await page.press(tid("mcp-server-name"), "Enter");
    assert.equal((await calls(page, "save_settings")).length, 0);
    await page.click(tid("mcp-server-save"));
    await page.waitForSelector(`${tid("mcp-server")}:has-text("notes")`);
    const added = (await calls(page, "save_mcp_server")).at(-1).args.draft;
    assert.deepEqual(added, {
      id: null,
      name: "notes",
      enabled: true,
      transport: {
        type: "stdio",
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/My Notes"],
        env: [{ name: "API_TOKEN", value: "s3cret" }],
        cwd: null,
      },
    });

    await page.click(`${server("srv-ready")} ${tid("mcp-server-edit")}`);
    const value = `${server("srv-ready")} ${tid("mcp-server-env-value")}`;
    assert.equal(await page.inputValue(value), "", "a stored value is never shown");
    assert.equal(
      await page.getAttribute(value, "placeholder"),
      "stored in keychain — leave empty to keep",
    );
    await page.fill(`${server("srv-ready")} ${tid("mcp-server-args")}`, "server.js\n--verbose");
    await page.click(`${server("srv-ready")} ${tid("mcp-server-save")}`);
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_mcp_server").length === 2);
    const edited = (await calls(page, "save_mcp_server")).at(-1).args.draft;
    assert.equal(edited.id, "srv-ready");
    assert.deepEqual(
      edited.transport.env,
      [{ name: "TOKEN", value: null }],
      "null keeps the stored value",
    );
    assert.deepEqual(edited.transport.args, ["server.js", "--verbose"]);
  });

  test("an HTTP server sends its URL and headers; a refused save says why", async () => {
    const page = await app();
    await openTools(page);
    await page.click(tid("mcp-server-add"));
    await page.fill(tid("mcp-server-name"), "remote");
    await page.check(tid("mcp-server-kind-http"));
    await page.fill(tid("mcp-server-url"), "ftp://nope");
    await page.click(tid("mcp-server-save"));
    assert.match(
      await page.locator(tid("mcp-server-form-error")).innerText(),
      /http:\/\/ or https:\/\//,
    );
    assert.equal((await calls(page, "save_mcp_server")).length, 0);
    await page.fill(tid("mcp-server-url"), "https://mcp.example.test/x");
    await page.click(tid("mcp-server-header-add"));
    await page.fill(tid("mcp-server-header-name"), "Authorization");
    await page.fill(tid("mcp-server-header-value"), "Bearer abc");
    await page.click(tid("mcp-server-save"));
    await page.waitForSelector(`${tid("mcp-server")}:has-text("remote")`);
    assert.deepEqual((await calls(page, "save_mcp_server")).at(-1).args.draft.transport, {
      type: "http",
      url: "https://mcp.example.test/x",
      headers: [{ name: "Authorization", value: "Bearer abc" }],
    });
  });

  test("removing a server asks first", async () => {
    const page = await app();
    await openTools(page);
    await page.click(`${server("srv-web")} ${tid("mcp-server-delete")}`);
    assert.equal(
      (await calls(page, "delete_mcp_server")).length,
      0,
      "nothing removed before confirming",
    );
    await page.click(`${server("srv-web")} ${tid("mcp-server-delete-confirm")}`);
    await page.waitForSelector(server("srv-web"), { state: "detached" });
    assert.deepEqual((await calls(page, "delete_mcp_server"))[0].args, { serverId: "srv-web" });
  });

  test("importing a Claude Desktop document adds its servers, or says what is wrong", async () => {
    const page = await app();
    await openTools(page);
    await page.click(tid("mcp-server-import"));
    assert.match(
      await page.locator(tid("tools-settings")).innerText(),
      /keychain/,
      "the hint names where secrets go",
    );
    await page.fill(tid("mcp-import-input"), '{"mcpServers": ');
    await page.click(tid("mcp-import-submit"));
    assert.match(await page.locator(tid("mcp-import-error")).innerText(), /not JSON/);
    const doc = {
      mcpServers: {
        memory: {
          command: "npx",
          args: ["-y", "@modelcontextprotocol/server-memory"],
          env: { KEY: "v" },
        },
        search: { url: "https://search.example.test/mcp" },
      },
    };
    await page.fill(tid("mcp-import-input"), JSON.stringify(doc));
    await page.click(tid("mcp-import-submit"));
    assert.match(await page.locator(tid("mcp-import-report")).innerText(), /Added memory, search/);
    assert.equal(
      (await calls(page, "import_mcp_servers")).at(-1).args.document,
      JSON.stringify(doc),
    );
    await page.waitForSelector(`${tid("mcp-server")}:has-text("memory")`);
    await page.waitForSelector(`${tid("mcp-server")}:has-text("search")`);
  });

  test("always-allowed tools are listed, stale ones say so, and can be revoked", async () => {
    const page = await app();
    await openTools(page);
    const list = tid("tool-permissions");
    await page.waitForSelector(`${list} ${tid("tool-permission")}`);
    const rows = page.locator(`${list} ${tid("tool-permission")}`);
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /test-server · echo/);
    assert.doesNotMatch(await rows.nth(0).innerText(), /will ask again/);
    assert.match(await rows.nth(1).innerText(), /changed since — will ask again/);
    await rows.nth(0).locator(tid("tool-permission-revoke")).click();
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="tool-permission"]').length === 1,
    );
    assert.deepEqual((await calls(page, "revoke_tool_permission"))[0].args, {
      serverId: "srv-ready",
      toolName: "echo",
    });
  });

  test("the tool timeout and round cap are saved with the settings", async () => {
    const page = await app();
    await openTools(page);
    assert.equal(await page.inputValue(tid("settings-tool-timeout")), "60");
    assert.equal(await page.inputValue(tid("settings-tool-round-cap")), "25");
    await page.fill(tid("settings-tool-timeout"), "0");
    await page.click(tid("settings-save"));
    assert.match(await page.locator(tid("settings-error")).innerText(), /1 to 3600/);
    await page.fill(tid("settings-tool-timeout"), "120");
    await page.fill(tid("settings-tool-round-cap"), "5");
    await page.click(tid("settings-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_settings").length === 1);
    const saved = (await calls(page, "save_settings"))[0].args.settings;
    assert.equal(saved.toolTimeoutSecs, 120);
    assert.equal(saved.toolRoundCap, 5);
  });
});

const card = (callId) => `${tid("tool-call")}[data-call-id="${callId}"]`;

async function openTools_(page) {
  await page.click(`${tid("conversation-item")}[data-id="c-tools"]`);
  await page.waitForSelector(messageSel("a-t2"));
}

describe("tool calls in the transcript", () => {
  test("states come from history; results-only turns are compact; unanswered calls can run", async () => {
    const page = await app();
    await openTools_(page);
    const states = await page.$$eval(`${messageSel("a-t1")} ${tid("tool-call")}`, (cards) =>
      cards.map((c) => [c.dataset.callId, c.dataset.toolName, c.dataset.state]),
    );
    assert.deepEqual(states, [
      ["t-a", "echo", "done"],
      ["t-b", "fail", "error"],
      ["t-c", "echo", "denied"],
      ["t-d", "sleep", "cancelled"],
    ]);
    assert.match(
      await page.locator(card("t-a")).innerText(),
      /hello/,
      "the result shows in the card",
    );
    assert.match(await page.locator(card("t-b")).innerText(), /it broke/);
    assert.equal(await page.getAttribute(card("t-e"), "data-state"), "cancelled", "never answered");
    assert.match(await page.locator(card("t-e")).innerText(), /Not run/);
    assert.equal(await page.locator(`${card("t-e")} ${tid("tool-approve-once")}`).count(), 0);
    assert.equal(await page.locator(messageSel("u-res")).count(), 0, "no user bubble for results");
    await page.waitForSelector(`${tid("tool-results-message")}[data-id="u-res"]`);
    assert.ok(
      await page.$eval(
        `${tid("tool-results-message")}[data-id="u-res"]`,
        (row, sel) => !!(row.compareDocumentPosition(document.querySelector(sel)) & 4),
        messageSel("a-t2"),
      ),
      "the results row sits between the two replies",
    );
    assert.match(
      await page.locator(messageSel("u-tools")).innerText(),
      /Use the tools/,
      "a normal user message keeps its bubble",
    );

    // Run tools: the loop resumes on a new channel for the same reply.
    await page.click(tid("tool-loop-resume"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("resume_tool_loop").length === 1);
    assert.equal((await calls(page, "resume_tool_loop"))[0].args.messageId, "a-t2");
    await emit(page, toolCalls("a-t2", [mcpCall("t-e", "pending", { text: "again" })]));
    await page.waitForSelector(`${card("t-e")}[data-state="pending"] ${tid("tool-approve-once")}`);
    assert.equal(await page.locator(tid("tool-loop-resume")).count(), 0, "no Run tools while live");
    assert.match(await page.locator(card("t-e")).innerText(), /test-server · echo/, "the source");

    await page.click(`${card("t-e")} ${tid("tool-approve-once")}`);
    await page.waitForFunction(() => window.__MOCK__.callsOf("decide_tool_call").length === 1);
    assert.deepEqual((await calls(page, "decide_tool_call"))[0].args, {
      messageId: "a-t2",
      callId: "t-e",
      decision: "allow_once",
    });
    await emit(page, toolCalls("a-t2", [mcpCall("t-e", "running", { text: "again" })]));
    await page.waitForSelector(`${card("t-e")}[data-state="running"]`);
    assert.equal(await page.locator(`${card("t-e")} ${tid("tool-approve-once")}`).count(), 0);

    // Stop is there while the round runs, and stops the round of this reply.
    await page.click(tid("composer-stop"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("cancel_stream").length === 1);
    assert.deepEqual((await calls(page, "cancel_stream"))[0].args, { messageId: "a-t2" });

    // The round ends: results stored, the loop goes on with a new reply on the same channel.
    const done = mcpCall("t-e", "done", { text: "again" }, { content: "again", isError: false });
    await emit(
      page,
      toolCalls("a-t2", [done]),
      { type: "toolResults", message: view("u-res2", "a-t2", "user", [result("t-e", "again")]) },
      {
        type: "nextReply",
        message: view("a-t3", "u-res2", "assistant", [], { status: "streaming" }),
      },
      { type: "blockStart", messageId: "a-t3", index: 0, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: "a-t3", index: 0, text: "Both said again." },
    );
    await page.waitForSelector(`${messageSel("a-t3")}[data-status="streaming"]`);
    assert.match(await page.locator(messageSel("a-t3")).innerText(), /Both said again\./);
    assert.equal(await page.getAttribute(card("t-e"), "data-state"), "done");
    await page.waitForSelector(`${tid("tool-results-message")}[data-id="u-res2"]`);
    await page.click(tid("composer-stop"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("cancel_stream").length === 2);
    assert.deepEqual(
      (await calls(page, "cancel_stream"))[1].args,
      { messageId: "a-t3" },
      "Stop follows the loop to its newest reply",
    );
    await finish(page);
    await page.waitForSelector(`${messageSel("a-t3")}[data-status="done"]`);
    assert.equal(await page.locator(tid("composer-stop")).count(), 0);
  });

  test("a pending MCP call shows its full arguments, long values folded, and asks", async () => {
    const page = await app();
    const id = await send(page, "Write the file");
    const long = "line of text ".repeat(60);
    const input = { path: "/tmp/notes.txt", content: long };
    await emit(page, {
      type: "blockStart",
      messageId: id,
      index: 0,
      block: { type: "tool_use", id: "call-1", name: "echo", input: {} },
    });
    await emit(page, {
      type: "blockStop",
      messageId: id,
      index: 0,
      block: { type: "tool_use", id: "call-1", name: "echo", input },
    });
    await finish(page, { stopReason: "tool_use" });
    await page.waitForSelector(`${messageSel(id)}[data-status="done"]`);
    // Until Rust announces the round, the call waits: it is not "not run", and cannot be run.
    assert.equal(
      await page.getAttribute(`${messageSel(id)} ${card("call-1")}`, "data-state"),
      "pending",
    );
    assert.equal(await page.locator(tid("tool-loop-resume")).count(), 0);
    const conversationId = await page.evaluate(() => window.__MOCK__.lastChannel.conversationId);
    await emit(page, toolCalls(id, [{ ...mcpCall("call-1", "pending", input) }], conversationId));
    const sel = `${messageSel(id)} ${card("call-1")}`;
    await page.waitForSelector(`${sel}[data-state="pending"][data-tool-name="echo"]`);
    const args = await page.locator(`${sel} ${tid("tool-call-args")}`).innerText();
    assert.match(args, /"path": "\/tmp\/notes.txt"/);
    assert.match(args, /more characters\)"/, "a long value is folded");
    assert.ok(args.includes(long.slice(0, 200)), "a folded value still shows its start");
    await page.click(`${sel} ${tid("tool-call-args-toggle")}`);
    assert.equal(
      JSON.parse(await page.locator(`${sel} ${tid("tool-call-args")}`).innerText()).content,
      long,
      "Show all shows every character",
    );
    for (const b of ["tool-deny", "tool-approve-once", "tool-approve-always"]) {
      await page.waitForSelector(`${sel} ${tid(b)}`);
    }
    assert.equal(await page.locator(`${sel} ${tid("tool-result-input")}`).count(), 0);
    assert.equal(await page.isDisabled(tid("composer-send")), true, "no new turn mid-round");
    await page.click(`${sel} ${tid("tool-approve-always")}`);
    await page.waitForFunction(() => window.__MOCK__.callsOf("decide_tool_call").length === 1);
    assert.deepEqual((await calls(page, "decide_tool_call"))[0].args, {
      messageId: id,
      callId: "call-1",
      decision: "always_allow",
    });
    await emit(
      page,
      toolCalls(
        id,
        [mcpCall("call-1", "error", input, { content: "disk full", isError: true })],
        conversationId,
      ),
    );
    await page.waitForSelector(`${sel}[data-state="error"]`);
    assert.match(await page.locator(sel).innerText(), /disk full/);
  });

  test("a hand-written tool takes the typed result, or a denial", async () => {
    const page = await app();
    await openTools_(page);
    const hand = {
      id: "t-e",
      name: "lookup",
      input: { q: "kyoto" },
      state: "pending",
      outcome: null,
      source: { type: "hand" },
    };
    await page.evaluate(
      (e) => {
        window.__MOCK__.liveToolCalls = [e];
      },
      toolCalls("a-t2", [hand]),
    );
    // Reopening asks Rust for the rounds still waiting.
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector(messageSel("a-rust"));
    await openTools_(page);
    await page.waitForSelector(`${card("t-e")}[data-state="pending"] ${tid("tool-result-input")}`);
    assert.equal(await page.locator(`${card("t-e")} ${tid("tool-approve-once")}`).count(), 0);
    await page.waitForSelector(`${card("t-e")} ${tid("tool-deny")}`);
    await page.fill(`${card("t-e")} ${tid("tool-result-input")}`, "Not found\nTry again");
    await page.check(`${card("t-e")} ${tid("tool-result-is-error")}`);
    await page.click(`${card("t-e")} ${tid("tool-result-submit")}`);
    await page.waitForFunction(() => window.__MOCK__.callsOf("submit_tool_result").length === 1);
    assert.deepEqual((await calls(page, "submit_tool_result"))[0].args, {
      messageId: "a-t2",
      callId: "t-e",
      text: "Not found\nTry again",
      isError: true,
    });
  });

  test("the round cap pauses the loop and Run tools goes on", async () => {
    const page = await app();
    const id = await send(page, "Loop");
    await emit(page, {
      type: "blockStop",
      messageId: id,
      index: 0,
      block: { type: "tool_use", id: "c9", name: "echo", input: {} },
    });
    await finish(page, { stopReason: "tool_use" });
    await emit(page, { type: "toolLoopPaused", messageId: id, rounds: 25 });
    await page.waitForSelector(tid("tool-loop-resume"));
    assert.match(await page.locator(messageSel(id)).innerText(), /Paused after 25 tool rounds/);
    await page.click(tid("tool-loop-resume"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("resume_tool_loop").length === 1);
    assert.equal((await calls(page, "resume_tool_loop"))[0].args.messageId, id);
  });
});

describe("tools in the parameters panel", () => {
  test("tool choice and hand-written tools are checked as typed and sent", async () => {
    const page = await app();
    await page.click(tid("params-open"));
    const choice = tid("tool-choice");
    await page.waitForSelector(`${choice}[data-value="auto"]`);
    await page.waitForSelector(`${choice} option[value="tool:echo"]`, { state: "attached" });
    assert.equal(
      await page.locator(`${choice} option[value="tool:sleep"]`).count(),
      0,
      "a disabled MCP tool is not offered",
    );

    await page.click(tid("param-hand-tool-add"));
    await page.fill(tid("param-hand-tool-name"), "look up");
    assert.equal(
      await page.locator(tid("param-hand-tool-error")).innerText(),
      'The tool name "look up" must be 1–64 letters, digits, _ or - (no spaces)',
    );
    assert.equal(
      await page.isDisabled(tid("composer-send")),
      true,
      "an invalid tool blocks sending",
    );
    await page.fill(tid("param-hand-tool-name"), "lookup");
    await page.fill(tid("param-hand-tool-schema"), '{"type": "object", "properties": {');
    assert.match(await page.locator(tid("param-hand-tool-error")).innerText(), /not valid JSON/);
    await page.fill(tid("param-hand-tool-schema"), '{"type": "string"}');
    assert.match(
      await page.locator(tid("param-hand-tool-error")).innerText(),
      /must be a JSON Schema object with "type": "object"/,
    );
    const schema = { type: "object", properties: { q: { type: "string" } }, required: ["q"] };
    await page.fill(tid("param-hand-tool-schema"), JSON.stringify(schema));
    await page.fill(tid("param-hand-tool-description"), "Looks an order up");
    assert.equal(await page.locator(tid("param-hand-tool-error")).count(), 0);

    await page.selectOption(choice, "tool:lookup");
    await page.waitForSelector(`${choice}[data-value="tool:lookup"]`);
    await send(page, "Find order 42");
    const { params } = (await calls(page, "send_message"))[0].args.request;
    assert.deepEqual(params.toolChoice, { type: "tool", name: "lookup" });
    assert.deepEqual(params.handTools, [
      { name: "lookup", description: "Looks an order up", inputSchema: schema },
    ]);
    await finish(page);

    // Removing the chosen tool puts the choice back to auto; the conversation stores both.
    await page.click(tid("param-hand-tool-remove"));
    await page.waitForSelector(`${choice}[data-value="auto"]`);
    await page.selectOption(choice, "none");
    await page.waitForFunction(() =>
      window.__MOCK__
        .callsOf("update_conversation_params")
        .some((c) => c.args.params.toolChoice.type === "none"),
    );
    const saved = (await calls(page, "update_conversation_params")).at(-1).args.params;
    assert.deepEqual(saved.handTools, []);
  });
});
