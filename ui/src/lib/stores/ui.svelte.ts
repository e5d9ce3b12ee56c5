/** An image opened in the viewer: a stored one (loaded at full size) or a `data:` URL. */
export type ViewerImage = { sha256: string; src?: undefined } | { src: string; sha256?: undefined };

/** App-wide UI state that is not domain data: which overlays are open, what to focus. */
class UiStore {
  settingsOpen = $state(false);
  /** Bumped to ask the composer to take focus (new conversation, opened conversation, ...). */
  composerFocusRequest = $state(0);
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

  openViewer(image: ViewerImage): void {
    this.viewer = image;
  }

  closeViewer(): void {
    this.viewer = null;
  }
}

export const ui = new UiStore();
