const numberFormat = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Made once: `toLocaleDateString` with options builds a formatter per call, which made dates the
// largest cost of scrolling the history sidebar.
const WEEKDAY = new Intl.DateTimeFormat("en-US", { weekday: "short" });
const MONTH_DAY = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric" });
const MONTH_DAY_YEAR = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  year: "numeric",
});

/** "just now", "5 min ago", "3 h ago", "Yesterday", "Mon", "Mar 4", "Mar 4, 2023". */
export function relativeTime(ms: number, now: number = Date.now()): string {
  const diff = now - ms;
  if (diff < MINUTE) return "just now";
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)} min ago`;
  const then = new Date(ms);
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (ms >= startOfToday) return `${Math.floor(diff / HOUR)} h ago`;
  if (ms >= startOfToday - DAY) return "Yesterday";
  if (ms >= startOfToday - 6 * DAY) return WEEKDAY.format(then);
  if (then.getFullYear() === today.getFullYear()) {
    return MONTH_DAY.format(then);
  }
  return MONTH_DAY_YEAR.format(then);
}

export function formatSeconds(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 1000))} s`;
}
