import { afterEach, describe, expect, test } from "vitest";
import { overwriteGetLocale } from "../paraglide/runtime";
import { exportSummary, importSummary, progressLabel } from "./transfer";

afterEach(() => overwriteGetLocale(() => "en"));

describe("export and import texts", () => {
  test("an export names the count and where it went", () => {
    expect(
      exportSummary({ path: "/home/ada/all.json", conversations: 12, messages: 80, images: 3 }),
    ).toEqual({ title: "Exported 12 conversations", detail: "to /home/ada/all.json" });
    expect(
      exportSummary({ path: "/tmp/Trip.md", conversations: 1, messages: 4, images: 0 }).title,
    ).toBe("Exported 1 conversation");
    expect(
      exportSummary({ path: "/tmp/all.json", conversations: 20_000, messages: 0, images: 0 }).title,
      "large counts are grouped for the UI locale",
    ).toBe("Exported 20,000 conversations");
  });

  test("an import says what was added and what was already there", () => {
    const report = (imported: number, skipped: number, presets = 0) => ({
      imported,
      skipped,
      messages: 0,
      images: 0,
      presets,
    });
    expect(importSummary(report(3, 2))).toBe("Imported 3, skipped 2 already present");
    expect(importSummary(report(1, 0))).toBe("Imported 1 conversation");
    expect(importSummary(report(0, 2))).toBe("Nothing new: 2 conversations already present");
    expect(importSummary(report(0, 0))).toBe("The file holds no conversations");
    expect(importSummary(report(2, 0, 1))).toBe("Imported 2 conversations and 1 preset");
    expect(importSummary(report(1, 1, 2))).toBe(
      "Imported 1 and 2 presets, skipped 1 already present",
    );
    expect(importSummary(report(0, 3, 2))).toBe(
      "Imported 2 presets; 3 conversations already present",
    );
  });

  test("progress counts conversations for exports and percent of the file for imports", () => {
    expect(progressLabel("export", { done: 3, total: 12 })).toBe("Exporting… 3 of 12");
    expect(progressLabel("import", { done: 512, total: 2048 })).toBe("Importing… 25%");
    expect(progressLabel("import", { done: 10, total: 0 })).toBe("Importing… 0%");
  });

  test("the texts follow the UI language, with Chinese measure words instead of plurals", () => {
    overwriteGetLocale(() => "zh-CN");
    expect(
      exportSummary({ path: "/tmp/a.json", conversations: 1, messages: 1, images: 0 }),
    ).toEqual({ title: "已导出 1 个对话", detail: "保存到 /tmp/a.json" });
    expect(importSummary({ imported: 2, skipped: 0, messages: 0, images: 0, presets: 1 })).toBe(
      "已导入 2 个对话和 1 个预设",
    );
    expect(progressLabel("export", { done: 3, total: 12 })).toBe("正在导出… 3/12");
  });
});
