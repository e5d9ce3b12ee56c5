import type { MessageView } from "./bindings";

/**
 * A sample reply laid out once, off screen, a moment after start-up (`App.svelte`), so that the
 * first conversation opened does not pay for first-time work: the renderer's code paths, the
 * styles of a reply's elements, and the fonts of bold, italic, code and CJK text (the first
 * glyphs of a face make WebKitGTK ask fontconfig). Not user-visible and not announced.
 */
export const WARM_UP_REPLY = [
  "## Heading",
  "Some **bold**, *italic*, `inline code` and [a link](https://example.com), then a list:",
  "- one\n- two\n  1. nested",
  "> A quote.",
  "| a | b |\n| - | - |\n| 1 | 2 |",
  "```js\nconst answer = 42; // comment\n```",
  "```python\ndef f(x):\n    return x * 2\n```",
  "中文的句子，包括标点。日本語の文、カタカナとひらがな。",
  "$x^2 + y^2 = z^2$",
].join("\n\n");

/**
 * A question and its reply (with usage and a second version, so the reply's footer and version
 * switcher show) laid out as the transcript lays out messages. JavaScriptCore compiles each
 * function the first time it runs, so the first conversation opened in a launch paid for every
 * message component's code (issue 13: the first open, 50 messages, took 116 ms with only the
 * markdown warmed up and 78 ms with this; release builds, median of 5).
 */
export function warmUpMessages(): MessageView[] {
  const base = {
    conversationId: "warm-up",
    status: "done",
    error: null,
    stopSequence: null,
    prefill: null,
    createdAt: 0,
  } as const;
  return [
    {
      ...base,
      id: "warm-up-question",
      parentId: null,
      role: "user",
      blocks: [{ type: "text", text: "A question, **with** some `code`?" }],
      model: null,
      stopReason: null,
      usage: null,
      costMicroUsd: null,
      siblingIds: ["warm-up-question"],
      siblingIndex: 0,
    },
    {
      ...base,
      id: "warm-up-reply",
      parentId: "warm-up-question",
      role: "assistant",
      blocks: [{ type: "text", text: WARM_UP_REPLY }],
      model: "claude-sonnet-4-5",
      stopReason: "end_turn",
      usage: {
        inputTokens: 12,
        outputTokens: 34,
        cacheCreationInputTokens: null,
        cacheReadInputTokens: null,
      },
      costMicroUsd: 550,
      siblingIds: ["warm-up-reply-1", "warm-up-reply"],
      siblingIndex: 1,
    },
  ];
}
