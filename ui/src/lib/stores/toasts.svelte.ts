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

const DURATION_MS = { info: 2_500, error: 6_000 } as const;

class ToastStore {
  items = $state<Toast[]>([]);
  #next = 1;
  #onClose = new Map<number, () => void>();

  show(kind: ToastKind, title: string, detail: string | null = null, options: ToastOptions = {}) {
    const id = this.#next++;
    this.items.push({ id, kind, title, detail, action: options.action ?? null });
    if (options.onClose) this.#onClose.set(id, options.onClose);
    setTimeout(() => this.dismiss(id), options.durationMs ?? DURATION_MS[kind]);
    return id;
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
    const onClose = this.#onClose.get(id);
    this.#onClose.delete(id);
    onClose?.();
  }
}

export const toasts = new ToastStore();
