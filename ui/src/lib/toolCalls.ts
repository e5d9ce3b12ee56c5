/**
 * What the transcript shows of a reply's tool calls. While a round is live, Rust's `toolCalls`
 * event is the truth (the UI never decides whether a call may run); otherwise the state is read
 * from history: the reply's next message on the branch holds the `tool_result` blocks.
 */
import { m } from "../paraglide/messages";
import type { ChatEvent, MessageView, ToolCallView } from "./bindings";
import type { ImageSource, ToolResultBlock, ToolUseBlock } from "./blocks";
import { isToolResult, isToolUse } from "./blocks";
import { formatCount } from "./format";

/** The latest `toolCalls` event of a reply, without its ids. */
export type ToolRound = { calls: ToolCallView[]; awaiting: boolean };
export type ToolCallsEvent = Extract<ChatEvent, { type: "toolCalls" }>;

/**
 * The result text the core stores for a call the user denied (Rust's `tool_calls.rs`). These are
 * data read back from history to recognise the state, not UI text: they are never translated.
 */
export const DENIED_RESULT = "The user denied this tool call.";
/** The result text the core stores for a call the user stopped. */
export const STOPPED_RESULT = "The user stopped this tool call.";

/** A call as the card shows it: Rust's view, plus whether it comes from a live round. */
export type CallDisplay = ToolCallView & {
  /** From the live round (its buttons act); false when read from history. */
  live: boolean;
  /** Never answered and nothing runs it now (after a crash, a stop, or before a resume). */
  notRun: boolean;
};

/** A user message that only carries tool results (the loop's turn, not the user's words). */
export function isToolResultsMessage(message: MessageView | undefined): boolean {
  if (!message || message.role !== "user" || message.blocks.length === 0) return false;
  return message.blocks.every((block) => !!block && isToolResult(block));
}

/** The single text of a result's content (a string, or one text block), else null. */
function soleText(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (Array.isArray(content) && content.length === 1) {
    const part = content[0] as { type?: unknown; text?: unknown } | null;
    if (part?.type === "text" && typeof part.text === "string") return part.text;
  }
  return null;
}

/** The state history says a call ended in, from its stored result. */
export function stateOfResult(result: ToolResultBlock): ToolCallView["state"] {
  const text = soleText(result.content)?.trim();
  if (text === DENIED_RESULT) return "denied";
  if (text === STOPPED_RESULT) return "cancelled";
  return result.is_error ? "error" : "done";
}

/**
 * The calls of `reply` (in block order) with their states: the live round's view of a call when
 * there is one; else its result in `next` (the branch's following message); else, when
 * `inFlight` (the reply still streams, or its round has not been announced yet), pending with
 * nothing to act on; else "not run" (state `cancelled`).
 */
export function callsOf(
  reply: MessageView,
  next: MessageView | undefined,
  round: ToolRound | undefined,
  inFlight = false,
): CallDisplay[] {
  const results = new Map<string, ToolResultBlock>();
  if (next?.role === "user") {
    for (const block of next.blocks) {
      if (block && isToolResult(block)) results.set(block.tool_use_id, block);
    }
  }
  const uses = reply.blocks.filter((b): b is ToolUseBlock => !!b && isToolUse(b));
  return uses.map((use): CallDisplay => {
    const liveCall = round?.calls.find((c) => c.id === use.id);
    if (liveCall) return { ...liveCall, live: true, notRun: false };
    const base = { id: use.id, name: use.name, input: use.input, source: { type: "unknown" } };
    const result = results.get(use.id);
    if (result) {
      return {
        ...base,
        source: { type: "unknown" },
        state: stateOfResult(result),
        outcome: { content: result.content ?? "", isError: result.is_error ?? false },
        live: false,
        notRun: false,
      };
    }
    return {
      ...base,
      source: { type: "unknown" },
      state: inFlight ? "pending" : "cancelled",
      outcome: null,
      live: false,
      notRun: !inFlight,
    };
  });
}

/** The state a card shows in `data-state`: "approved" is about to run, so it reads as running. */
export function shownState(state: ToolCallView["state"]): string {
  return state === "approved" ? "running" : state;
}

/**
 * Whether the branch ends in a finished `tool_use` reply whose calls were never answered and
 * that nothing runs now: the user may run them ("Run tools").
 */
export function canResume(
  messages: readonly MessageView[],
  rounds: Readonly<Record<string, ToolRound>>,
  busy: boolean,
): boolean {
  const last = messages.at(-1);
  if (!last || busy || last.role !== "assistant" || last.status !== "done") return false;
  if (last.stopReason !== "tool_use" || rounds[last.id]) return false;
  return last.blocks.some((b) => !!b && isToolUse(b));
}

/** Strings longer than this are folded in a call's arguments until "Show all". */
export const FOLD_AT = 300;

/**
 * A call's arguments as pretty JSON. With `foldAt`, a string value longer than that shows its
 * start and how much is left (never hidden entirely); keys are never folded.
 */
export function argumentsJson(
  input: unknown,
  foldAt: number | null = FOLD_AT,
): { text: string; folded: boolean } {
  let folded = false;
  const replacer = (_key: string, value: unknown) => {
    if (foldAt !== null && typeof value === "string" && value.length > foldAt) {
      folded = true;
      const count = value.length - foldAt;
      return m.tools_more_characters({
        start: value.slice(0, foldAt),
        count,
        shown: formatCount(count),
      });
    }
    return value;
  };
  let text: string;
  try {
    text = JSON.stringify(input === undefined ? null : input, replacer, 2) ?? "null";
  } catch {
    text = String(input);
  }
  return { text, folded };
}

/** A part of a tool result as shown: text, or an image from its base64. */
export type ResultPart = { kind: "text"; text: string } | { kind: "image"; source: ImageSource };

/** The parts of a `tool_result`'s content (a string, or text and image blocks). */
export function resultParts(content: unknown): ResultPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ kind: "text", text: content }];
  if (Array.isArray(content)) {
    return content.map((item: unknown): ResultPart => {
      const part = item as { type?: string; text?: unknown; source?: ImageSource } | null;
      if (part?.type === "text" && typeof part.text === "string") {
        return { kind: "text", text: part.text };
      }
      if (part?.type === "image" && part.source) return { kind: "image", source: part.source };
      return { kind: "text", text: JSON.stringify(item, null, 2) };
    });
  }
  return [{ kind: "text", text: JSON.stringify(content, null, 2) }];
}
