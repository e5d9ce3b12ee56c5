// Answers a native GTK file dialog of the running app under Xvfb, the way a user would: find the
// dialog window by its title, focus it, type the path, press Enter. xdotool sends real X key
// events, so this exercises the same dialog a user sees (no test-only code path in the app).

import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

function xdotool(...args) {
  return execFileSync("xdotool", args, { encoding: "utf8", timeout: 20000 }).trim();
}

/** Waits for a window titled exactly `title` and returns its X id. */
export async function waitForDialog(title, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const ids = xdotool("search", "--onlyvisible", "--name", `^${title}$`);
      const id = ids.split("\n").filter(Boolean).at(-1);
      if (id) return id;
    } catch {
      // xdotool exits 1 while no window matches
    }
    await sleep(200);
  }
  throw new Error(`no dialog titled "${title}" appeared within ${timeoutMs} ms`);
}

/**
 * Answers the file dialog titled `title` with `path`. Open dialogs get the path through the
 * location bar (Ctrl+L); save dialogs have the name field focused, whose text is replaced.
 */
export async function answerFileDialog(title, path, { save = false } = {}) {
  const id = await waitForDialog(title);
  xdotool("windowfocus", "--sync", id);
  await sleep(300);
  xdotool("key", "--clearmodifiers", save ? "ctrl+a" : "ctrl+l");
  await sleep(200);
  if (!save) xdotool("key", "--clearmodifiers", "ctrl+a");
  xdotool("type", "--delay", "5", path);
  await sleep(300);
  xdotool("key", "--clearmodifiers", "Return");
  return id;
}

/** Whether a window titled `title` is still shown. */
export function dialogOpen(title) {
  try {
    return xdotool("search", "--onlyvisible", "--name", `^${title}$`) !== "";
  } catch {
    return false;
  }
}
