/** An image opened in the viewer: a stored one (loaded at full size) or a `data:` URL. */
export type ViewerImage = { sha256: string; src?: undefined } | { src: string; sha256?: undefined };

/** App-wide UI state that is not domain data: which overlays are open, what to focus. */
class UiStore {
  settingsOpen = $state(false);
  /** Bumped to ask the composer to take focus (new conversation, opened conversation, ...). */
  composerFocusRequest = $state(0);
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

  focusComposer(): void {
    this.composerFocusRequest++;
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
