/**
 * The history sidebar as pure data: date groups in local time, the flat list of headers and rows
 * the virtual list renders, its visible window, search snippets and multi-selection.
 */
import type { ConversationSummary, Folder } from "./bindings";
import { m as msg } from "../paraglide/messages";
import { dateTimeFormat } from "./format";

export type DateGroup = { key: string; label: string };

function startOfLocalDay(ms: number, daysBack = 0): number {
  const d = new Date(ms);
  // Calendar arithmetic in local time, so DST days (23 or 25 hours) count as one day.
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysBack).getTime();
}

/**
 * A `dateGroup` for one `now`: the day boundaries are computed once and each month's label is
 * formatted once, so grouping 20,000 conversations costs a few comparisons each rather than a
 * `Date` and an `Intl` call each.
 */
export function dateGrouper(now: number): (updatedAt: number) => DateGroup {
  const today = startOfLocalDay(now);
  const yesterday = startOfLocalDay(now, 1);
  const week = startOfLocalDay(now, 7);
  const TODAY: DateGroup = { key: "today", label: msg.history_today() };
  const YESTERDAY: DateGroup = { key: "yesterday", label: msg.time_yesterday() };
  const WEEK: DateGroup = { key: "week", label: msg.history_previous_7_days() };
  const monthFormat = dateTimeFormat({ month: "long", year: "numeric" });
  // The last month seen: lists come sorted by time, so almost every lookup hits it.
  let month: (DateGroup & { from: number; to: number }) | null = null;
  return (updatedAt) => {
    if (updatedAt >= today) return TODAY;
    if (updatedAt >= yesterday) return YESTERDAY;
    if (updatedAt >= week) return WEEK;
    if (month && updatedAt >= month.from && updatedAt < month.to) return month;
    const d = new Date(updatedAt);
    const [year, m] = [d.getFullYear(), d.getMonth()];
    month = {
      key: `month-${year}-${String(m + 1).padStart(2, "0")}`,
      // The label from the middle of the month: a formatter whose time zone differs from the
      // Date methods' (a test changing TZ after it was made) still names the same month.
      label: monthFormat.format(new Date(year, m, 15, 12)),
      // Local midnights, so the range is right across DST changes.
      from: new Date(year, m, 1).getTime(),
      to: new Date(year, m + 1, 1).getTime(),
    };
    return month;
  };
}

/** Today, Yesterday, Previous 7 days, then the month ("November 2026"), in local time. */
export function dateGroup(updatedAt: number, now: number): DateGroup {
  const { key, label } = dateGrouper(now)(updatedAt);
  return { key, label };
}

export type ListItem =
  | { kind: "header"; key: string; label: string }
  | {
      kind: "folder";
      key: string;
      folder: Folder;
      count: number;
      collapsed: boolean;
    }
  | { kind: "row"; key: string; conversation: ConversationSummary; folderId: string | null };

/** What ordering and grouping need of a summary, read once into plain fields. */
type Entry = {
  c: ConversationSummary;
  pinned: boolean;
  updatedAt: number;
  folderId: string | null;
};

/** Pinned first, then newest first. */
const byRecency = (a: Entry, b: Entry) =>
  Number(b.pinned) - Number(a.pinned) || b.updatedAt - a.updatedAt;

/**
 * Headers and rows as one flat list: the "Pinned" group (pinned conversations outside folders),
 * then each folder (by name; its conversations only appear inside it, pinned first, hidden when
 * collapsed), then date groups of the rest, newest first. A conversation whose folder is unknown
 * is listed by date.
 *
 * The summaries are usually reactive proxies, where every property read costs (and is tracked):
 * each one's fields are read once, and sorting compares the plain copies.
 */
export function buildItems(
  conversations: readonly ConversationSummary[],
  folders: readonly Folder[],
  collapsed: ReadonlySet<string>,
  now: number,
): ListItem[] {
  const known = new Set(folders.map((f) => f.id));
  const inFolder = new Map<string, Entry[]>();
  const pinned: Entry[] = [];
  const rest: Entry[] = [];
  for (const c of conversations) {
    const folderId = c.folderId !== null && known.has(c.folderId) ? c.folderId : null;
    const entry: Entry = { c, pinned: c.pinned, updatedAt: c.updatedAt, folderId };
    if (folderId !== null) {
      let list = inFolder.get(folderId);
      if (!list) inFolder.set(folderId, (list = []));
      list.push(entry);
    } else if (entry.pinned) pinned.push(entry);
    else rest.push(entry);
  }
  const items: ListItem[] = [];
  const row = (e: Entry): ListItem => ({
    kind: "row",
    key: `c:${e.c.id}`,
    conversation: e.c,
    folderId: e.folderId,
  });
  if (pinned.length > 0) {
    items.push({ kind: "header", key: "h:pinned", label: msg.history_pinned() });
    for (const e of pinned.sort(byRecency)) items.push(row(e));
  }
  const sortedFolders = [...folders].sort(
    (a, b) => a.name.localeCompare(b.name) || a.createdAt - b.createdAt,
  );
  for (const folder of sortedFolders) {
    const list = (inFolder.get(folder.id) ?? []).sort(byRecency);
    const isCollapsed = collapsed.has(folder.id);
    items.push({
      kind: "folder",
      key: `f:${folder.id}`,
      folder,
      count: list.length,
      collapsed: isCollapsed,
    });
    if (!isCollapsed) for (const e of list) items.push(row(e));
  }
  const groupOf = dateGrouper(now);
  let group: string | null = null;
  for (const e of rest.sort(byRecency)) {
    const g = groupOf(e.updatedAt);
    if (g.key !== group) {
      group = g.key;
      items.push({ kind: "header", key: `h:${g.key}`, label: g.label });
    }
    items.push(row(e));
  }
  return items;
}

/** The conversation ids in list order (rows only), for keyboard moves and range selection. */
export function rowIds(items: readonly ListItem[]): string[] {
  const out: string[] = [];
  for (const item of items) if (item.kind === "row") out.push(item.conversation.id);
  return out;
}

export type VirtualWindow = { start: number; end: number; offset: number; total: number };

/** Items `[start, end)` to render for a scroll position, with `overscan` extra on each side. */
export function virtualWindow(
  scrollTop: number,
  viewportHeight: number,
  itemHeight: number,
  count: number,
  overscan = 8,
): VirtualWindow {
  const total = count * itemHeight;
  const first = Math.floor(Math.max(0, scrollTop) / itemHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / itemHeight) + 1;
  const start = Math.max(0, Math.min(count, first) - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offset: start * itemHeight, total };
}

/** The scrollTop that brings item `index` fully into view (unchanged when it already is). */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  itemHeight: number,
): number {
  const top = index * itemHeight;
  const bottom = top + itemHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

export type Segment = { text: string; mark: boolean };

const OPEN = "\u0002";
const CLOSE = "\u0003";

/**
 * A search snippet as text segments: the match is between U+0002 and U+0003. Stray or unbalanced
 * markers never leak into the text; an unclosed match runs to the end.
 */
export function snippetSegments(snippet: string): Segment[] {
  const out: Segment[] = [];
  let mark = false;
  let text = "";
  const flush = () => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.mark === mark) last.text += text;
    else out.push({ text, mark });
    text = "";
  };
  for (const ch of snippet) {
    if (ch === OPEN || ch === CLOSE) {
      flush();
      mark = ch === OPEN;
    } else text += ch;
  }
  flush();
  return out;
}

/**
 * Search snippets are cut from the stored markdown: outside the highlighted matches, the
 * markdown's own punctuation (emphasis, code ticks and fences, heading hashes, quote and list
 * markers, link targets) is dropped so a hit reads as text. The matches are kept as they are,
 * so a search for a literal `**` still shows what it found.
 */
export function plainSegments(segments: Segment[]): Segment[] {
  return segments
    .map((segment) =>
      segment.mark
        ? segment
        : {
            mark: false,
            text: segment.text
              .replace(/\[([^\]\n]*)\]\([^)\n]*\)/g, "$1")
              .replace(/```[^\n]*/g, "")
              .replace(/(^|\n)[ \t]{0,3}(#{1,6}|>|[-*+])[ \t]+/g, "$1")
              .replace(/\*\*|__|~~|`/g, "")
              .replace(/\s*\n\s*/g, " "),
          },
    )
    .filter((segment) => segment.text !== "");
}

export type Selection = { ids: ReadonlySet<string>; anchor: string | null };

export const emptySelection: Selection = { ids: new Set(), anchor: null };

/**
 * A click on row `id` with modifiers: Ctrl/Cmd toggles it, Shift selects the range from the
 * anchor (in `order`), a plain click clears the selection (the row is then opened).
 */
export function clickSelection(
  selection: Selection,
  id: string,
  order: readonly string[],
  mods: { toggle: boolean; range: boolean },
  activeId: string | null = null,
): Selection {
  if (mods.range) {
    const anchor = selection.anchor ?? activeId ?? id;
    let a = order.indexOf(anchor);
    const b = order.indexOf(id);
    if (b < 0) return selection;
    if (a < 0) a = b;
    const [from, to] = a <= b ? [a, b] : [b, a];
    const ids = new Set(mods.toggle ? selection.ids : []);
    for (let i = from; i <= to; i++) ids.add(order[i]!);
    return { ids, anchor };
  }
  if (mods.toggle) {
    const ids = new Set(selection.ids);
    // Starting a multi-selection from the open conversation includes it.
    if (ids.size === 0 && activeId !== null && activeId !== id && order.includes(activeId)) {
      ids.add(activeId);
    }
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: id };
  }
  return emptySelection;
}

/** Drops ids that are no longer listed (after a delete or a refresh). */
export function pruneSelection(selection: Selection, present: ReadonlySet<string>): Selection {
  const ids = new Set([...selection.ids].filter((id) => present.has(id)));
  if (ids.size === selection.ids.size) return selection;
  return {
    ids,
    anchor: selection.anchor && present.has(selection.anchor) ? selection.anchor : null,
  };
}
