import { getLocale, type Locale } from "../paraglide/runtime";
import { m } from "../paraglide/messages";

/**
 * Dates, times and numbers in the UI language, through `Intl`. Every function takes the locale
 * (default: the UI's, `getLocale()`, which is a rune, so a template that formats re-renders when
 * the language changes). English is formatted as en-US, as before there was a choice.
 */

/** The `Intl` tag of a UI locale. */
export function intlTag(locale: Locale = getLocale()): string {
  return locale === "en" ? "en-US" : locale;
}

// Formatters are made once per locale and options: `toLocaleDateString` with options builds a
// formatter per call, which made dates the largest cost of scrolling the history sidebar.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

export function dateTimeFormat(
  options: Intl.DateTimeFormatOptions,
  locale: Locale = getLocale(),
): Intl.DateTimeFormat {
  const key = `${locale} ${JSON.stringify(options)}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(intlTag(locale), options);
    dateFormats.set(key, format);
  }
  return format;
}

export function numberFormat(
  options: Intl.NumberFormatOptions = {},
  locale: Locale = getLocale(),
): Intl.NumberFormat {
  const key = `${locale} ${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(intlTag(locale), options);
    numberFormats.set(key, format);
  }
  return format;
}

/** A count (tokens, replies) with the locale's grouping: "1,234,567". */
export function formatCount(n: number, locale: Locale = getLocale()): string {
  return numberFormat({}, locale).format(n);
}

/** "Mar 4, 2026" (en), "2026年3月4日" (zh-CN). */
export function formatDate(ms: number, locale: Locale = getLocale()): string {
  return dateTimeFormat({ month: "short", day: "numeric", year: "numeric" }, locale).format(ms);
}

/** A date with its time, for tooltips: "Mar 4, 2026, 3:05 PM". */
export function formatDateTime(ms: number, locale: Locale = getLocale()): string {
  return dateTimeFormat(
    { month: "short", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit" },
    locale,
  ).format(ms);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min ago", "3 h ago", "Yesterday", "Mon", "Mar 4", "Mar 4, 2023". */
export function relativeTime(
  ms: number,
  now: number = Date.now(),
  locale: Locale = getLocale(),
): string {
  const diff = now - ms;
  if (diff < MINUTE) return m.time_just_now({}, { locale });
  if (diff < HOUR) return m.time_minutes_ago({ count: Math.floor(diff / MINUTE) }, { locale });
  const then = new Date(ms);
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (ms >= startOfToday) return m.time_hours_ago({ count: Math.floor(diff / HOUR) }, { locale });
  if (ms >= startOfToday - DAY) return m.time_yesterday({}, { locale });
  if (ms >= startOfToday - 6 * DAY)
    return dateTimeFormat({ weekday: "short" }, locale).format(then);
  if (then.getFullYear() === today.getFullYear()) {
    return dateTimeFormat({ month: "short", day: "numeric" }, locale).format(then);
  }
  return formatDate(ms, locale);
}

export function formatSeconds(ms: number, locale: Locale = getLocale()): string {
  return m.time_seconds({ count: Math.max(0, Math.ceil(ms / 1000)) }, { locale });
}
