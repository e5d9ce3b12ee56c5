import type { ChatEvent, ContentBlock, ErrorPayload, MessageView } from "./bindings";

/** What a streaming reply shows beyond its `MessageView`: retry countdown, partial tool input. */
export type LiveState = {
  retrying: { attempt: number; delayMs: number; until: number; error: ErrorPayload } | null;
  /** `tool_use` input JSON as streamed so far, by block index. */
  partialJson: Record<number, string>;
  /**
   * The blocks whose `blockStart` this view applied, by index: only their text is whole here.
   * A reply opened while it streamed holds a stored copy that lags, and its events of the
   * meantime went nowhere.
   */
  started?: Record<number, true>;
};

function messageIdOf(event: ChatEvent): string | null {
  if (event.type === "finished") return event.message.id;
  // Conversation-level events (a new title) belong to no message.
  return "messageId" in event ? event.messageId : null;
}

/** A text or thinking block as a stream starts it: still empty. */
function carriesNothing(block: ContentBlock): boolean {
  const b = block as { text?: unknown; thinking?: unknown };
  return (
    (block.type === "text" && b.text === "") || (block.type === "thinking" && b.thinking === "")
  );
}

/**
 * A block that ended without its text (`textStreamed`): the text is the one the deltas built
 * here, the rest (a thinking block's signature, a text's citations) comes with the end.
 */
function withStreamedText(ended: ContentBlock, built: ContentBlock | undefined): ContentBlock {
  const b = built as { type?: string; text?: string; thinking?: string } | undefined;
  if (ended.type === "text" && b?.type === "text") return { ...ended, text: b.text ?? "" };
  if (ended.type === "thinking" && b?.type === "thinking") {
    return { ...ended, thinking: b.thinking ?? "" };
  }
  return ended;
}

type ToolCallsEvent = Extract<ChatEvent, { type: "toolCalls" }>;
type ToolLoopPaused = Extract<ChatEvent, { type: "toolLoopPaused" }>;

/** What a frame's events leave for the store beyond the messages. */
export type Applied = {
  /** Replies that ended (`finished`). */
  finished: MessageView[];
  /** Tool rounds as Rust sent them, in order (the latest of a reply wins). */
  toolCalls: ToolCallsEvent[];
  /** Loops the round cap paused. */
  paused: ToolLoopPaused[];
  /** Results messages placed after their reply (its round is over). */
  results: MessageView[];
  /**
   * Replies that ended with their blocks left out (`blocksStreamed`) although this view did not
   * see every block start: their text here is incomplete, so the store reads them again.
   */
  stale: MessageView[];
};

/**
 * Places a message the tool loop added (results after their reply, the next reply after the
 * results) right after its parent, which the branch now continues with; false when the parent
 * is not shown (another conversation, another branch).
 */
function placeAfterParent(messages: MessageView[], message: MessageView): boolean {
  if (messages.some((m) => m.id === message.id)) return true;
  const parent = messages.findIndex((m) => m.id === message.parentId);
  if (parent < 0) return false;
  messages.splice(parent + 1, messages.length - parent - 1, message);
  return true;
}

/** Applies a frame's worth of events to the messages of the open conversation. */
export function applyEvents(
  messages: MessageView[],
  live: Record<string, LiveState>,
  events: ChatEvent[],
  now: number = Date.now(),
): Applied {
  const finished: MessageView[] = [];
  const toolCalls: ToolCallsEvent[] = [];
  const paused: ToolLoopPaused[] = [];
  const results: MessageView[] = [];
  const stale: MessageView[] = [];
  const byId = new Map<string, number>();
  const find = (id: string): number => {
    let index = byId.get(id);
    if (index === undefined || messages[index]?.id !== id) {
      index = messages.findIndex((m) => m.id === id);
      byId.set(id, index);
    }
    return index;
  };
  const liveOf = (id: string): LiveState => (live[id] ??= { retrying: null, partialJson: {} });

  for (const event of events) {
    // The loop's new messages: the indices cached by `find` may move.
    if (event.type === "toolResults" || event.type === "nextReply") {
      if (placeAfterParent(messages, event.message)) {
        byId.clear();
        if (event.type === "toolResults") results.push(event.message);
      }
      continue;
    }
    if (event.type === "toolCalls") {
      toolCalls.push(event);
      continue;
    }
    if (event.type === "toolLoopPaused") {
      paused.push(event);
      continue;
    }
    const id = messageIdOf(event);
    if (id === null) continue;
    const index = find(id);
    // Events of a conversation that is no longer shown; the backend has the result.
    if (index < 0) continue;
    const message = messages[index]!;
    switch (event.type) {
      case "retrying":
        liveOf(id).retrying = {
          attempt: event.attempt,
          delayMs: event.delayMs,
          until: now + event.delayMs,
          error: event.error,
        };
        break;
      case "blockStart": {
        if (live[id]) live[id].retrying = null;
        // A continued reply (`continue_reply`) appends to its blocks: new ones start after
        // them, and a start that carries nothing must not blank a block that is already there.
        const existing = message.blocks[event.index];
        if (!(existing && existing.type === event.block.type && carriesNothing(event.block))) {
          message.blocks[event.index] = event.block;
        }
        (liveOf(id).started ??= {})[event.index] = true;
        break;
      }
      case "textDelta": {
        if (live[id]?.retrying) live[id].retrying = null;
        const block = message.blocks[event.index] as { type: string; text?: string } | undefined;
        if (block) block.text = (block.text ?? "") + event.text;
        else message.blocks[event.index] = { type: "text", text: event.text };
        break;
      }
      case "thinkingDelta": {
        const block = message.blocks[event.index] as
          { type: string; thinking?: string } | undefined;
        if (block) block.thinking = (block.thinking ?? "") + event.text;
        else
          message.blocks[event.index] = { type: "thinking", thinking: event.text, signature: "" };
        break;
      }
      case "toolInputDelta": {
        const state = liveOf(id);
        state.partialJson[event.index] = (state.partialJson[event.index] ?? "") + event.partialJson;
        break;
      }
      case "blockStop":
        message.blocks[event.index] = event.textStreamed
          ? withStreamedText(event.block, message.blocks[event.index])
          : event.block;
        if (live[id]) delete live[id].partialJson[event.index];
        break;
      case "usage":
        message.usage = event.usage;
        break;
      case "finished": {
        // Rust leaves out blocks the deltas already carried (a long reply is not sent twice).
        const ended = event.blocksStreamed
          ? { ...event.message, blocks: message.blocks }
          : event.message;
        if (event.blocksStreamed) {
          const started = live[id]?.started ?? {};
          if (ended.blocks.some((_, i) => !started[i])) stale.push(ended);
        }
        messages[index] = ended;
        delete live[id];
        finished.push(ended);
        break;
      }
    }
  }
  return { finished, toolCalls, paused, results, stale };
}
