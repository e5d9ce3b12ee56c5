import { overwriteGetLocale, type Locale } from "../../paraglide/runtime";
import { detectLocale, LOCALE_KEY, storedLocale } from "../locale";

/**
 * The UI language. Paraglide's message functions and `format.ts` ask `getLocale()`, which reads
 * this store's rune: a template that shows a message therefore re-renders when the language
 * changes, with no reload (a reload would lose a draft, the open dialog and the scroll position).
 */
class LocaleStore {
  current = $state<Locale>("en");

  /** Before the first paint: the remembered choice, else the OS languages. */
  init(): void {
    let remembered: Locale | null = null;
    try {
      remembered = storedLocale(localStorage.getItem(LOCALE_KEY));
    } catch {
      // No storage: follow the OS each start.
    }
    this.current = remembered ?? detectLocale(navigator.languages ?? [navigator.language]);
    overwriteGetLocale(() => this.current);
    this.#apply();
  }

  /** The user's choice in Settings: applied at once and remembered. */
  set(locale: Locale): void {
    this.current = locale;
    try {
      localStorage.setItem(LOCALE_KEY, locale);
    } catch {
      // Applied for this session only.
    }
    this.#apply();
  }

  #apply(): void {
    document.documentElement.lang = this.current;
  }
}

export const locale = new LocaleStore();
