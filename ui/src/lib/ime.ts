/** The parts of a keyboard event the guard looks at (so tests can pass plain objects). */
export type KeyLike = {
  key: string;
  isComposing?: boolean;
  keyCode?: number;
  shiftKey?: boolean;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
};

/**
 * Decides whether Enter in the composer may send.
 *
 * An input method (Chinese, Japanese, Korean, ...) uses Enter to commit its candidate text; that
 * Enter must never send the message. Browsers disagree on how they report it: Chromium sets
 * `isComposing`, older engines send keyCode 229, and Safari/WebKit fires `compositionend` first and
 * then a keydown Enter with `isComposing: false`. So the guard tracks the composition itself and
 * also ignores an Enter that arrives right after `compositionend` (same tick, within `graceMs`).
 */
export class ImeGuard {
  #composing = false;
  #endedAt = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;
  readonly #graceMs: number;

  constructor(now: () => number = () => performance.now(), graceMs = 50) {
    this.#now = now;
    this.#graceMs = graceMs;
  }

  get composing(): boolean {
    return this.#composing;
  }

  compositionStart(): void {
    this.#composing = true;
  }

  compositionEnd(): void {
    this.#composing = false;
    this.#endedAt = this.#now();
  }

  /** True while Enter belongs to the input method, not to the user asking to send. */
  isImeEnter(event: KeyLike): boolean {
    if (event.isComposing || this.#composing) return true;
    if (event.keyCode === 229) return true;
    return this.#now() - this.#endedAt <= this.#graceMs;
  }

  /** True when this keydown should send the message (plain Enter, no IME, no modifiers). */
  shouldSend(event: KeyLike): boolean {
    if (event.key !== "Enter") return false;
    if (event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return false;
    return !this.isImeEnter(event);
  }
}

/**
 * A Svelte action for any element holding inputs that act on Enter (rename, search, folder
 * names, settings fields): it runs the composer's `ImeGuard` over the element's composition
 * events and, in the capture phase, keeps an Enter that belongs to an input method from reaching
 * the inputs' own handlers (or a form's implicit submission). `isComposing` alone is not enough:
 * WebKitGTK reports the committing Enter after `compositionend`, with `isComposing: false`.
 */
export function imeEnterGuard(node: HTMLElement, guard: ImeGuard = new ImeGuard()) {
  const start = () => guard.compositionStart();
  const end = () => guard.compositionEnd();
  const keydown = (event: KeyboardEvent) => {
    if (event.key !== "Enter" || !guard.isImeEnter(event)) return;
    event.stopPropagation();
    // While composing, the key is the input method's to use; after it ended, it must do nothing.
    if (!event.isComposing && !guard.composing && event.keyCode !== 229) event.preventDefault();
  };
  node.addEventListener("compositionstart", start, true);
  node.addEventListener("compositionend", end, true);
  node.addEventListener("keydown", keydown, true);
  return {
    destroy() {
      node.removeEventListener("compositionstart", start, true);
      node.removeEventListener("compositionend", end, true);
      node.removeEventListener("keydown", keydown, true);
    },
  };
}
