/** An image opened in the viewer: a stored one (loaded at full size) or a `data:` URL. */
export type ViewerImage = { sha256: string; src?: undefined } | { src: string; sha256?: undefined };

/**
 * What the chat header's drawer shows: nothing, the system prompt, or the parameters panel
 * (which holds the system prompt too).
 */
export type HeaderPanel = "closed" | "prompt" | "params";

/** App-wide UI state that is not domain data: which overlays are open, what to focus. */
class UiStore {
  settingsOpen = $state(false);
  headerPanel = $state<HeaderPanel>("closed");
  /** Bumped to ask the parameters panel to focus its first field (opened by keyboard). */
  paramsFocusRequest = $state(0);
  /** A user message whose edit should open (a refused reply's "Edit your message"). */
  editRequest = $state<{ messageId: string; n: number } | null>(null);
  /** Bumped to ask the composer to take focus (new conversation, opened conversation, ...). */
  composerFocusRequest = $state(0);
  /** A history row to scroll to and focus (a conversation restored by Undo). */
  rowFocusRequest = $state<{ id: string; n: number } | null>(null);
  /** The keyboard shortcuts sheet is open. */
  shortcutsOpen = $state(false);
  /** Bumped to ask the history search box to take focus (Ctrl+K). */
  searchFocusRequest = $state(0);
  /** The message an opened search hit points at: scrolled into view and highlighted briefly. */
  highlightedMessageId = $state<string | null>(null);
  #highlightTimer: ReturnType<typeof setTimeout> | undefined;
  /** The image shown in the lightbox, if any. */
  viewer = $state<ViewerImage | null>(null);

  openSettings(): void {
    this.settingsOpen = true;
  }

  closeSettings(): void {
    this.settingsOpen = false;
  }

  /** Opens or closes the parameters panel; `focus` moves the keyboard into it. */
  toggleParams(focus = false): void {
    this.headerPanel = this.headerPanel === "params" ? "closed" : "params";
    if (this.headerPanel === "params" && focus) this.paramsFocusRequest++;
  }

  /** Opens the edit of a user message (it scrolls into view with its focused editor). */
  requestEdit(messageId: string): void {
    this.editRequest = { messageId, n: (this.editRequest?.n ?? 0) + 1 };
  }

  focusComposer(): void {
    this.composerFocusRequest++;
  }

  focusRow(id: string): void {
    this.rowFocusRequest = { id, n: (this.rowFocusRequest?.n ?? 0) + 1 };
  }

  focusSearch(): void {
    this.searchFocusRequest++;
  }

  highlightMessage(id: string | null, ms = 2_500): void {
    clearTimeout(this.#highlightTimer);
    this.highlightedMessageId = id;
    if (id !== null)
      this.#highlightTimer = setTimeout(() => (this.highlightedMessageId = null), ms);
  }

  openViewer(image: ViewerImage): void {
    this.viewer = image;
  }

  closeViewer(): void {
    this.viewer = null;
  }
}

export const ui = new UiStore();
