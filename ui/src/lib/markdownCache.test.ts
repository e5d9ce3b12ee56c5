import { describe, expect, it } from "vitest";
import { CACHE_FROM_CHARS, MarkdownCache } from "./markdownCache";

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
