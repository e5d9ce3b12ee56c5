import { clampZoom, DEFAULT_ZOOM, stepZoom } from "../zoom";

const KEY = "parley.zoom";

/**
 * Text zoom (Ctrl+= / Ctrl+- / Ctrl+0), remembered in localStorage. The whole UI scales with
 * CSS `zoom` on the root element, so pixel sizes (rows, buttons, the sidebar) grow with the text.
 */
class ZoomStore {
  percent = $state(DEFAULT_ZOOM);

  constructor() {
    try {
      const stored = localStorage.getItem(KEY);
      if (stored !== null) this.percent = clampZoom(Number(stored));
    } catch {
      // No storage (private mode): zoom still works for this session.
    }
    this.#apply();
  }

  in(): void {
    this.#set(stepZoom(this.percent, 1));
  }

  out(): void {
    this.#set(stepZoom(this.percent, -1));
  }

  reset(): void {
    this.#set(DEFAULT_ZOOM);
  }

  #set(percent: number): void {
    this.percent = percent;
    try {
      localStorage.setItem(KEY, String(percent));
    } catch {
      // Not remembered, still applied.
    }
    this.#apply();
  }

  #apply(): void {
    const root = document.documentElement;
    root.style.zoom = this.percent === DEFAULT_ZOOM ? "" : `${this.percent}%`;
    root.dataset.zoom = String(this.percent);
  }
}

export const zoom = new ZoomStore();
