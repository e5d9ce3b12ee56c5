/**
 * The rendered HTML of long finished texts, kept for the session so that a reply is rendered
 * once: when it finishes streaming, or the first time it is opened. Opening it again (going back
 * to the conversation, scrolling it back into the transcript's window) then costs putting its
 * HTML into the page, not parsing and sanitising 650 KB of markdown again.
 *
 * Entries are found by a key the caller picks (message id and block index) and used only when
 * the text and the UI language are still those they were rendered from. The least recently used
 * go first once the kept HTML passes `maxChars`.
 */
import type { Segment } from "./markdown";

/** Shorter texts render within a frame: keeping them would cost memory and save nothing. */
export const CACHE_FROM_CHARS = 16 * 1024;

type Entry = { text: string; locale: string; segments: Segment[]; chars: number };

export class MarkdownCache {
  readonly #maxChars: number;
  readonly #entries = new Map<string, Entry>();
  #chars = 0;

  constructor(maxChars: number) {
    this.#maxChars = maxChars;
  }

  /** Characters of HTML and text held (what the bound applies to). */
  get chars(): number {
    return this.#chars;
  }

  get(key: string, text: string, locale: string): Segment[] | null {
    const entry = this.#entries.get(key);
    if (!entry || entry.locale !== locale || entry.text !== text) return null;
    // Most recently used last: `Map` keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.segments;
  }

  put(key: string, text: string, locale: string, segments: Segment[]): void {
    if (text.length < CACHE_FROM_CHARS) return;
    this.#drop(key);
    const chars = text.length + segments.reduce((sum, s) => sum + s.html.length, 0);
    if (chars > this.#maxChars) return;
    this.#entries.set(key, { text, locale, segments, chars });
    this.#chars += chars;
    for (const [oldest] of this.#entries) {
      if (this.#chars <= this.#maxChars) break;
      this.#drop(oldest);
    }
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#chars -= entry.chars;
  }
}

/** The app's cache: up to 8 M characters (16 MB as UTF-16), a dozen 100k-token replies. */
export const markdownCache = new MarkdownCache(8 * 1024 * 1024);
