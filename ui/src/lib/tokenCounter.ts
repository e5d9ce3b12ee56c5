/**
 * When to ask Rust to count the tokens of the next request, as the user types: once typing has
 * rested for `delayMs` (300 ms), never two requests at a time (a change while one is out waits
 * for it and then makes at most one more), and never twice for the same content (answers are
 * cached by a key the caller derives from everything counted). Typing never waits for any of
 * it: `update` only records and arms a timer.
 */

export type Timers = {
  set: (run: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
};

export type TokenCounterOptions<Q, R> = {
  /** The request to Rust (`countTokens`). */
  count: (request: Q) => Promise<R>;
  /** The count for the latest content, or null when counting it failed. */
  onResult: (result: R | null) => void;
  delayMs?: number;
  /** Answers kept, least recently used dropped first. */
  cacheSize?: number;
  timers?: Timers;
};

const browserTimers: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class TokenCounter<Q, R> {
  readonly #count: (request: Q) => Promise<R>;
  readonly #onResult: (result: R | null) => void;
  readonly #delayMs: number;
  readonly #cacheSize: number;
  readonly #timers: Timers;
  readonly #cache = new Map<string, R>();
  #latest: { request: Q; key: string } | null = null;
  #timer: unknown = null;
  #inFlight = false;
  /** The timer fired while a request was out: count the latest content when it returns. */
  #again = false;
  #disposed = false;

  constructor(options: TokenCounterOptions<Q, R>) {
    this.#count = options.count;
    this.#onResult = options.onResult;
    this.#delayMs = options.delayMs ?? 300;
    this.#cacheSize = options.cacheSize ?? 64;
    this.#timers = options.timers ?? browserTimers;
  }

  /** Whether a request is out (for tests and a busy hint). */
  get inFlight(): boolean {
    return this.#inFlight;
  }

  /** The content changed to `request`, identified by `key`. */
  update(request: Q, key: string): void {
    if (this.#disposed) return;
    this.#latest = { request, key };
    this.#stopTimer();
    const cached = this.#cached(key);
    if (cached !== undefined) {
      this.#onResult(cached);
      return;
    }
    this.#timer = this.#timers.set(() => this.#fire(), this.#delayMs);
  }

  /** Nothing to count any more (an empty draft): forget the latest content. */
  clear(): void {
    this.#latest = null;
    this.#stopTimer();
  }

  dispose(): void {
    this.#disposed = true;
    this.clear();
  }

  #stopTimer(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  #cached(key: string): R | undefined {
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      // Most recently used last, so the oldest is dropped first.
      this.#cache.delete(key);
      this.#cache.set(key, hit);
    }
    return hit;
  }

  #remember(key: string, result: R): void {
    this.#cache.set(key, result);
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value as string;
      this.#cache.delete(oldest);
    }
  }

  #fire(): void {
    this.#timer = null;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#start();
  }

  #start(): void {
    const latest = this.#latest;
    if (!latest || this.#disposed) return;
    this.#inFlight = true;
    this.#count(latest.request)
      .then(
        (result) => {
          this.#remember(latest.key, result);
          if (this.#latest?.key === latest.key) this.#onResult(result);
        },
        () => {
          if (this.#latest?.key === latest.key) this.#onResult(null);
        },
      )
      .finally(() => {
        this.#inFlight = false;
        if (!this.#again) return;
        this.#again = false;
        // Still typing (the timer is armed again): that timer will count. Already known: shown.
        const next = this.#latest;
        if (next && this.#timer === null && !this.#cache.has(next.key)) this.#start();
      });
  }
}
