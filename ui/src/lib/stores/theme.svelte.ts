export type ThemePreference = "light" | "dark" | "system";
export type Theme = "light" | "dark";

const STORAGE_KEY = "parley.theme";

function readPreference(): ThemePreference {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === "light" || stored === "dark") return stored;
  } catch {
    // Storage can be unavailable; fall back to the system theme.
  }
  return "system";
}

/** Light/dark theme: follows the system until the user picks one, which is kept in localStorage. */
class ThemeStore {
  preference = $state<ThemePreference>("system");
  #systemDark = $state(false);
  current: Theme = $derived(
    this.preference === "system" ? (this.#systemDark ? "dark" : "light") : this.preference,
  );

  init(): void {
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    this.#systemDark = media.matches;
    media.addEventListener("change", (e) => (this.#systemDark = e.matches));
    this.preference = readPreference();
    $effect.root(() => {
      $effect(() => {
        document.documentElement.dataset.theme = this.current;
        document.documentElement.style.colorScheme = this.current;
      });
    });
  }

  toggle(): void {
    this.preference = this.current === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(STORAGE_KEY, this.preference);
    } catch {
      // Not persisted; the choice still applies to this session.
    }
  }
}

export const theme = new ThemeStore();
