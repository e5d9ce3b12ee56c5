import { describe, expect, it } from "vitest";
import { detectLocale, storedLocale } from "./locale";
import { formatCount, formatDate, relativeTime } from "./format";
import { formatMicroUsd } from "./money";

describe("locale choice", () => {
  it("follows the first OS language: any Chinese gives zh-CN, anything else English", () => {
    expect(detectLocale(["zh-CN", "en-US"])).toBe("zh-CN");
    expect(detectLocale(["zh"])).toBe("zh-CN");
    expect(detectLocale(["zh-Hans-SG"])).toBe("zh-CN");
    expect(detectLocale(["ZH-tw"])).toBe("zh-CN");
    expect(detectLocale(["en-GB", "zh-CN"])).toBe("en");
    expect(detectLocale(["de-DE"])).toBe("en");
    expect(detectLocale(["zhx"]), "a language that only starts with the letters zh").toBe("en");
    expect(detectLocale([])).toBe("en");
  });

  it("keeps only a stored locale Parley speaks", () => {
    expect(storedLocale("zh-CN")).toBe("zh-CN");
    expect(storedLocale("en")).toBe("en");
    expect(storedLocale("fr"), "an unknown value falls back to the OS choice").toBeNull();
    expect(storedLocale(null)).toBeNull();
  });
});

describe("formatting per locale", () => {
  const day = new Date(2026, 2, 4, 15, 5).getTime();
  it("formats a date in the chosen locale", () => {
    expect(formatDate(day, "en")).toBe("Mar 4, 2026");
    expect(formatDate(day, "zh-CN")).toBe("2026年3月4日");
  });

  it("formats numbers and money in the chosen locale", () => {
    expect(formatCount(1234567, "en")).toBe("1,234,567");
    expect(formatCount(1234567, "zh-CN")).toBe("1,234,567");
    expect(formatMicroUsd(1_234_567_890, "en")).toBe("$1,234.57");
    expect(formatMicroUsd(1_234_567_890, "zh-CN")).toBe("US$1,234.57");
    expect(formatMicroUsd(42, "zh-CN"), "a tiny amount keeps every digit").toBe("US$0.000042");
  });

  it("writes relative times with the locale's words and plural forms", () => {
    const now = new Date(2026, 5, 15, 15, 0).getTime();
    expect(relativeTime(now - 60_000, now, "en")).toBe("1 min ago");
    expect(relativeTime(now - 5 * 60_000, now, "zh-CN")).toBe("5 分钟前");
    expect(relativeTime(new Date(2026, 5, 14, 9).getTime(), now, "zh-CN")).toBe("昨天");
    expect(relativeTime(new Date(2026, 0, 2).getTime(), now, "zh-CN")).toBe("1月2日");
  });
});
