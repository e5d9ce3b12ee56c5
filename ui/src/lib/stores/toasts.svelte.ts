export type ToastKind = "info" | "error";
export type Toast = { id: number; kind: ToastKind; title: string; detail: string | null };

const DURATION_MS = { info: 2_500, error: 6_000 } as const;

class ToastStore {
  items = $state<Toast[]>([]);
  #next = 1;

  show(kind: ToastKind, title: string, detail: string | null = null): number {
    const id = this.#next++;
    this.items.push({ id, kind, title, detail });
    setTimeout(() => this.dismiss(id), DURATION_MS[kind]);
    return id;
  }

  info(title: string, detail: string | null = null): number {
    return this.show("info", title, detail);
  }

  error(title: string, detail: string | null = null): number {
    return this.show("error", title, detail);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new ToastStore();
