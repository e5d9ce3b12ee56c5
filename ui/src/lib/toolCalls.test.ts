import { afterEach, describe, expect, it } from "vitest";
import { overwriteGetLocale } from "../paraglide/runtime";
import type { ContentBlock, MessageView, ToolCallView } from "./bindings";
import {
  DENIED_RESULT,
  STOPPED_RESULT,
  argumentsJson,
  callsOf,
  canResume,
  isToolResultsMessage,
  resultParts,
} from "./toolCalls";

function message(
  role: "user" | "assistant",
  blocks: ContentBlock[],
  extra: Partial<MessageView> = {},
) {
  return {
    id: `${role}-1`,
    conversationId: "c",
    parentId: null,
    role,
    blocks,
    status: "done",
    error: null,
    model: null,
    stopReason: role === "assistant" ? "tool_use" : null,
    ...extra,
  } as MessageView;
}
const use = (id: string, name = "echo", input: unknown = { text: id }) =>
  ({ type: "tool_use", id, name, input }) as ContentBlock;
const result = (id: string, content: unknown, isError = false) =>
  ({ type: "tool_result", tool_use_id: id, content, is_error: isError }) as ContentBlock;

afterEach(() => overwriteGetLocale(() => "en"));

describe("tool call states", () => {
  const reply = message("assistant", [
    { type: "text", text: "Let me" },
    use("a"),
    use("b"),
    use("c"),
    use("d"),
    use("e"),
  ]);

  it("come from the next message's results when no round is live", () => {
    const next = message("user", [
      result("a", "ok"),
      result("b", [{ type: "text", text: "boom" }], true),
      result("c", DENIED_RESULT, true),
      result("d", [{ type: "text", text: STOPPED_RESULT }], true),
    ]);
    const calls = callsOf(reply, next, undefined);
    expect(calls.map((c) => [c.id, c.state, c.notRun])).toEqual([
      ["a", "done", false],
      ["b", "error", false],
      ["c", "denied", false],
      ["d", "cancelled", false],
      ["e", "cancelled", true],
    ]);
    expect(calls[1]!.outcome).toEqual({ content: [{ type: "text", text: "boom" }], isError: true });
    expect(calls[0]!.live).toBe(false);
  });

  it("recognise the core's stored texts whatever the UI language", () => {
    overwriteGetLocale(() => "zh-CN");
    const next = message("user", [result("c", DENIED_RESULT, true), result("d", STOPPED_RESULT)]);
    const states = callsOf(reply, next, undefined).map((c) => c.state);
    expect(states.slice(2, 4), "the stored texts are data, never translated").toEqual([
      "denied",
      "cancelled",
    ]);
  });

  it("follow the live round when there is one, and wait while the reply streams", () => {
    const live: ToolCallView = {
      id: "a",
      name: "echo",
      input: { text: "a" },
      state: "pending",
      outcome: null,
      source: { type: "mcp", serverName: "test", toolName: "echo" },
    };
    const calls = callsOf(reply, undefined, { calls: [live], awaiting: true }, true);
    expect(calls[0]).toMatchObject({ state: "pending", live: true, source: { type: "mcp" } });
    expect(calls[1]).toMatchObject({ state: "pending", live: false, notRun: false });
  });

  it("ignore results in an assistant message and tell results-only user messages apart", () => {
    expect(callsOf(reply, message("assistant", [result("a", "x")]), undefined)[0]!.notRun).toBe(
      true,
    );
    expect(isToolResultsMessage(message("user", [result("a", "x")]))).toBe(true);
    expect(
      isToolResultsMessage(message("user", [result("a", "x"), { type: "text", text: "hi" }])),
    ).toBe(false);
    expect(isToolResultsMessage(message("user", []))).toBe(false);
  });

  it("offer Run tools only for a finished last tool_use reply nothing runs", () => {
    expect(canResume([reply], {}, false)).toBe(true);
    expect(canResume([reply], {}, true)).toBe(false);
    expect(canResume([reply], { [reply.id]: { calls: [], awaiting: false } }, false)).toBe(false);
    expect(canResume([{ ...reply, stopReason: "end_turn" }], {}, false)).toBe(false);
    expect(canResume([reply, message("user", [result("a", "x")])], {}, false)).toBe(false);
  });
});

describe("arguments", () => {
  it("are pretty JSON with long strings folded, never dropped, keys intact", () => {
    const long = "x".repeat(500);
    const { text, folded } = argumentsJson({ path: "/tmp/a", body: long }, 100);
    expect(folded).toBe(true);
    expect(text).toContain('"path": "/tmp/a"');
    expect(text).toContain(`"body": "${"x".repeat(100)}… (400 more characters)"`);
    const full = argumentsJson({ body: long }, null);
    expect(full).toEqual({ text: JSON.stringify({ body: long }, null, 2), folded: false });
  });

  it("say how much is folded, in the UI language", () => {
    expect(argumentsJson("abcd", 3).text).toBe('"abc… (1 more character)"');
    overwriteGetLocale(() => "zh-CN");
    expect(argumentsJson("x".repeat(1300), 100).text).toBe(
      `"${"x".repeat(100)}…（还有 1,200 个字符）"`,
    );
  });

  it("say null for a missing input", () => {
    expect(argumentsJson(undefined).text).toBe("null");
  });
});

describe("result parts", () => {
  it("split text and images", () => {
    const image = { type: "base64", media_type: "image/png", data: "AAAA" };
    expect(resultParts("done")).toEqual([{ kind: "text", text: "done" }]);
    expect(
      resultParts([
        { type: "text", text: "a" },
        { type: "image", source: image },
      ]),
    ).toEqual([
      { kind: "text", text: "a" },
      { kind: "image", source: image },
    ]);
    expect(resultParts(null)).toEqual([]);
  });
});
