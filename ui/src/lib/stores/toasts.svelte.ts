export type ToastKind = "info" | "error";
export type ToastAction = { label: string; run: () => void };
export type Toast = {
  id: number;
  kind: ToastKind;
  title: string;
  detail: string | null;
  action: ToastAction | null;
};
export type ToastOptions = {
  durationMs?: number;
  /** A button (e.g. Undo); running it closes the toast. */
  action?: ToastAction;
  /** Runs once when the toast goes, by timeout, dismissal or its action. */
  onClose?: () => void;
};

import { m } from "../../paraglide/messages";
import { announcer } from "./announcer.svelte";

const DURATION_MS = { info: 2_500, error: 6_000 } as const;

/** A toast's countdown, which pauses while the pointer or the keyboard is on the toast. */
type Timer = { remaining: number; startedAt: number; handle: ReturnType<typeof setTimeout> | null };

class ToastStore {
  items = $state<Toast[]>([]);
  #next = 1;
  #onClose = new Map<number, () => void>();
  #timers = new Map<number, Timer>();

  show(kind: ToastKind, title: string, detail: string | null = null, options: ToastOptions = {}) {
    const id = this.#next++;
    const action = options.action ?? null;
    this.items.push({ id, kind, title, detail, action });
    if (options.onClose) this.#onClose.set(id, options.onClose);
    this.#timers.set(id, {
      remaining: options.durationMs ?? DURATION_MS[kind],
      startedAt: 0,
      handle: null,
    });
    this.#start(id);
    // The toast region is not live itself: the announcer says each toast once, errors at once.
    const spoken = [title, detail, action ? m.app_toast_action_hint({ label: action.label }) : null]
      .filter(Boolean)
      .join(". ");
    if (kind === "error") announcer.alert(spoken);
    else announcer.say(spoken);
    return id;
  }

  #start(id: number): void {
    const timer = this.#timers.get(id);
    if (!timer || timer.handle !== null) return;
    timer.startedAt = Date.now();
    timer.handle = setTimeout(() => this.dismiss(id), timer.remaining);
  }

  /** Stops a toast's countdown (the pointer is over it, or focus is in it). */
  pause(id: number): void {
    const timer = this.#timers.get(id);
    if (!timer || timer.handle === null) return;
    clearTimeout(timer.handle);
    timer.handle = null;
    timer.remaining = Math.max(1_000, timer.remaining - (Date.now() - timer.startedAt));
  }

  /** Starts a paused countdown again, with the time it had left. */
  resume(id: number): void {
    this.#start(id);
  }

  /** The newest toast with an action (what Ctrl+Z undoes), if any. */
  get latestAction(): Toast | null {
    return this.items.findLast((t) => t.action !== null) ?? null;
  }

  info(title: string, detail: string | null = null): number {
    return this.show("info", title, detail);
  }

  error(title: string, detail: string | null = null): number {
    return this.show("error", title, detail);
  }

  /** Runs the toast's action, then closes it. */
  act(id: number): void {
    const toast = this.items.find((t) => t.id === id);
    if (!toast?.action) return;
    toast.action.run();
    this.dismiss(id);
  }

  dismiss(id: number): void {
    if (!this.items.some((t) => t.id === id)) return;
    this.items = this.items.filter((t) => t.id !== id);
    const timer = this.#timers.get(id);
    if (timer?.handle) clearTimeout(timer.handle);
    this.#timers.delete(id);
    const onClose = this.#onClose.get(id);
    this.#onClose.delete(id);
    onClose?.();
  }
}

export const toasts = new ToastStore();
