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
