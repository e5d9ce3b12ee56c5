/**
 * Fixtures for the unit tests (imported by `*.test.ts` only, so never part of the app's build).
 */
import type { MessageView } from "./bindings";

/** A stored message as Rust shows it: a finished assistant reply with no blocks, unless told. */
export function messageView(fields: Partial<MessageView> & Pick<MessageView, "id">): MessageView {
  return {
    conversationId: "c1",
    parentId: null,
    role: "assistant",
    blocks: [],
    status: "done",
    error: null,
    model: null,
    stopReason: null,
    stopSequence: null,
    prefill: null,
    usage: null,
    costMicroUsd: null,
    siblingIds: [fields.id],
    siblingIndex: 0,
    createdAt: 0,
    ...fields,
  };
}
