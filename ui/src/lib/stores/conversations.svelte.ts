import * as backend from "../backend";
import type { ConversationSummary, ErrorPayload } from "../bindings";

/** The history sidebar: conversation summaries, newest first, and which one is open. */
class ConversationsStore {
  items = $state<ConversationSummary[]>([]);
  activeId = $state<string | null>(null);
  loading = $state(false);
  loaded = $state(false);
  error = $state<ErrorPayload | null>(null);

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const list = await backend.listConversations();
      this.items = list.slice().sort((a, b) => b.updatedAt - a.updatedAt);
      this.error = null;
    } catch (e) {
      this.error = e as ErrorPayload;
    } finally {
      this.loading = false;
      this.loaded = true;
    }
  }

  /** Updates one summary in place (title/model changes) without a round trip. */
  patch(id: string, change: Partial<ConversationSummary>): void {
    const item = this.items.find((c) => c.id === id);
    if (item) Object.assign(item, change);
  }
}

export const conversations = new ConversationsStore();
