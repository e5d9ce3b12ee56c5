/**
 * Every keyboard shortcut of the app, as the shortcuts sheet lists them. `keys` are written for
 * Linux and Windows; on macOS "Ctrl" reads "⌘" (`keyLabel`). Keep this list in step with the
 * keydown handlers (App.svelte, Composer, HistoryList, RowMenu, Gallery, Message).
 */
export type Shortcut = { keys: string[]; action: string };
export type ShortcutGroup = { title: string; items: Shortcut[] };

export const SHORTCUTS: ShortcutGroup[] = [
  {
    title: "Anywhere",
    items: [
      { keys: ["Ctrl+N"], action: "New conversation" },
      { keys: ["Ctrl+K"], action: "Search all conversations" },
      { keys: ["Ctrl+F"], action: "Search (outside the transcript)" },
      { keys: ["Ctrl+,"], action: "Open settings" },
      { keys: ["Ctrl+Shift+P"], action: "Open the request parameters" },
      { keys: ["Ctrl+/", "?"], action: "Show these shortcuts" },
      { keys: ["Ctrl+Z"], action: "Undo a delete (outside text fields)" },
      { keys: ["Ctrl+=", "Ctrl+-", "Ctrl+0"], action: "Zoom in, zoom out, reset zoom" },
      { keys: ["Esc"], action: "Close what is open (the innermost first)" },
    ],
  },
  {
    title: "Composer",
    items: [
      { keys: ["Enter"], action: "Send" },
      { keys: ["Shift+Enter"], action: "New line" },
      { keys: ["Esc"], action: "Stop the reply" },
      { keys: ["Ctrl+Enter"], action: "Save an edited message and resend" },
    ],
  },
  {
    title: "History list",
    items: [
      { keys: ["↑", "↓", "Home", "End"], action: "Move between conversations" },
      { keys: ["Enter"], action: "Open the conversation" },
      { keys: ["F2"], action: "Rename" },
      { keys: ["Delete"], action: "Delete (undo with Ctrl+Z)" },
      { keys: ["Shift+F10", "Menu"], action: "Open the conversation's menu" },
      { keys: ["Ctrl+Click", "Shift+Click"], action: "Select several" },
      { keys: ["↓"], action: "From the search box: into the results" },
    ],
  },
  {
    title: "Images gallery",
    items: [
      { keys: ["←", "→", "↑", "↓", "Home", "End"], action: "Move between images" },
      { keys: ["Enter"], action: "Open the image's conversation" },
      { keys: ["Esc"], action: "Close the gallery" },
    ],
  },
];

/** A key as this platform writes it. */
export function keyLabel(key: string, mac: boolean): string {
  return mac ? key.replace(/^Ctrl\+/, "⌘").replace(/\+Ctrl\+/, "+⌘") : key;
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
