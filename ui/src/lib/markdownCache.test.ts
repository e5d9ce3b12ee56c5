import { describe, expect, it } from "vitest";
import type { MessageView } from "./bindings";
import {
  CACHE_FROM_CHARS,
  MarkdownCache,
  PERSIST_FROM_CHARS,
  PersistentRenders,
  persistentKey,
  preloadKept,
  textHash,
  type RenderStore,
} from "./markdownCache";
import { messageView } from "./testing";

const long = (c: string) => c.repeat(CACHE_FROM_CHARS);
const html = (text: string) => [{ key: "all", html: `<p>${text}</p>` }];

describe("MarkdownCache", () => {
  it("gives back a long text's segments only for the same text and language", () => {
    const cache = new MarkdownCache(1_000_000);
    const text = long("a");
    const segments = html(text);
    cache.put("m1:0", text, "en", segments);
    expect(cache.get("m1:0", text, "en")).toBe(segments);
    expect(cache.get("m1:0", text + "more", "en")).toBeNull();
    expect(cache.get("m1:0", text, "zh-CN")).toBeNull();
    expect(cache.get("m2:0", text, "en")).toBeNull();
  });

  it("keeps no short text: it renders within a frame", () => {
    const cache = new MarkdownCache(1_000_000);
    cache.put("m1:0", "short", "en", html("short"));
    expect(cache.get("m1:0", "short", "en")).toBeNull();
    expect(cache.chars).toBe(0);
  });

  it("drops the least recently used entries past its bound, and counts what it holds", () => {
    const text = long("x");
    const entry = text.length + html(text)[0]!.html.length;
    const cache = new MarkdownCache(entry * 2);
    cache.put("a", text, "en", html(text));
    cache.put("b", text, "en", html(text));
    // "a" is used again, so "b" is the oldest when "c" comes.
    expect(cache.get("a", text, "en")).not.toBeNull();
    cache.put("c", text, "en", html(text));
    expect(cache.get("b", text, "en")).toBeNull();
    expect(cache.get("a", text, "en")).not.toBeNull();
    expect(cache.get("c", text, "en")).not.toBeNull();
    expect(cache.chars).toBe(entry * 2);
    // Putting a key again replaces its entry rather than counting it twice.
    cache.put("c", text, "en", html(text));
    expect(cache.chars).toBe(entry * 2);
  });

  it("does not keep an entry larger than its whole bound", () => {
    const cache = new MarkdownCache(CACHE_FROM_CHARS);
    const text = long("y");
    cache.put("big", text, "en", html(text));
    expect(cache.get("big", text, "en")).toBeNull();
    expect(cache.chars).toBe(0);
  });
});

describe("PersistentRenders", () => {
  const long = "x".repeat(PERSIST_FROM_CHARS);
  const segments = [{ key: "b0", html: "<p>kept</p>" }];

  function memoryStore() {
    const kept = new Map<string, string>();
    const store: RenderStore & { kept: Map<string, string>; writes: number } = {
      kept,
      writes: 0,
      read: async (key) => kept.get(key) ?? null,
      write: async (key, html) => {
        store.writes++;
        kept.set(key, html);
      },
    };
    return store;
  }

  it("keeps a long text's segments for the next launch, written once, a moment later", async () => {
    const store = memoryStore();
    const renders = new PersistentRenders(store, "build1", 0);
    renders.save("m1:0", long, "en", segments);
    renders.save("m1:0", long, "en", segments);
    expect(store.writes, "not in the frame that renders").toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(store.writes).toBe(1);
    const nextLaunch = new PersistentRenders(store, "build1", 0);
    expect(await nextLaunch.load("m1:0", long, "en")).toEqual(segments);
  });

  it("is found only for the same text, language and renderer build", async () => {
    const store = memoryStore();
    new PersistentRenders(store, "build1", 0).save("m1:0", long, "en", segments);
    await new Promise((r) => setTimeout(r, 5));
    const same = new PersistentRenders(store, "build1", 0);
    expect(await same.load("m1:0", long.slice(1) + "y", "en"), "another text").toBeNull();
    expect(await same.load("m1:0", long, "zh-CN"), "another language").toBeNull();
    expect(await same.load("m1:1", long, "en"), "another block").toBeNull();
    const upgraded = new PersistentRenders(store, "build2", 0);
    expect(await upgraded.load("m1:0", long, "en"), "another renderer").toBeNull();
  });

  it("leaves short texts alone and treats unreadable entries as none", async () => {
    const store = memoryStore();
    const renders = new PersistentRenders(store, "b", 0);
    renders.save("m1:0", "short", "en", segments);
    await new Promise((r) => setTimeout(r, 5));
    expect(store.writes).toBe(0);
    store.kept.set(persistentKey("m1:0", long, "en", "b"), "{not json");
    expect(await renders.load("m1:0", long, "en")).toBeNull();
    store.kept.set(persistentKey("m1:0", long, "en", "b"), '[{"key":1}]');
    expect(await renders.load("m1:0", long, "en")).toBeNull();
    const failing = new PersistentRenders(
      { read: () => Promise.reject(new Error("io")), write: () => Promise.resolve() },
      "b",
    );
    expect(await failing.load("m1:0", long, "en")).toBeNull();
  });

  it("asks once for a text with nothing kept, until it is kept", async () => {
    const store = memoryStore();
    let reads = 0;
    const counting: RenderStore = {
      read: (key) => (reads++, store.read(key)),
      write: (key, html) => store.write(key, html),
    };
    const renders = new PersistentRenders(counting, "b", 0);
    expect(await renders.load("m1:0", long, "en")).toBeNull();
    expect(await renders.load("m1:0", long, "en")).toBeNull();
    expect(reads, "the second lookup of the same text is answered from memory").toBe(1);
    expect(await renders.load("m1:0", long, "zh-CN")).toBeNull();
    expect(await renders.load("m1:0", long.slice(1) + "y", "en")).toBeNull();
    expect(reads, "another language or text asks again").toBe(3);
    renders.save("m1:0", long, "en", segments);
    await new Promise((r) => setTimeout(r, 5));
    expect(await renders.load("m1:0", long, "en"), "kept since").toEqual(segments);
    const failing = new PersistentRenders(
      { read: () => (reads++, Promise.reject(new Error("io"))), write: () => Promise.resolve() },
      "b",
    );
    await failing.load("m2:0", long, "en");
    await failing.load("m2:0", long, "en");
    expect(reads, "a failed read is not an answer: asked again").toBe(6);
  });

  it("names entries with plain characters only, as Rust requires", () => {
    const key = persistentKey("0193a3c4-1f2e-7000-8000-000000000001:12", long, "zh-CN", "k2j");
    expect(key).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(key.length).toBeLessThanOrEqual(160);
    expect(textHash("a")).not.toBe(textHash("b"));
    expect(textHash(long)).toBe(textHash("x".repeat(PERSIST_FROM_CHARS)));
  });
});

describe("preloadKept", () => {
  const long = "y".repeat(PERSIST_FROM_CHARS);
  const kept = [{ key: "b0", html: "<p>kept</p>" }];
  const message = (
    id: string,
    role: MessageView["role"],
    status: MessageView["status"],
    blocks: MessageView["blocks"],
  ) => messageView({ id, role, status, blocks });

  it("puts the kept renders of long finished replies where the transcript looks first", async () => {
    const read: string[] = [];
    const renders = new PersistentRenders(
      {
        read: async (key) => {
          read.push(key);
          return key.startsWith("kept_0-") || key.startsWith("error_2-")
            ? JSON.stringify(kept)
            : null;
        },
        write: async () => {},
      },
      "b",
    );
    const cache = new MarkdownCache(1 << 20);
    const messages = [
      message("question", "user", "done", [{ type: "text", text: long }]),
      message("kept", "assistant", "done", [{ type: "text", text: long }]),
      message("short", "assistant", "done", [{ type: "text", text: "short" }]),
      message("error", "assistant", "error", [
        { type: "thinking", thinking: long, signature: "s" },
        { type: "tool_use", id: "t", name: "n", input: {} },
        { type: "text", text: long },
      ]),
      message("missing", "assistant", "done", [{ type: "text", text: long }]),
      message("live", "assistant", "streaming", [{ type: "text", text: long }]),
    ];
    await preloadKept(messages, "en", renders, cache);
    expect(read.map((key) => key.split("-")[0])).toEqual(["missing_0", "error_2", "kept_0"]);
    expect(cache.get("kept:0", long, "en")).toEqual(kept);
    expect(cache.get("error:2", long, "en"), "the block's index among the message's").toEqual(kept);
    expect(cache.get("missing:0", long, "en")).toBeNull();

    await preloadKept(messages, "en", renders, cache);
    expect(read, "what the cache holds, or is known missing, is not read again").toHaveLength(3);
  });

  it("reads a screenful, the newest first", async () => {
    const read: string[] = [];
    const renders = new PersistentRenders(
      { read: async (key) => (read.push(key), null), write: async () => {} },
      "b",
    );
    const replies = Array.from({ length: 6 }, (_, i) =>
      message(`r${i}`, "assistant", "done", [{ type: "text", text: long }]),
    );
    await preloadKept(replies, "en", renders, new MarkdownCache(1 << 20));
    expect(read.map((key) => key.split("_")[0])).toEqual(["r5", "r4", "r3", "r2"]);
  });
});
