import { m } from "../../paraglide/messages";
import * as backend from "../backend";
import type {
  ChatEvent,
  ConversationMeta,
  Decision,
  ConversationView,
  ErrorPayload,
  MessageView,
  Preset,
  SendStarted,
  UsageTotals,
} from "../bindings";
import { replyAnnouncement } from "../announce";
import { messageText } from "../blocks";
import { applyEvents, type LiveState } from "../chatEvents";
import { errorTitle } from "../errors";
import { formatCount, formatSeconds } from "../format";
import { FrameBatcher } from "../frameBatcher";
import { markdownLoader } from "../markdownLoader.svelte";
import { canResume, type ToolRound } from "../toolCalls";
import type { ComposerImage, ImagePlacement } from "../bindings";
import { announcer } from "./announcer.svelte";
import { conversations } from "./conversations.svelte";
import { ParamsEditor } from "./paramsEditor.svelte";
import { presets } from "./presets.svelte";
import { settings } from "./settings.svelte";
import { toasts } from "./toasts.svelte";
import { ui } from "./ui.svelte";

type TitleUpdated = Extract<ChatEvent, { type: "titleUpdated" }>;
/** How long a reply that stopped at `tool_use` waits for its round to be announced. */
const EXPECT_ROUND_MS = 3000;
type Stream = (onEvent: (event: ChatEvent) => void) => Promise<SendStarted>;

/** The open conversation (or the draft of a new one) and its streaming replies. */
class ChatStore {
  /** `null` while the view is a draft that has not been sent yet. */
  conversation = $state<ConversationMeta | null>(null);
  draft = $state({ model: "", systemPrompt: "" });
  /** The newest messages of the active branch, oldest first: the rest are `earlier`. */
  messages = $state<MessageView[]>([]);
  /**
   * How many messages of the branch come before `messages`: a long branch opens on its newest
   * ones and the transcript reads earlier pages as the user scrolls up (`loadEarlier`).
   */
  earlier = $state(0);
  live = $state<Record<string, LiveState>>({});
  loading = $state(false);
  sending = $state(false);
  /** Tokens and cost of the open conversation's replies (every branch); null for a draft. */
  totals = $state<UsageTotals | null>(null);
  /** The live tool round of each reply (the latest `toolCalls` event), until its results. */
  rounds = $state<Record<string, ToolRound>>({});
  /** Replies whose loop the round cap paused, with the rounds run. */
  paused = $state<Record<string, number>>({});
  /**
   * Replies that just stopped at `tool_use` on a live stream: their round (or a pause) is
   * announced next, so their calls read as waiting rather than "not run" until it comes.
   */
  expecting = $state<Record<string, true>>({});
  /** The preset last chosen for this view (the default one for a new conversation). */
  presetId = $state<string | null>(null);
  /** The parameters panel's form: the draft's parameters, or the open conversation's. */
  readonly params = new ParamsEditor({
    context: () => settings.contextFor(this.model),
    save: (id, params) => backend.updateConversationParams(id, params),
    onSaved: (meta) => {
      if (this.conversation?.id === meta.id) this.conversation.params = meta.params;
    },
    onError: (e) => showError(e, m.app_err_save_params()),
  });
  /** The user changed the draft's model or system prompt since it was set up. */
  #draftTouched = false;

  model: string = $derived(this.conversation?.model ?? (this.draft.model || settings.defaultModel));
  systemPrompt: string = $derived(
    this.conversation ? (this.conversation.systemPrompt ?? "") : this.draft.systemPrompt,
  );
  streamingMessage: MessageView | null = $derived(
    this.messages.findLast((m) => m.status === "streaming") ?? null,
  );
  /** The reply whose tool round still has calls waiting or running. */
  liveRoundId: string | null = $derived(
    Object.entries(this.rounds).find(([, round]) =>
      round.calls.some((c) => ["pending", "approved", "running"].includes(c.state)),
    )?.[0] ?? null,
  );
  busy: boolean = $derived(
    this.sending || this.streamingMessage !== null || this.liveRoundId !== null,
  );
  /** The branch ends in a tool_use reply whose calls never ran: "Run tools" can run them. */
  resumable: boolean = $derived(
    canResume(this.messages, this.rounds, this.busy) &&
      !this.expecting[this.messages.at(-1)?.id ?? ""],
  );
  lastAssistantId: string | null = $derived(
    this.messages.findLast((m) => m.role === "assistant")?.id ?? null,
  );

  /** Changes whenever the view switches, so late answers for an old view are dropped. */
  #view = 0;
  readonly #batcher = new FrameBatcher<ChatEvent>((events) => this.#apply(events));

  #apply(events: ChatEvent[]): void {
    const { finished, toolCalls, paused, results, stale } = applyEvents(
      this.messages,
      this.live,
      events,
    );
    if (stale.length > 0) void this.#reread(stale);
    const shown = this.conversation?.id;
    this.#announce(events, finished);
    for (const message of finished) {
      if (message.status === "done" && message.stopReason === "tool_use") {
        const id = message.id;
        this.expecting[id] = true;
        // Should Rust announce nothing (an old backend, a failure), the calls read as not run.
        setTimeout(() => delete this.expecting[id], EXPECT_ROUND_MS);
      }
    }
    for (const event of [...toolCalls, ...paused]) delete this.expecting[event.messageId];
    for (const event of toolCalls) {
      if (event.conversationId !== shown) continue;
      this.rounds[event.messageId] = { calls: event.calls, awaiting: event.awaiting };
      delete this.paused[event.messageId];
    }
    // A round's results are stored: history says how its calls ended from now on.
    for (const message of results) {
      if (message.parentId) delete this.rounds[message.parentId];
    }
    for (const event of paused) {
      if (this.messages.some((m) => m.id === event.messageId)) {
        this.paused[event.messageId] = event.rounds;
      }
    }
    if (finished.length > 0) {
      // A reply's end changes its conversation's update time (its row, not the whole list) and
      // what the open conversation cost.
      for (const id of new Set(finished.map((message) => message.conversationId))) {
        void conversations.refreshOne(id);
      }
      void this.#refreshTotals();
    }
  }

  /**
   * Tells a screen reader about a frame's events: each retry and each ended reply, once. Deltas
   * are never announced: a reply is read (or summed up) when it has finished.
   */
  #announce(events: ChatEvent[], finished: MessageView[]): void {
    for (const event of events) {
      if (event.type !== "retrying") continue;
      if (!this.messages.some((m) => m.id === event.messageId)) continue;
      announcer.alert(
        m.app_retrying({
          title: errorTitle(event.error.kind),
          seconds: formatSeconds(event.delayMs),
          attempt: formatCount(event.attempt),
        }),
      );
    }
    for (const message of finished) {
      if (message.role !== "assistant") continue;
      if (message.status === "error") {
        announcer.alert(
          m.app_reply_failed({ title: errorTitle(message.error?.kind ?? "internal") }),
        );
      } else if (message.status === "cancelled") {
        announcer.say(m.app_reply_stopped());
      } else if (message.status === "done") {
        announcer.say(replyAnnouncement(messageText(message)));
      }
    }
  }

  /**
   * Reads replies again whose end left their blocks out while this view holds only part of
   * their text (opened while they streamed): the stored reply is whole.
   */
  async #reread(stale: MessageView[]): Promise<void> {
    const id = this.conversation?.id;
    const view = this.#view;
    if (!id || !stale.some((message) => message.conversationId === id)) return;
    try {
      const result = await backend.openConversation(id);
      if (view !== this.#view) return;
      for (const message of stale) {
        const stored = result.messages.find((m) => m.id === message.id);
        const at = this.messages.findIndex((m) => m.id === message.id);
        if (stored && at >= 0) this.messages[at] = stored;
      }
    } catch (e) {
      console.warn("Could not read a finished reply again:", (e as ErrorPayload).message);
    }
  }

  async #refreshTotals(): Promise<void> {
    const id = this.conversation?.id;
    if (!id) return;
    try {
      const totals = await backend.conversationTotals(id);
      if (this.conversation?.id === id) this.totals = totals;
    } catch {
      // The header keeps the last totals; the next reply tries again.
    }
  }

  /** Shows an opened conversation (a search hit, a branch) with its totals and parameters. */
  #show(result: ConversationView, reloadParams: boolean): void {
    this.conversation = result.conversation;
    this.messages = result.messages;
    this.earlier = result.earlier;
    this.totals = result.totals;
    if (reloadParams) {
      this.presetId = null;
      this.params.load(result.conversation.id, result.conversation.params);
    }
  }

  #onTitle(event: TitleUpdated): void {
    conversations.patch(event.conversationId, { title: event.title });
    if (this.conversation?.id === event.conversationId) this.conversation.title = event.title;
    // A row read for `finished` may still answer with the old title: this newer read wins.
    void conversations.refreshOne(event.conversationId);
  }

  /** Opens a search hit: its conversation on the branch that holds it, the message highlighted. */
  async openHit(messageId: string, conversationId: string): Promise<void> {
    // A pending parameters edit is stored while the context it was checked in still holds.
    void this.params.flush();
    const view = ++this.#view;
    this.#batcher.flush();
    conversations.activeId = conversationId;
    this.loading = true;
    try {
      const result = await backend.openSearchHit(messageId);
      if (view !== this.#view) return;
      await markdownLoader.preloadKept(result.messages);
      if (view !== this.#view) return;
      this.#show(result, true);
      this.live = {};
      this.#resetTools(result.conversation.id);
      conversations.activeId = result.conversation.id;
      ui.highlightMessage(messageId);
    } catch (e) {
      if (view === this.#view) showError(e as ErrorPayload, m.app_err_open_hit());
    } finally {
      if (view === this.#view) this.loading = false;
    }
  }

  /**
   * Starts a new conversation from the default preset (model, system prompt, parameters), or
   * from the settings' defaults when there is none.
   */
  newDraft(): void {
    void this.params.flush();
    this.#view++;
    this.#batcher.flush();
    this.conversation = null;
    this.messages = [];
    this.earlier = 0;
    this.live = {};
    this.rounds = {};
    this.paused = {};
    this.totals = null;
    this.loading = false;
    this.#setUpDraft();
    conversations.activeId = null;
    ui.focusComposer();
  }

  #setUpDraft(): void {
    const preset = presets.defaultPreset;
    this.draft = {
      model: preset?.model ?? settings.defaultModel,
      systemPrompt: preset?.systemPrompt ?? "",
    };
    this.presetId = preset?.id ?? null;
    this.params.load(null, preset?.params ?? settings.defaultParams);
    this.#draftTouched = false;
  }

  /**
   * Settings and presets arrived after the first draft was set up: set it up again from them,
   * unless the user already changed it.
   */
  applyDraftDefaults(): void {
    if (this.conversation || this.#draftTouched || this.params.edited) return;
    this.#setUpDraft();
  }

  /**
   * Fills the view from a preset (null: forget the choice, keep the values). A new
   * conversation takes it as its start; an open one stores the preset's model, system prompt
   * and parameters.
   */
  async applyPreset(preset: Preset | null): Promise<void> {
    this.presetId = preset?.id ?? null;
    if (!preset) return;
    const conversation = this.conversation;
    if (!conversation) {
      this.draft = { model: preset.model, systemPrompt: preset.systemPrompt ?? "" };
      this.params.load(null, preset.params);
      this.#draftTouched = true;
      return;
    }
    this.params.replace(preset.params);
    try {
      const meta = await backend.updateConversation(
        conversation.id,
        preset.model,
        preset.systemPrompt ?? "",
      );
      if (this.conversation?.id === meta.id) {
        this.conversation.model = meta.model;
        this.conversation.systemPrompt = meta.systemPrompt;
      }
      conversations.patch(meta.id, { model: meta.model });
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_apply_preset());
    }
  }

  async open(id: string): Promise<void> {
    void this.params.flush();
    const view = ++this.#view;
    this.#batcher.flush();
    conversations.activeId = id;
    this.loading = true;
    // For the benchmarks (bench/lib/page.mjs): the store's share of an open.
    performance.clearMarks("parley:open");
    performance.clearMarks("parley:open:ipc");
    performance.mark("parley:open");
    try {
      const result = await backend.openConversation(id);
      performance.mark("parley:open:ipc");
      if (view !== this.#view) return;
      await markdownLoader.preloadKept(result.messages);
      if (view !== this.#view) return;
      this.#show(result, true);
      this.live = {};
      this.#resetTools(id);
      ui.focusComposer();
    } catch (e) {
      if (view === this.#view) showError(e as ErrorPayload, m.app_err_open_conversation());
    } finally {
      if (view === this.#view) this.loading = false;
    }
  }

  /**
   * Forgets the rounds of the view left and asks Rust for the rounds of `conversationId` still
   * waiting or running, so their approval rows come back when a conversation is reopened.
   */
  #resetTools(conversationId: string): void {
    this.rounds = {};
    this.paused = {};
    const view = this.#view;
    backend.liveToolCalls().then(
      (events) => {
        if (view !== this.#view) return;
        for (const event of events) {
          if (event.type !== "toolCalls" || event.conversationId !== conversationId) continue;
          // A round's own channel may have said more since: keep what it said.
          this.rounds[event.messageId] ??= { calls: event.calls, awaiting: event.awaiting };
        }
      },
      (e: ErrorPayload) => console.warn("Could not read the live tool calls:", e.message),
    );
  }

  /** The user's answer to a pending MCP call of reply `messageId`. */
  async decide(messageId: string, callId: string, decision: Decision): Promise<void> {
    try {
      await backend.decideToolCall(messageId, callId, decision);
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_answer_tool());
    }
  }

  /** The result the user typed for a hand-written tool's call; resolves whether it was taken. */
  async submitResult(
    messageId: string,
    callId: string,
    text: string,
    isError: boolean,
  ): Promise<boolean> {
    try {
      await backend.submitToolResult(messageId, callId, text, isError);
      return true;
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_send_tool_result());
      return false;
    }
  }

  /**
   * Runs the unanswered calls of the tool_use reply `messageId` (after the round cap paused the
   * loop, or a restart) and lets the loop go on, streaming on a new channel.
   */
  async resumeTools(messageId: string): Promise<void> {
    delete this.paused[messageId];
    await this.#restream(
      m.app_err_run_tools(),
      (onEvent) => backend.resumeToolLoop(messageId, onEvent),
      (started) => {
        const index = this.messages.findIndex((m) => m.id === started.assistantMessage.id);
        if (index >= 0) this.messages[index] = started.assistantMessage;
        this.expecting[messageId] = true;
        setTimeout(() => delete this.expecting[messageId], EXPECT_ROUND_MS);
      },
    );
  }

  /**
   * Starts a stream. Events can arrive before the command's answer says which messages they
   * belong to, so they wait until `place` has put the new messages into the view.
   */
  async #stream(start: Stream, place: (started: SendStarted) => void): Promise<SendStarted> {
    let placed = false;
    const early: ChatEvent[] = [];
    const started = await start((event) => {
      if (event.type === "titleUpdated") {
        this.#onTitle(event);
        return;
      }
      if (placed) this.#batcher.push(event);
      else early.push(event);
    });
    place(started);
    placed = true;
    for (const event of early) this.#batcher.push(event);
    return started;
  }

  /**
   * Sends the composer text and images (a message may be images only); resolves false (and
   * shows why) when the backend refused it.
   */
  async send(
    text: string,
    images: ComposerImage[] = [],
    imagePlacement: ImagePlacement = "beforeText",
    prefill = "",
  ): Promise<boolean> {
    if ((!text.trim() && images.length === 0) || this.busy) return false;
    // Invalid parameters are never sent: the panel and the send button say why.
    const params = this.params.check.params;
    if (params === null) return false;
    const view = this.#view;
    const existing = this.conversation;
    let conversationId = existing?.id ?? null;
    this.sending = true;
    try {
      // The panel's latest edits are stored before the request is built from them.
      await this.params.flush();
      await this.#stream(
        (onEvent) =>
          backend.sendMessage(
            {
              conversationId: existing?.id ?? null,
              text,
              model: this.model,
              systemPrompt: existing
                ? existing.systemPrompt
                : this.draft.systemPrompt.trim() || null,
              images,
              imagePlacement,
              params,
              prefill: prefill.trim() ? prefill : null,
            },
            onEvent,
          ),
        (started) => {
          conversationId = started.conversation.id;
          if (view !== this.#view) return;
          this.conversation = started.conversation;
          if (started.userMessage) this.messages.push(started.userMessage);
          this.messages.push(started.assistantMessage);
          if (!existing) {
            conversations.activeId = started.conversation.id;
            this.params.adopt(started.conversation.id, started.conversation.params);
            this.totals = null;
          }
        },
      );
      // The conversation is new, or newer: its row only.
      if (conversationId) void conversations.refreshOne(conversationId);
      return true;
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_not_sent());
      return false;
    } finally {
      this.sending = false;
    }
  }

  /** Asks for a new reply in place of `messageId` (retry of a failed reply, or regenerate). */
  async regenerate(messageId: string): Promise<void> {
    await this.#restream(
      m.app_err_regenerate(),
      (onEvent) => backend.regenerateReply(messageId, onEvent),
      (started) => {
        const index = this.messages.findIndex((m) => m.id === messageId);
        const at = index < 0 ? this.messages.length : index;
        this.messages.splice(at, this.messages.length - at, started.assistantMessage);
      },
    );
  }

  /**
   * Sends an edited copy of a user message as a new branch (Rust keeps its images, so the text
   * may be empty when it has some); resolves false on failure.
   */
  async editAndResend(messageId: string, text: string, hasImages = false): Promise<boolean> {
    if (!text.trim() && !hasImages) return false;
    const sent = await this.#restream(
      m.app_err_send_edit(),
      (onEvent) => backend.editAndResend(messageId, text, onEvent),
      (started) => {
        const index = this.messages.findIndex((m) => m.id === messageId);
        const at = index < 0 ? this.messages.length : index;
        const added = started.userMessage
          ? [started.userMessage, started.assistantMessage]
          : [started.assistantMessage];
        this.messages.splice(at, this.messages.length - at, ...added);
      },
    );
    if (sent && this.conversation) void conversations.refreshOne(this.conversation.id);
    return sent;
  }

  /**
   * Continues a reply that stopped at `max_tokens`: the same reply streams on (same id, back
   * to `streaming`), its new text appended to what it has.
   */
  async continueReply(messageId: string): Promise<void> {
    await this.#restream(
      m.app_err_continue(),
      (onEvent) => backend.continueReply(messageId, onEvent),
      (started) => {
        const index = this.messages.findIndex((m) => m.id === started.assistantMessage.id);
        if (index >= 0) this.messages[index] = started.assistantMessage;
      },
    );
  }

  /**
   * A new stream for a turn already shown (regenerate, edit, continue): waits for a pending
   * parameters save, places the started messages if the conversation is still the one shown,
   * and reports a failure under `failure`. Resolves whether the stream started.
   */
  async #restream(
    failure: string,
    start: Stream,
    place: (started: SendStarted) => void,
  ): Promise<boolean> {
    if (this.busy) return false;
    const view = this.#view;
    this.sending = true;
    try {
      await this.params.flush();
      await this.#stream(start, (started) => {
        if (view === this.#view) place(started);
      });
      return true;
    } catch (e) {
      showError(e as ErrorPayload, failure);
      return false;
    } finally {
      this.sending = false;
    }
  }

  /**
   * Stops what runs now: the streaming reply, or the tool round of the loop's current reply
   * (Rust cancels the request and the running calls alike).
   */
  async cancel(): Promise<void> {
    const id = this.streamingMessage?.id ?? this.liveRoundId;
    if (!id) return;
    try {
      await backend.cancelStream(id);
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_stop());
    }
  }

  #readingEarlier: Promise<boolean> | null = null;

  /**
   * Reads up to `count` more of the branch's messages before those held, once at a time; a
   * page for another view or branch than the one it was asked for is dropped. Resolves with
   * whether the messages held now start earlier (false after a failure, which is shown).
   */
  loadEarlier(count: number): Promise<boolean> {
    const first = this.messages[0]?.id;
    if (this.earlier === 0 || !first) return Promise.resolve(false);
    this.#readingEarlier ??= (async () => {
      try {
        const page = await backend.branchBefore(first, count);
        if (this.messages[0]?.id !== first) return false;
        this.messages.unshift(...page.messages);
        this.earlier = page.earlier;
        return true;
      } catch (e) {
        showError(e as ErrorPayload, m.app_err_open_conversation());
        return false;
      } finally {
        this.#readingEarlier = null;
      }
    })();
    return this.#readingEarlier;
  }

  async selectBranch(messageId: string): Promise<void> {
    const view = this.#view;
    try {
      const result = await backend.selectBranch(messageId);
      if (view !== this.#view) return;
      this.#batcher.flush();
      this.#show(result, false);
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_switch_version());
    }
  }

  async setModel(model: string): Promise<void> {
    const model_ = model.trim();
    if (!model_) return;
    if (!this.conversation) {
      this.draft.model = model_;
      this.#draftTouched = true;
      return;
    }
    try {
      const meta = await backend.updateConversation(this.conversation.id, model_, null);
      if (this.conversation?.id === meta.id) this.conversation = meta;
      conversations.patch(meta.id, { model: meta.model });
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_change_model());
    }
  }

  /** Saves the system prompt; resolves false when the backend refused it. */
  async setSystemPrompt(prompt: string): Promise<boolean> {
    if (!this.conversation) {
      this.draft.systemPrompt = prompt;
      this.#draftTouched = true;
      return true;
    }
    try {
      const meta = await backend.updateConversation(this.conversation.id, null, prompt);
      if (this.conversation?.id === meta.id) this.conversation = meta;
      return true;
    } catch (e) {
      showError(e as ErrorPayload, m.app_err_save_prompt());
      return false;
    }
  }
}

function showError(error: ErrorPayload, context: string): void {
  const detail = error.requestId
    ? m.app_error_request_id({ message: error.message, requestId: error.requestId })
    : error.message;
  toasts.error(m.app_error_with_title({ context, title: errorTitle(error.kind) }), detail);
}

export const chat = new ChatStore();
conversations.onActiveTrashed = () => chat.newDraft();
