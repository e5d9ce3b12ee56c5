// Local dates in a fixed zone with DST (Europe/Berlin: 2026-03-29 is 23 hours, 2026-10-25 is 25).
(globalThis as unknown as { process: { env: Record<string, string> } }).process.env.TZ =
  "Europe/Berlin";

import { describe, expect, it } from "vitest";
import {
  buildItems,
  clickSelection,
  dateGroup,
  dateGrouper,
  emptySelection,
  pruneSelection,
  rowIds,
  scrollToReveal,
  plainSegments,
  snippetSegments,
  virtualWindow,
} from "./history";
import type { ConversationSummary, Folder } from "./bindings";

const at = (y: number, m: number, d: number, h = 12, min = 0) =>
  new Date(y, m - 1, d, h, min).getTime();

function conv(id: string, updatedAt: number, extra: Partial<ConversationSummary> = {}) {
  return {
    id,
    title: id,
    model: "m",
    updatedAt,
    createdAt: updatedAt,
    pinned: false,
    folderId: null,
    titleSource: "auto",
    thumbnailSha256: null,
    ...extra,
  } satisfies ConversationSummary;
}

describe("dateGroup", () => {
  it("runs in the fixed time zone", () => {
    expect(new Date(Date.UTC(2026, 0, 1, 0, 0)).getHours()).toBe(1);
  });

  it("today, yesterday, previous 7 days, then months", () => {
    const now = at(2026, 11, 18, 9);
    expect(dateGroup(at(2026, 11, 18, 0, 0), now).key).toBe("today");
    expect(dateGroup(at(2026, 11, 17, 23, 59), now).label).toBe("Yesterday");
    expect(dateGroup(at(2026, 11, 17, 0, 0), now).key).toBe("yesterday");
    expect(dateGroup(at(2026, 11, 16, 23, 59), now).label).toBe("Previous 7 days");
    expect(dateGroup(at(2026, 11, 11, 0, 0), now).key).toBe("week");
    expect(dateGroup(at(2026, 11, 10, 23, 59), now)).toEqual({
      key: "month-2026-11",
      label: "November 2026",
    });
    expect(dateGroup(at(2026, 10, 31, 23), now).label).toBe("October 2026");
    expect(dateGroup(at(2025, 12, 31, 23), now).label).toBe("December 2025");
  });

  it("across midnight: a minute changes the group", () => {
    const before = at(2026, 11, 18, 23, 59);
    const after = at(2026, 11, 19, 0, 1);
    const item = at(2026, 11, 18, 23, 30);
    expect(dateGroup(item, before).key).toBe("today");
    expect(dateGroup(item, after).key).toBe("yesterday");
  });

  it("midnight is local, not UTC", () => {
    // 00:30 in Berlin is still the previous day in UTC.
    const now = at(2026, 11, 18, 0, 30);
    expect(dateGroup(at(2026, 11, 18, 0, 10), now).key).toBe("today");
    expect(dateGroup(at(2026, 11, 17, 23, 50), now).key).toBe("yesterday");
  });

  it("one grouper gives what dateGroup gives, whatever order it is asked in", () => {
    // Month edges (local midnight, DST months included) in and out of order, so the grouper's
    // remembered month is hit, left and come back to.
    const now = at(2026, 11, 18, 9);
    const times = [
      at(2026, 11, 10, 23, 59),
      at(2026, 11, 1, 0, 0),
      at(2026, 10, 31, 23, 59),
      at(2026, 10, 25, 2, 30),
      at(2026, 10, 1, 0, 0),
      at(2026, 11, 1, 0, 0) - 1,
      at(2026, 3, 29, 3, 0),
      at(2026, 4, 1, 0, 0),
      at(2026, 3, 31, 23, 59),
      at(2026, 11, 5),
      at(2025, 12, 31, 23, 59),
      at(2026, 1, 1, 0, 0),
      at(2026, 11, 18, 8),
      at(2026, 11, 17, 8),
      at(2026, 11, 12, 8),
    ];
    const group = dateGrouper(now);
    for (const t of times) {
      const d = new Date(t);
      const { key, label } = group(t);
      expect({ key, label }).toEqual(dateGroup(t, now));
      if (key.startsWith("month-")) {
        expect(key).toBe(`month-${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`);
      }
    }
    expect(group(at(2026, 10, 31, 23, 59)).label).toBe("October 2026");
    expect(group(at(2026, 11, 1, 0, 0)).label).toBe("November 2026");
    expect(group(at(2026, 4, 1, 0, 0)).label).toBe("April 2026");
    expect(group(at(2026, 3, 31, 23, 59)).label).toBe("March 2026");
  });

  it("across a month boundary and the new year", () => {
    const now = at(2026, 12, 1, 8);
    expect(dateGroup(at(2026, 11, 30, 20), now).key).toBe("yesterday");
    expect(dateGroup(at(2026, 11, 24, 1), now).key).toBe("week");
    expect(dateGroup(at(2026, 11, 23, 23), now).label).toBe("November 2026");
    const newYear = at(2027, 1, 1, 0, 5);
    expect(dateGroup(at(2026, 12, 31, 23, 55), newYear).key).toBe("yesterday");
    expect(dateGroup(at(2026, 12, 20), newYear).label).toBe("December 2026");
  });

  it("counts calendar days over DST changes", () => {
    // The day after the spring change has 23 hours; yesterday still starts at local midnight.
    const spring = at(2026, 3, 30, 0, 30);
    expect(dateGroup(at(2026, 3, 29, 0, 10), spring).key).toBe("yesterday");
    expect(dateGroup(at(2026, 3, 28, 23, 50), spring).key).toBe("week");
    const autumn = at(2026, 10, 26, 0, 30);
    expect(dateGroup(at(2026, 10, 25, 0, 10), autumn).key).toBe("yesterday");
    expect(dateGroup(at(2026, 10, 24, 23, 50), autumn).key).toBe("week");
  });
});

describe("buildItems", () => {
  const now = at(2026, 11, 18, 12);
  const folders: Folder[] = [
    { id: "f-work", name: "Work", createdAt: 1 },
    { id: "f-alpha", name: "Alpha", createdAt: 2 },
  ];
  const list = [
    conv("today", at(2026, 11, 18, 10)),
    conv("pinned-old", at(2025, 1, 1), { pinned: true }),
    conv("yesterday", at(2026, 11, 17, 10)),
    conv("in-work", at(2026, 11, 18, 11), { folderId: "f-work" }),
    conv("pinned-in-work", at(2026, 1, 1), { folderId: "f-work", pinned: true }),
    conv("orphan", at(2026, 11, 12), { folderId: "f-gone" }),
    conv("oct", at(2026, 10, 3)),
  ];

  const shape = (items: ReturnType<typeof buildItems>) =>
    items.map((i) =>
      i.kind === "row"
        ? i.conversation.id
        : i.kind === "folder"
          ? `[${i.folder.name}]`
          : `# ${i.label}`,
    );

  it("pinned first, folders by name, then date groups newest first", () => {
    expect(shape(buildItems(list, folders, new Set(), now))).toEqual([
      "# Pinned",
      "pinned-old",
      "[Alpha]",
      "[Work]",
      "pinned-in-work",
      "in-work",
      "# Today",
      "today",
      "# Yesterday",
      "yesterday",
      "# Previous 7 days",
      "orphan",
      "# October 2026",
      "oct",
    ]);
  });

  it("a collapsed folder hides its rows but keeps its count", () => {
    const items = buildItems(list, folders, new Set(["f-work"]), now);
    expect(shape(items).slice(2, 5)).toEqual(["[Alpha]", "[Work]", "# Today"]);
    const work = items.find((i) => i.kind === "folder" && i.folder.id === "f-work");
    expect(work).toMatchObject({ count: 2, collapsed: true });
  });

  it("no pinned header without pinned conversations; rowIds lists rows only", () => {
    const items = buildItems([conv("a", now - 1000), conv("b", now - 2000)], [], new Set(), now);
    expect(shape(items)).toEqual(["# Today", "a", "b"]);
    expect(rowIds(items)).toEqual(["a", "b"]);
    expect(buildItems([], [], new Set(), now)).toEqual([]);
  });

  it("builds 20,000 rows, each once, in order", () => {
    const many = Array.from({ length: 20_000 }, (_, i) => conv(`c${i}`, now - i * 3_600_000));
    const items = buildItems(many, [], new Set(), now);
    expect(rowIds(items)).toEqual(many.map((c) => c.id));
  });
});

describe("virtualWindow", () => {
  it("renders the visible items plus overscan, clamped to the list", () => {
    expect(virtualWindow(0, 400, 40, 1000, 5)).toEqual({
      start: 0,
      end: 16,
      offset: 0,
      total: 40_000,
    });
    expect(virtualWindow(4000, 400, 40, 1000, 5)).toEqual({
      start: 95,
      end: 116,
      offset: 3800,
      total: 40_000,
    });
    const bottom = virtualWindow(40_000 - 400, 400, 40, 1000, 5);
    expect(bottom.end).toBe(1000);
    expect(virtualWindow(0, 400, 40, 3, 5)).toMatchObject({ start: 0, end: 3 });
    expect(virtualWindow(99_999, 400, 40, 10, 5)).toMatchObject({ end: 10 });
    expect(virtualWindow(-50, 0, 40, 0)).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });

  it("scrollToReveal moves only as far as needed", () => {
    expect(scrollToReveal(5, 0, 400, 40)).toBe(0);
    expect(scrollToReveal(10, 0, 400, 40)).toBe(40);
    expect(scrollToReveal(2, 200, 400, 40)).toBe(80);
  });
});

describe("snippetSegments", () => {
  it("marks the text between \\u0002 and \\u0003", () => {
    expect(snippetSegments("…the \u0002borrow\u0003 checker…")).toEqual([
      { text: "…the ", mark: false },
      { text: "borrow", mark: true },
      { text: " checker…", mark: false },
    ]);
  });

  it("several matches, unbalanced and stray markers, markup stays text", () => {
    expect(snippetSegments("\u0002a\u0003 b \u0002c")).toEqual([
      { text: "a", mark: true },
      { text: " b ", mark: false },
      { text: "c", mark: true },
    ]);
    expect(snippetSegments("x\u0003y")).toEqual([{ text: "xy", mark: false }]);
    expect(snippetSegments("<img src=x onerror=alert(1)>")).toEqual([
      { text: "<img src=x onerror=alert(1)>", mark: false },
    ]);
    expect(snippetSegments("")).toEqual([]);
    expect(snippetSegments("中文\u0002子串\u0003")).toEqual([
      { text: "中文", mark: false },
      { text: "子串", mark: true },
    ]);
  });
});

describe("selection", () => {
  const order = ["a", "b", "c", "d", "e"];
  const ids = (s: { ids: ReadonlySet<string> }) => [...s.ids].sort();

  it("Ctrl toggles, starting from the open conversation", () => {
    let s = clickSelection(emptySelection, "c", order, { toggle: true, range: false }, "a");
    expect(ids(s)).toEqual(["a", "c"]);
    s = clickSelection(s, "a", order, { toggle: true, range: false }, "a");
    expect(ids(s)).toEqual(["c"]);
    s = clickSelection(s, "c", order, { toggle: true, range: false }, "a");
    expect(ids(s)).toEqual([]);
  });

  it("Shift selects a range from the anchor, either direction", () => {
    let s = clickSelection(emptySelection, "b", order, { toggle: true, range: false });
    s = clickSelection(s, "d", order, { toggle: false, range: true });
    expect(ids(s)).toEqual(["b", "c", "d"]);
    s = clickSelection(s, "a", order, { toggle: false, range: true });
    expect(ids(s)).toEqual(["a", "b"]);
    const fromActive = clickSelection(
      emptySelection,
      "c",
      order,
      { toggle: false, range: true },
      "e",
    );
    expect(ids(fromActive)).toEqual(["c", "d", "e"]);
  });

  it("a plain click clears; pruning drops rows that left", () => {
    const s = clickSelection(emptySelection, "b", order, { toggle: true, range: false });
    expect(clickSelection(s, "c", order, { toggle: false, range: false })).toBe(emptySelection);
    const pruned = pruneSelection({ ids: new Set(["a", "b"]), anchor: "b" }, new Set(["a"]));
    expect(ids(pruned)).toEqual(["a"]);
    expect(pruned.anchor).toBeNull();
  });
});

describe("plainSegments", () => {
  it("reads a markdown snippet as text, keeping the matches as they are", () => {
    const raw = "## Title\n- use **bold** and `code`, see [docs](https://x.y)\u0002**\u0003 end";
    expect(plainSegments(snippetSegments(raw))).toEqual([
      { text: "Title use bold and code, see docs", mark: false },
      { text: "**", mark: true },
      { text: " end", mark: false },
    ]);
  });

  it("leaves HTML-looking text alone (it is shown as text, never parsed)", () => {
    expect(plainSegments([{ text: "<b>bold</b>", mark: false }])).toEqual([
      { text: "<b>bold</b>", mark: false },
    ]);
  });
});
