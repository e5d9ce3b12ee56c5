import { baseLocale, isLocale, type Locale } from "../paraglide/runtime";

export type { Locale };

/** Where the chosen language is remembered (set only when the user picks one in Settings). */
export const LOCALE_KEY = "parley.locale";

/**
 * The language of a first start, from the OS/browser languages in order of preference: any
 * Chinese (`zh`, `zh-CN`, `zh-Hans-SG`, even `zh-TW`, for which Simplified Chinese is closer
 * than English) gives `zh-CN`; an English one, or a language Parley does not speak, gives `en`.
 * Only the first language decides, so a user who prefers English with Chinese as a fallback
 * gets English.
 */
export function detectLocale(languages: readonly string[]): Locale {
  const first = languages[0]?.toLowerCase() ?? "";
  return first === "zh" || first.startsWith("zh-") ? "zh-CN" : baseLocale;
}

/** The remembered choice, or null when nothing valid was stored (the OS then decides). */
export function storedLocale(value: string | null): Locale | null {
  return value !== null && isLocale(value) ? value : null;
}
