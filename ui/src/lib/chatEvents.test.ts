import { describe, expect, it } from "vitest";
import type { MessageView } from "./bindings";
import { applyEvents, type LiveState } from "./chatEvents";
import { messageView } from "./testing";

function reply(id = "a1"): MessageView {
  return messageView({ id, parentId: "u1", status: "streaming", model: "m" });
}

const error = { kind: "overloaded" as const, message: "busy", status: 529, requestId: null };

describe("applyEvents", () => {
  it("builds text from blockStart and deltas, then takes the finished message", () => {
    const messages = [reply()];
    const live: Record<string, LiveState> = {};
    applyEvents(messages, live, [
      { type: "blockStart", messageId: "a1", index: 0, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: "a1", index: 0, text: "Hel" },
      { type: "textDelta", messageId: "a1", index: 0, text: "lo" },
      {
        type: "usage",
        messageId: "a1",
        usage: {
          inputTokens: 1,
          outputTokens: 2,
          cacheCreationInputTokens: null,
          cacheReadInputTokens: null,
        },
      },
    ]);
    expect(messages[0]!.blocks).toEqual([{ type: "text", text: "Hello" }]);
    expect(messages[0]!.usage?.outputTokens).toBe(2);
    const final = {
      ...reply(),
      status: "done" as const,
      blocks: [{ type: "text", text: "Hello!" }],
    };
    const { finished } = applyEvents(messages, live, [
      { type: "finished", message: final, blocksStreamed: false },
    ]);
    expect(finished).toEqual([final]);
    expect(messages[0]).toBe(final);
  });

  it("a continued reply appends: to its last text block, and in new blocks after it", () => {
    // continue_reply: the reply keeps its id and its blocks, and streams on.
    const messages = [
      {
        ...reply(),
        blocks: [
          { type: "thinking", thinking: "Plan.", signature: "sig" },
          { type: "text", text: "The first half" },
        ],
      },
    ];
    const live: Record<string, LiveState> = {};
    applyEvents(messages, live, [
      { type: "blockStart", messageId: "a1", index: 1, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: "a1", index: 1, text: " and the second half." },
      { type: "blockStart", messageId: "a1", index: 2, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: "a1", index: 2, text: "A new block." },
    ]);
    expect(messages[0]!.blocks).toEqual([
      { type: "thinking", thinking: "Plan.", signature: "sig" },
      { type: "text", text: "The first half and the second half." },
      { type: "text", text: "A new block." },
    ]);
    // Without a blockStart, a delta at the last text block's index appends too.
    applyEvents(messages, live, [{ type: "textDelta", messageId: "a1", index: 2, text: " More." }]);
    expect(messages[0]!.blocks[2]).toEqual({ type: "text", text: "A new block. More." });
  });

  it("shows retrying until content arrives", () => {
    const messages = [reply()];
    const live: Record<string, LiveState> = {};
    applyEvents(
      messages,
      live,
      [{ type: "retrying", messageId: "a1", attempt: 1, delayMs: 2000, error }],
      100,
    );
    expect(live.a1!.retrying).toEqual({ attempt: 1, delayMs: 2000, until: 2100, error });
    applyEvents(messages, live, [
      { type: "blockStart", messageId: "a1", index: 0, block: { type: "text", text: "" } },
    ]);
    expect(live.a1!.retrying).toBeNull();
  });

  it("collects partial tool JSON until the block stops", () => {
    const messages = [reply()];
    const live: Record<string, LiveState> = {};
    const block = { type: "tool_use", id: "t", name: "f", input: {} };
    applyEvents(messages, live, [
      { type: "blockStart", messageId: "a1", index: 0, block },
      { type: "toolInputDelta", messageId: "a1", index: 0, partialJson: '{"a":' },
      { type: "toolInputDelta", messageId: "a1", index: 0, partialJson: "1}" },
    ]);
    expect(live.a1!.partialJson[0]).toBe('{"a":1}');
    applyEvents(messages, live, [
      {
        type: "blockStop",
        messageId: "a1",
        index: 0,
        block: { ...block, input: { a: 1 } },
        textStreamed: false,
      },
    ]);
    expect(live.a1!.partialJson[0]).toBeUndefined();
    expect((messages[0]!.blocks[0] as { input: unknown }).input).toEqual({ a: 1 });
  });

  it("appends thinking deltas", () => {
    const messages = [reply()];
    applyEvents(messages, {}, [
      {
        type: "blockStart",
        messageId: "a1",
        index: 0,
        block: { type: "thinking", thinking: "", signature: "" },
      },
      { type: "thinkingDelta", messageId: "a1", index: 0, text: "hmm" },
    ]);
    expect((messages[0]!.blocks[0] as { thinking: string }).thinking).toBe("hmm");
  });

  it("shows a reply that could not be saved whole, with its database error, until it is saved", () => {
    const messages = [reply()];
    const text = "All of it, streamed. ".repeat(50);
    applyEvents(messages, {}, [
      { type: "blockStart", messageId: "a1", index: 0, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: "a1", index: 0, text },
    ]);
    const unsaved: MessageView = {
      ...reply(),
      blocks: [{ type: "text", text }],
      status: "error",
      error: {
        kind: "database",
        message: "Parley could not save this reply: disk full. The text is shown but not stored",
        status: null,
        requestId: null,
      },
    };
    const { finished } = applyEvents(messages, {}, [
      { type: "finished", message: unsaved, blocksStreamed: false },
    ]);
    expect(finished).toHaveLength(1);
    expect(messages[0]!.status).toBe("error");
    expect(messages[0]!.error?.kind).toBe("database");
    expect(messages[0]!.blocks).toEqual([{ type: "text", text }]);

    // Rust stored it after all: a second `finished` replaces the first.
    const saved: MessageView = { ...unsaved, status: "done", error: null };
    applyEvents(messages, {}, [{ type: "finished", message: saved, blocksStreamed: false }]);
    expect(messages[0]!.status).toBe("done");
    expect(messages[0]!.error).toBeNull();
    expect(messages[0]!.blocks).toEqual([{ type: "text", text }]);
  });

  it("keeps the text the deltas built when the end and the finish leave it out", () => {
    const messages = [reply()];
    const live: Record<string, LiveState> = {};
    const text = "Streamed once. ".repeat(100);
    applyEvents(messages, live, [
      {
        type: "blockStart",
        messageId: "a1",
        index: 0,
        block: { type: "thinking", thinking: "", signature: "" },
      },
      { type: "thinkingDelta", messageId: "a1", index: 0, text: "Let me see." },
      {
        type: "blockStop",
        messageId: "a1",
        index: 0,
        block: { type: "thinking", thinking: "", signature: "sig" },
        textStreamed: true,
      },
      { type: "blockStart", messageId: "a1", index: 1, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: "a1", index: 1, text },
      {
        type: "blockStop",
        messageId: "a1",
        index: 1,
        block: { type: "text", text: "", citations: [{ cited_text: "x" }] },
        textStreamed: true,
      },
    ]);
    const whole = [
      { type: "thinking", thinking: "Let me see.", signature: "sig" },
      { type: "text", text, citations: [{ cited_text: "x" }] },
    ];
    expect(messages[0]!.blocks).toEqual(whole);
    const { finished, stale } = applyEvents(messages, live, [
      { type: "finished", message: { ...reply(), status: "done" }, blocksStreamed: true },
    ]);
    expect(messages[0]!.status).toBe("done");
    expect(messages[0]!.blocks).toEqual(whole);
    expect(finished[0]!.blocks, "the announcement reads the whole reply").toEqual(whole);
    expect(stale).toEqual([]);
  });

  it("asks to read again a reply it saw only part of when the finish leaves its blocks out", () => {
    // Opened while it streamed: the stored copy lagged, and the events before went nowhere.
    const messages = [{ ...reply(), blocks: [{ type: "text", text: "Stored so f" }] }];
    const { stale } = applyEvents(messages, {}, [
      { type: "textDelta", messageId: "a1", index: 0, text: "later part" },
      {
        type: "blockStop",
        messageId: "a1",
        index: 0,
        block: { type: "text", text: "" },
        textStreamed: true,
      },
      { type: "finished", message: { ...reply(), status: "done" }, blocksStreamed: true },
    ]);
    expect(stale.map((m) => m.id)).toEqual(["a1"]);
    expect(messages[0]!.blocks, "what it has stays shown meanwhile").toEqual([
      { type: "text", text: "Stored so flater part" },
    ]);
  });

  it("ignores events of messages that are not in view", () => {
    const messages = [reply()];
    applyEvents(messages, {}, [{ type: "textDelta", messageId: "other", index: 0, text: "x" }]);
    expect(messages[0]!.blocks).toEqual([]);
  });
});

describe("applyEvents in a tool loop", () => {
  it("places the results and the next reply after their parents, and streams into the new reply", () => {
    const first = { ...reply("a1"), status: "done" as const, stopReason: "tool_use" };
    const results: MessageView = {
      ...reply("u2"),
      role: "user",
      parentId: "a1",
      status: "done",
      blocks: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }],
    };
    const next: MessageView = { ...reply("a3"), parentId: "u2" };
    const messages = [first];
    const calls = {
      type: "toolCalls" as const,
      messageId: "a1",
      conversationId: "c1",
      calls: [],
      awaiting: false,
    };
    const applied = applyEvents(messages, {}, [
      calls,
      { type: "toolResults", message: results },
      { type: "nextReply", message: next },
      { type: "textDelta", messageId: "a3", index: 0, text: "Done." },
      { type: "toolLoopPaused", messageId: "a3", rounds: 2 },
    ]);
    expect(messages.map((m) => m.id)).toEqual(["a1", "u2", "a3"]);
    expect(messages[2]!.blocks).toEqual([{ type: "text", text: "Done." }]);
    expect(applied.toolCalls).toEqual([calls]);
    expect(applied.results.map((m) => m.id)).toEqual(["u2"]);
    expect(applied.paused).toEqual([{ type: "toolLoopPaused", messageId: "a3", rounds: 2 }]);
  });

  it("ignores loop messages whose parent is not shown, and a repeated one", () => {
    const messages = [reply("a1")];
    const stray: MessageView = { ...reply("u9"), role: "user", parentId: "elsewhere" };
    const applied = applyEvents(messages, {}, [
      { type: "toolResults", message: stray },
      { type: "nextReply", message: { ...reply("a2"), parentId: "a1" } },
      { type: "nextReply", message: { ...reply("a2"), parentId: "a1" } },
    ]);
    expect(messages.map((m) => m.id)).toEqual(["a1", "a2"]);
    expect(applied.results).toEqual([]);
  });
});
