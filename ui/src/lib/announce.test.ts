import { afterEach, describe, expect, it } from "vitest";
import { overwriteGetLocale } from "../paraglide/runtime";
import { plainText, replyAnnouncement, resultsAnnouncement, wordCount } from "./announce";

afterEach(() => overwriteGetLocale(() => "en"));

describe("replyAnnouncement", () => {
  it("reads a short reply out whole, without markdown noise", () => {
    expect(replyAnnouncement("**Hello** _there_, see [the docs](https://x.y).")).toBe(
      "Hello there, see the docs.",
    );
  });

  it("says how many words a long reply has instead of reading it", () => {
    const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join(" ");
    expect(replyAnnouncement(long)).toBe("Reply finished, 120 words");
  });

  it("uses English plural forms and groups digits in the count", () => {
    expect(replyAnnouncement("x".repeat(301)), "one long word").toBe("Reply finished, 1 word");
    const long = Array.from({ length: 1234 }, () => "w").join(" ");
    expect(replyAnnouncement(long)).toBe("Reply finished, 1,234 words");
  });

  it("speaks Chinese when the UI does", () => {
    overwriteGetLocale(() => "zh-CN");
    expect(replyAnnouncement("")).toBe("回复完成");
    expect(replyAnnouncement("字".repeat(301))).toBe("回复完成，共 301 字");
  });

  it("still says something for a reply without text (tool calls only)", () => {
    expect(replyAnnouncement("")).toBe("Reply finished");
  });

  it("drops code fences and list markers", () => {
    expect(plainText("- one\n- two\n```js\nx()\n```")).toBe("one two x()");
  });
});

describe("wordCount", () => {
  it("counts CJK characters one each, like words", () => {
    expect(wordCount("你好 world")).toBe(3);
  });
  it("ignores stray punctuation", () => {
    expect(wordCount("a - b")).toBe(2);
  });
});

describe("resultsAnnouncement", () => {
  it("says no results, one result, or many", () => {
    expect(resultsAnnouncement(0, false)).toBe("No results");
    expect(resultsAnnouncement(1, false)).toBe("1 result");
    expect(resultsAnnouncement(50, true)).toBe("50 or more results");
    overwriteGetLocale(() => "zh-CN");
    expect(resultsAnnouncement(0, false)).toBe("没有结果");
    expect(resultsAnnouncement(1, false)).toBe("1 个结果");
  });
});
