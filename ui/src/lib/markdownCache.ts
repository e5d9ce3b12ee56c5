/**
 * The rendered HTML of long finished texts, kept for the session so that a reply is rendered
 * once: when it finishes streaming, or the first time it is opened. Opening it again (going back
 * to the conversation, scrolling it back into the transcript's window) then costs putting its
 * HTML into the page, not parsing and sanitising 650 KB of markdown again.
 *
 * Entries are found by a key the caller picks (message id and block index) and used only when
 * the text and the UI language are still those they were rendered from. The least recently used
 * go first once the kept HTML passes `maxChars`.
 *
 * The longest texts, which render in slices over hundreds of milliseconds, are also kept across
 * launches (`PersistentRenders`, in Rust's `render_cache.rs`).
 */
import * as backend from "./backend";
import type { MessageView } from "./bindings";
import { isText, renderKey } from "./blocks";
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

/**
 * Texts this long, finished and not rendered yet this session, render in slices between frames
 * (`Markdown.svelte`); they are also the ones kept across launches.
 */
export const PERSIST_FROM_CHARS = 32 * 1024;

/** A 53-bit hash of `text` (cyrb53), in base 36. */
export function textHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * The name a rendered text is kept under across launches: the caller's key (message id, block
 * index), the text's length and hash, the UI language and `build` (the renderer's code: a new
 * build, say a sanitiser fix, never shows HTML an older one made). Plain name characters only,
 * as Rust requires.
 */
export function persistentKey(cacheKey: string, text: string, locale: string, build: string) {
  const name = [cacheKey, String(text.length), textHash(text), locale, build].join("-");
  return name.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** How many texts `PersistentRenders` remembers having found nothing kept for. */
const MISSES_KEPT = 32;

/** Where rendered texts are kept across launches (Rust's render cache). */
export type RenderStore = {
  read(key: string): Promise<string | null>;
  write(key: string, html: string): Promise<unknown>;
};

function isSegments(value: unknown): value is Segment[] {
  return (
    Array.isArray(value) &&
    value.every(
      (s) =>
        typeof s === "object" &&
        s !== null &&
        typeof (s as Segment).key === "string" &&
        typeof (s as Segment).html === "string",
    )
  );
}

/**
 * Long texts' rendered HTML across launches: a reply of 100k tokens is rendered once, not once
 * per launch. Finished texts never change, so an entry is written once; what cannot be read or
 * written only costs a render.
 */
export class PersistentRenders {
  readonly #store: RenderStore;
  readonly #build: string;
  readonly #written = new Set<string>();
  /**
   * Texts looked up and not found this session, by their caller's key: an open reads them before
   * the transcript shows them (`preloadKept`), and the transcript must not hash 650 KB and ask
   * Rust a second time for the same answer.
   */
  readonly #missing = new Map<string, { text: string; locale: string }>();
  readonly #writeDelayMs: number;

  constructor(store: RenderStore, build: string, writeDelayMs = 250) {
    this.#store = store;
    this.#build = build;
    this.#writeDelayMs = writeDelayMs;
  }

  /** The segments kept for this text in an earlier launch, or null. */
  async load(cacheKey: string, text: string, locale: string): Promise<Segment[] | null> {
    if (text.length < PERSIST_FROM_CHARS) return null;
    const missing = this.#missing.get(cacheKey);
    if (missing && missing.locale === locale && missing.text === text) return null;
    const key = persistentKey(cacheKey, text, locale, this.#build);
    try {
      const kept = await this.#store.read(key);
      if (kept === null) {
        this.#remember(cacheKey, text, locale);
        return null;
      }
      const segments: unknown = JSON.parse(kept);
      if (!isSegments(segments)) return null;
      this.#written.add(key);
      return segments;
    } catch {
      return null;
    }
  }

  /** A miss, kept for the last few texts only (each holds its text alive). */
  #remember(cacheKey: string, text: string, locale: string): void {
    this.#missing.delete(cacheKey);
    this.#missing.set(cacheKey, { text, locale });
    for (const [oldest] of this.#missing) {
      if (this.#missing.size <= MISSES_KEPT) break;
      this.#missing.delete(oldest);
    }
  }

  /**
   * Keeps the segments of a finished text for the next launches, once per text, a moment later
   * (never in the frame that shows the text).
   */
  save(cacheKey: string, text: string, locale: string, segments: Segment[]): void {
    if (text.length < PERSIST_FROM_CHARS) return;
    this.#missing.delete(cacheKey);
    // Hashing a long text costs milliseconds: done later too, never in the frame that shows it.
    setTimeout(() => {
      const key = persistentKey(cacheKey, text, locale, this.#build);
      if (this.#written.has(key)) return;
      this.#written.add(key);
      this.#store.write(key, JSON.stringify(segments)).catch((error: unknown) => {
        this.#written.delete(key);
        console.warn("Could not keep a rendered reply:", error);
      });
    }, this.#writeDelayMs);
  }
}

/**
 * The app's renders across launches. `import.meta.url` is the markdown chunk's address, whose
 * name carries a hash of its code (marked, DOMPurify, highlight.js, KaTeX and ours).
 */
export const persistentRenders = new PersistentRenders(
  { read: backend.readRendered, write: backend.writeRendered },
  textHash(import.meta.url),
);

/**
 * How many long texts an open reads the kept renders of before it shows the conversation: a
 * screenful. Any others are read as the transcript renders them, as before.
 */
const PRELOADS = 4;

/**
 * Reads the kept renders of `messages`' long finished replies into `cache`, for an open to await
 * before it shows them: the transcript then renders each in its first pass. Without this a reply
 * rendered empty, looked its render up once that pass had run, and was shown a frame or more
 * later in a second pass (issue 13: opening a 100k-token reply after a restart). Nothing kept,
 * or nothing readable, costs one lookup; the transcript then renders the text itself.
 */
export async function preloadKept(
  messages: readonly MessageView[],
  locale: string,
  renders: PersistentRenders = persistentRenders,
  cache: MarkdownCache = markdownCache,
): Promise<void> {
  const reads: Promise<void>[] = [];
  // The newest first: an open shows the end of the conversation.
  for (const message of [...messages].reverse()) {
    // What the transcript renders as markdown once finished (`ContentBlockView`).
    if (message.role !== "assistant" || message.status === "streaming") continue;
    message.blocks.forEach((block, index) => {
      if (!isText(block) || block.text.length < PERSIST_FROM_CHARS) return;
      if (reads.length >= PRELOADS) return;
      const key = renderKey(message.id, index);
      if (cache.get(key, block.text, locale)) return;
      reads.push(
        renders.load(key, block.text, locale).then((kept) => {
          if (kept) cache.put(key, block.text, locale, kept);
        }),
      );
    });
  }
  await Promise.all(reads);
}
