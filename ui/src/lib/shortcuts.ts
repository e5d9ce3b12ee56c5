/**
 * Every keyboard shortcut of the app, as the shortcuts sheet lists them. `keys` are written for
 * Linux and Windows; on macOS "Ctrl" reads "⌘" (`keyLabel`). Keep this list in step with the
 * keydown handlers (App.svelte, Composer, HistoryList, RowMenu, Gallery, Message).
 */
import { m } from "../paraglide/messages";

/** Texts are message functions, so the sheet reads them in the UI language when it renders. */
export type Shortcut = { keys: string[]; action: () => string };
/** `id` names the group in the DOM (ids, keys); `title` is what the sheet shows. */
export type ShortcutGroup = { id: string; title: () => string; items: Shortcut[] };

export const SHORTCUTS: ShortcutGroup[] = [
  {
    id: "anywhere",
    title: m.app_shortcuts_anywhere,
    items: [
      { keys: ["Ctrl+N"], action: m.app_shortcut_new },
      { keys: ["Ctrl+K"], action: m.app_shortcut_search },
      { keys: ["Ctrl+F"], action: m.app_shortcut_search_outside },
      { keys: ["Ctrl+,"], action: m.app_shortcut_settings },
      { keys: ["Ctrl+Shift+P"], action: m.app_shortcut_params },
      { keys: ["Ctrl+/", "?"], action: m.app_shortcut_sheet },
      { keys: ["Ctrl+Z"], action: m.app_shortcut_undo },
      { keys: ["Ctrl+=", "Ctrl+-", "Ctrl+0"], action: m.app_shortcut_zoom },
      { keys: ["Esc"], action: m.app_shortcut_close },
    ],
  },
  {
    id: "composer",
    title: m.app_shortcuts_composer,
    items: [
      { keys: ["Enter"], action: m.app_shortcut_send },
      { keys: ["Shift+Enter"], action: m.app_shortcut_new_line },
      { keys: ["Esc"], action: m.app_shortcut_stop },
      { keys: ["Ctrl+Enter"], action: m.app_shortcut_save_edit },
    ],
  },
  {
    id: "history",
    title: m.app_shortcuts_history,
    items: [
      { keys: ["↑", "↓", "Home", "End"], action: m.app_shortcut_rows },
      { keys: ["Enter"], action: m.app_shortcut_open },
      { keys: ["F2"], action: m.app_shortcut_rename },
      { keys: ["Delete"], action: m.app_shortcut_delete },
      { keys: ["Shift+F10", "Menu"], action: m.app_shortcut_row_menu },
      { keys: ["Ctrl+Click", "Shift+Click"], action: m.app_shortcut_select },
      { keys: ["↓"], action: m.app_shortcut_into_results },
    ],
  },
  {
    id: "gallery",
    title: m.app_shortcuts_gallery,
    items: [
      { keys: ["←", "→", "↑", "↓", "Home", "End"], action: m.app_shortcut_images },
      { keys: ["Enter"], action: m.app_shortcut_open_image },
      { keys: ["Esc"], action: m.app_shortcut_close_gallery },
    ],
  },
];

/** A key as this platform writes it, with "Click" in the UI language (key names stay as printed). */
export function keyLabel(key: string, mac: boolean): string {
  const named = key.replace(/\bClick$/, m.app_key_click());
  return mac ? named.replace(/^Ctrl\+/, "⌘").replace(/\+Ctrl\+/, "+⌘") : named;
}

/** True when the keyboard event's target takes text (so `?` types a question mark there). */
export function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  return !["button", "checkbox", "radio", "range", "submit", "reset", "file", "color"].includes(
    target.type,
  );
}
