#!/usr/bin/env node
// A quick bench for UI experiments in WebKitGTK without building the app: a built UI folder
// (default ui/dist) served with the UI tests' fake backend (ui/tests/fixtures/mock-backend.js)
// and shown in WebKitGTK's own MiniBrowser, the engine the app runs on. A CSS or component
// variant is a `vite build --outDir DIR` away (seconds) instead of a release build (minutes).
// Not a replacement for bench/run.mjs: no Rust, no IPC, and MiniBrowser's own window costs
// memory the app does not have; compare variants with each other, in one sitting.
//
//   xvfb-run -a node bench/webkit-ui.mjs startup [DIST] [RUNS]
//       per launch: the page's start-up marks (parley:start:*), launch → first conversation
//       row, and the PSS of MiniBrowser's processes 3 s later (1,000 conversations listed)
//   xvfb-run -a node bench/webkit-ui.mjs stream [DIST] [RUNS] [plain|rich]
//       per run: a 15,000-piece reply streamed by the fake backend at 2,500 pieces/s into a
//       new conversation: frame gaps and per-frame script / style + layout (as `smoothness`),
//       plain words or the mock server's own rich reply (code, tables, formulas; needs
//       target/*/parley-mock-claude or PARLEY_MOCK_BINARY)
//   xvfb-run -a node bench/webkit-ui.mjs open [DIST] [RUNS]
//       per run: a click on a 50-message conversation (replies shaped like bench/seed's:
//       paragraphs, lists, a code block or a table) until its last message is painted, and
//       "New conversation" until the empty view is painted (as `history-open`), with the
//       page's marks of the open (parley:open*)
//
// Runs with WEBKIT_DISABLE_COMPOSITING_MODE=1, as the app and bench/run.mjs do without a GPU.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "./lib/static.mjs";
import { processTree, sumMemory } from "./lib/procs.mjs";
import {
  pageNewConversationPainted,
  pageOpenUntilPainted,
  pageSendAndWait,
} from "./lib/page.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const [mode = "startup", distArg = "ui/dist", runsArg = "3", kind = "rich"] =
  process.argv.slice(2);
const dist = resolve(distArg);
const runs = Number(runsArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The pieces of a `count`-piece reply: plain words, or the mock server's own `[[rate-rich]]`
 * reply (tests/mock-claude/src/magic.rs), streamed from it unpaced and cut where its deltas are.
 */
async function pieces(count) {
  if (kind === "plain") return Array(count).fill("word ");
  const binary =
    process.env.PARLEY_MOCK_BINARY ??
    ["release", "debug"]
      .map((profile) => join(ROOT, "target", profile, "parley-mock-claude"))
      .find((path) => existsSync(path));
  if (!binary)
    throw new Error(
      "parley-mock-claude is not built (cargo build -p parley-mock-claude)",
    );
  const dir = mkdtempSync(join(tmpdir(), "webkit-ui-mock-"));
  const addrFile = join(dir, "addr");
  const mock = spawn(
    binary,
    ["--port", "0", "--addr-file", addrFile, "--quiet"],
    { stdio: "ignore" },
  );
  try {
    for (let i = 0; i < 400 && !existsSync(addrFile); i++) await sleep(25);
    const baseUrl = readFileSync(addrFile, "utf8").trim();
    const response = await fetch(`${baseUrl}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": "sk-ant-webkit-ui",
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 4096,
        stream: true,
        messages: [
          {
            role: "user",
            content: [{ type: "text", text: `[[rate-rich:1000000:${count}]]` }],
          },
        ],
      }),
    });
    // Server-sent events as the mock varies them (CRLF, a data field over several lines).
    const out = [];
    let data = [];
    for (const line of [...(await response.text()).split(/\r\n|\r|\n/), ""]) {
      if (line === "") {
        const event = data.length ? JSON.parse(data.join("\n")) : null;
        if (
          event?.type === "content_block_delta" &&
          event.delta.type === "text_delta"
        )
          out.push(event.delta.text);
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
    }
    if (out.length !== count)
      throw new Error(`the mock sent ${out.length} pieces, not ${count}`);
    return out;
  } finally {
    mock.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

const startupProbe = `(() => {
  const report = () => fetch("/__bench/mark", { method: "POST", body: JSON.stringify({
    marks: Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)])),
    shownAt: Math.round(performance.now()),
  })});
  const observer = new MutationObserver(() => {
    if (document.querySelector('[data-testid="conversation-item"]')) {
      observer.disconnect();
      requestAnimationFrame(() => setTimeout(report, 0));
    }
  });
  observer.observe(document, { childList: true, subtree: true });
})();`;

async function streamDriver() {
  return `(() => {
  const pageSendAndWait = ${pageSendAndWait.toString()};
  const pieces = ${JSON.stringify(await pieces(15_000))};
  async function stream(perSecond) {
    const mock = window.__MOCK__;
    const before = mock.channels.length;
    while (mock.channels.length === before) await new Promise((r) => setTimeout(r, 1));
    const id = mock.lastChannel.messageId;
    mock.emit({ type: "blockStart", messageId: id, index: 0, block: { type: "text", text: "" } });
    const t0 = performance.now();
    for (let i = 0; i < pieces.length; ) {
      const due = Math.min(pieces.length, Math.floor(((performance.now() - t0) / 1000) * perSecond));
      for (; i < due; i++) mock.emit({ type: "textDelta", messageId: id, index: 0, text: pieces[i] });
      await new Promise((r) => setTimeout(r, 4));
    }
    mock.emit({ type: "blockStop", messageId: id, index: 0, block: { type: "text", text: pieces.join("") }, textStreamed: true });
    mock.finish({ usage: { inputTokens: 10, outputTokens: pieces.length, cacheCreationInputTokens: null, cacheReadInputTokens: null } });
  }
  (async () => {
    while (!document.querySelector('[data-testid="composer-input"]') || !window.__MOCK__) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const results = [];
    for (let run = 0; run < ${runs}; run++) {
      const streaming = stream(2500);
      results.push(await pageSendAndWait("run " + run, 120000, true));
      await streaming;
      await new Promise((r) => setTimeout(r, 800));
    }
    await fetch("/__bench/mark", { method: "POST", body: JSON.stringify(results) });
  })();
})();`;
}

/** `turns` turns of bench/seed's shapes (its words, sentences, lists, code and tables). */
function seededTurns(turns) {
  let state = 42;
  const below = (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const words =
    "the stream reply buffer token render message quickly because each frame batch update markdown parser query index window latency simple careful value result error retry branch history search settings keychain".split(
      " ",
    );
  const sentence = () => {
    const w = Array.from(
      { length: 6 + below(14) },
      () => words[below(words.length)],
    );
    if (below(4) === 0) w[below(w.length)] = `**${w[0]}**`;
    if (below(4) === 0) w[below(w.length)] = `\`${w[1]}\``;
    const s = w.join(" ");
    return s[0].toUpperCase() + s.slice(1) + ".";
  };
  const paragraph = () =>
    Array.from({ length: 2 + below(4) }, sentence).join(" ");
  const reply = () => {
    const parts = [paragraph()];
    if (below(2) === 0)
      parts.push(
        Array.from({ length: 2 + below(4) }, () => `- ${sentence()}`).join(
          "\n",
        ),
      );
    const extra = below(5);
    if (extra === 0)
      parts.push(
        `\`\`\`rust\nfn step(n: u64) -> u64 {\n    // ${sentence()}\n    n.wrapping_mul(${below(1000)}).rotate_left(7)\n}\n\`\`\``,
      );
    if (extra === 1)
      parts.push(
        `| option | effect |\n|---|---|\n| \`a\` | ${sentence()} |\n| \`b\` | ${sentence()} |`,
      );
    parts.push(paragraph());
    return parts.join("\n\n");
  };
  return Array.from({ length: turns }, () => ({
    user: sentence(),
    assistant: [{ type: "text", text: reply() }],
  }));
}

const openDriver = `(() => {
  const pageOpenUntilPainted = ${pageOpenUntilPainted.toString()};
  const pageNewConversationPainted = ${pageNewConversationPainted.toString()};
  (async () => {
    while (!document.querySelector('[data-testid="conversation-item"]') || !window.__MOCK__) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const view = await window.__TAURI_INTERNALS__.invoke("open_conversation", { id: "c1" });
    const lastId = view.messages.at(-1).id;
    const results = [];
    for (let run = 0; run < ${runs}; run++) {
      const open = await pageOpenUntilPainted("c1", lastId, 60000);
      const marks = Object.fromEntries(
        performance.getEntriesByType("mark").filter((m) => m.name.startsWith("parley:open"))
          .map((m) => [m.name, m.startTime]));
      const t0 = marks["parley:open"];
      for (const k of Object.keys(marks)) marks[k] = Math.round(marks[k] - t0);
      await new Promise((r) => setTimeout(r, 500));
      const empty = await pageNewConversationPainted(60000);
      results.push({ open, marks, empty });
      await new Promise((r) => setTimeout(r, 500));
    }
    await fetch("/__bench/mark", { method: "POST", body: JSON.stringify(results) });
  })();
})();`;

async function launch(conversations, script) {
  const server = await serveStatic(dist, {
    scripts: [
      {
        name: "config.js",
        source: `window.__MOCK_CONFIG__ = ${JSON.stringify({ keyStatus: "env", conversations, folders: [] })};`,
      },
      {
        name: "mock-backend.js",
        source: readFileSync(
          join(ROOT, "ui/tests/fixtures/mock-backend.js"),
          "utf8",
        ),
      },
      { name: "probe.js", source: script },
    ],
  });
  const child = spawn(MINIBROWSER, ["--geometry=1100x760", server.url], {
    stdio: "ignore",
    detached: true,
    env: { ...process.env, WEBKIT_DISABLE_COMPOSITING_MODE: "1" },
  });
  return { server, child, startedAt: Date.now() };
}

async function close({ server, child }) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // gone
  }
  await server.close();
  await sleep(500);
}

async function waitForMark(server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (server.marks().length === 0 && Date.now() < deadline) await sleep(20);
  const mark = server.marks()[0];
  if (!mark)
    throw new Error(
      `no report from the page in ${timeoutMs} ms (${server.paths().join(", ")})`,
    );
  return mark;
}

const fmt = (v, digits = 0) =>
  v === null || v === undefined ? "–" : Number(v).toFixed(digits);

if (mode === "startup") {
  const conversations = Array.from({ length: 1000 }, (_, i) => ({
    id: `c${i}`,
    title: `Conversation number ${i} about something`,
    model: "claude-sonnet-4-5",
    updatedAt: 1_700_000_000_000 - i * 60_000,
    pinned: false,
    folderId: null,
    turns: [],
  }));
  for (let run = 0; run < runs; run++) {
    const launched = await launch(conversations, startupProbe);
    try {
      const mark = await waitForMark(launched.server, 60_000);
      await sleep(3_000);
      const processes = processTree(launched.child.pid);
      const memory = sumMemory(processes);
      const m = mark.body.marks;
      console.log(
        `launch → first row ${mark.receivedAt - launched.startedAt} ms; page: script ${fmt(m["parley:start:script"])}, ` +
          `mounted ${fmt(m["parley:start:mounted"])}, list answered ${fmt(m["parley:start:list-answered"])}, ` +
          `row shown ${mark.body.shownAt} ms; PSS ${fmt(memory.bytes / 2 ** 20, 1)} MiB (` +
          memory.processes
            .map((p) => `${p.comm} ${fmt(p.bytes / 2 ** 20, 1)}`)
            .join(", ") +
          ")",
      );
    } finally {
      await close(launched);
    }
  }
} else if (mode === "stream") {
  const launched = await launch([], await streamDriver());
  try {
    const mark = await waitForMark(launched.server, 60_000 + runs * 30_000);
    for (const r of mark.body) {
      const { frames: f, work: w } = r;
      console.log(
        `${kind} ${r.status} in ${fmt(r.ms)} ms: ${f.count} frames, longest gap ${fmt(f.maxGapMs)} ms, p99 ${fmt(f.p99GapMs)} ms; ` +
          `script mean ${fmt(w.script.meanMs, 1)} p99 ${fmt(w.script.p99Ms)} max ${fmt(w.script.maxMs)} ms; ` +
          `style + layout mean ${fmt(w.layout.meanMs, 1)} p99 ${fmt(w.layout.p99Ms)} max ${fmt(w.layout.maxMs)} ms`,
      );
    }
  } finally {
    await close(launched);
  }
} else if (mode === "open") {
  const conversations = [0, 1, 2].map((i) => ({
    id: `c${i}`,
    title: `Conversation ${i}`,
    model: "claude-sonnet-4-5",
    updatedAt: 1_700_000_000_000 - i * 60_000,
    turns: i === 1 ? seededTurns(25) : [],
  }));
  const launched = await launch(conversations, openDriver);
  try {
    const mark = await waitForMark(launched.server, 60_000 + runs * 10_000);
    for (const { open, marks, empty } of mark.body) {
      console.log(
        `open ${fmt(open.ms)} ms (present ${fmt(open.presentMs)} with ${open.messagesShown} messages, ${open.messagesInDom} after, ` +
          `longest gap ${fmt(open.maxGapMs)}); marks ${JSON.stringify(marks)}; empty ${fmt(empty.ms)} ms`,
      );
    }
  } finally {
    await close(launched);
  }
} else {
  console.error(`unknown mode ${mode}: startup, stream or open`);
  process.exit(2);
}
