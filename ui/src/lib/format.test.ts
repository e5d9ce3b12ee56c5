import { describe, expect, it } from "vitest";
import { imageUrl, messageText, prettyJson } from "./blocks";
import { formatCount, relativeTime } from "./format";

describe("format", () => {
  const now = new Date(2025, 5, 15, 15, 0).getTime();
  it("relative times", () => {
    expect(relativeTime(now - 10_000, now)).toBe("just now");
    expect(relativeTime(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(relativeTime(new Date(2025, 5, 14, 9).getTime(), now)).toBe("Yesterday");
    expect(relativeTime(new Date(2025, 5, 11, 9).getTime(), now)).toBe("Wed");
    expect(relativeTime(new Date(2025, 0, 2).getTime(), now)).toBe("Jan 2");
    expect(relativeTime(new Date(2023, 0, 2).getTime(), now)).toBe("Jan 2, 2023");
  });
  it("token counts", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
  });
});

describe("blocks", () => {
  it("accepts only safe image sources", () => {
    expect(imageUrl({ type: "base64", media_type: "image/png", data: "iVBO" })).toBe(
      "data:image/png;base64,iVBO",
    );
    expect(imageUrl({ type: "base64", media_type: "text/html", data: "PGI+" })).toBeNull();
    expect(imageUrl({ type: "base64", media_type: "image/png", data: '"><script>' })).toBeNull();
    expect(imageUrl({ type: "url", url: "https://x.test/a.png" })).toBe("https://x.test/a.png");
    expect(imageUrl({ type: "url", url: "javascript:alert(1)" })).toBeNull();
  });
  it("message text joins text blocks only", () => {
    expect(
      messageText({
        blocks: [
          { type: "thinking", thinking: "t", signature: "" },
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      }),
    ).toBe("a\n\nb");
  });
  it("pretty JSON falls back to the raw partial string", () => {
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"a":')).toBe('{"a":');
  });
});
