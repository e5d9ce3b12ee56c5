export type Scheduler = {
  request(run: () => void): () => void;
};

/**
 * Schedules on the next animation frame, with a timer as a fallback: a hidden or minimised window
 * gets no frames, and a reply that finishes there must still end in the "done" state.
 */
export const animationFrameScheduler: Scheduler = {
  request(run) {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      run();
    };
    const frame = requestAnimationFrame(once);
    const timer = setTimeout(once, 250);
    return () => {
      done = true;
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  },
};

/**
 * Collects items and hands them to `apply` at most once per frame, in arrival order.
 *
 * Streamed deltas arrive far more often than the screen refreshes; applying them one by one
 * would re-render (and re-parse markdown) per token. Batching keeps the work per frame bounded.
 */
export class FrameBatcher<T> {
  #queue: T[] = [];
  #cancel: (() => void) | null = null;
  readonly #apply: (items: T[]) => void;
  readonly #scheduler: Scheduler;

  constructor(apply: (items: T[]) => void, scheduler: Scheduler = animationFrameScheduler) {
    this.#apply = apply;
    this.#scheduler = scheduler;
  }

  get pending(): number {
    return this.#queue.length;
  }

  push(item: T): void {
    this.#queue.push(item);
    if (this.#cancel === null) {
      this.#cancel = this.#scheduler.request(() => {
        this.#cancel = null;
        this.flush();
      });
    }
  }

  /** Applies everything queued now (also used before replacing the view wholesale). */
  flush(): void {
    if (this.#cancel) {
      this.#cancel();
      this.#cancel = null;
    }
    if (this.#queue.length === 0) return;
    const items = this.#queue;
    this.#queue = [];
    this.#apply(items);
  }

  /** Drops everything queued without applying it. */
  clear(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#queue = [];
  }
}
