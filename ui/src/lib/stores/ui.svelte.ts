/** App-wide UI state that is not domain data: which overlays are open, what to focus. */
class UiStore {
  settingsOpen = $state(false);
  /** Bumped to ask the composer to take focus (new conversation, opened conversation, ...). */
  composerFocusRequest = $state(0);

  openSettings(): void {
    this.settingsOpen = true;
  }

  closeSettings(): void {
    this.settingsOpen = false;
  }

  focusComposer(): void {
    this.composerFocusRequest++;
  }
}

export const ui = new UiStore();
