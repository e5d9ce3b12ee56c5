import type { MessageView } from "./bindings";
import { isText } from "./blocks";

/** Messages rendered when a conversation opens: more than a tall window shows. */
export const INITIAL = 8;

/** The transcript's size in CSS pixels, as last laid out. */
export type ViewSize = { width: number; height: number };

/** About the height of a line of a reply, in pixels (16 px text, 1.5 line height). */
const LINE_PX = 24;
/** About the width of a character of a reply's text, in pixels. */
const CHAR_PX = 8;
/** A message's own lines besides its text: its margins and the row of status and actions. */
const MESSAGE_LINES = 4;
/** What a block other than text (an image, a tool call, a thought) takes, in lines. */
const BLOCK_LINES = 6;

/**
 * About how many lines `message` takes at `charsPerLine` characters a line, counted up to
 * `enough` (a 100,000-token reply is not walked to its end to learn that it fills the view).
 */
function lines(message: MessageView, charsPerLine: number, enough: number): number {
  let count = MESSAGE_LINES;
  for (const block of message.blocks) {
    if (!isText(block)) {
      count += BLOCK_LINES;
      continue;
    }
    const text = block.text;
    for (let start = 0; start <= text.length && count < enough;) {
      const newline = text.indexOf("\n", start);
      const end = newline === -1 ? text.length : newline;
      // A blank line is a paragraph's margin, about half a line.
      count += end === start ? 0.5 : Math.ceil((end - start) / charsPerLine);
      if (newline === -1) break;
      start = newline + 1;
    }
  }
  return count;
}

/**
 * How many of the newest `messages` an open renders before its first paint: those that fill a
 * view of `view`'s size by the length of their lines, at least two (a question and its answer),
 * at most `INITIAL`; all `INITIAL` while the view has no size yet. A guess: the transcript
 * checks the laid-out height and adds the rest at once when it falls short. The others come one
 * a frame after that paint, so an open costs what it shows, not the screenful above it.
 */
export function firstShown(messages: readonly MessageView[], view: ViewSize): number {
  if (view.width <= 0 || view.height <= 0) return INITIAL;
  const charsPerLine = Math.max(20, Math.floor(view.width / CHAR_PX));
  const viewLines = view.height / LINE_PX;
  let filled = 0;
  let n = 0;
  for (const message of messages.slice(-INITIAL).reverse()) {
    filled += lines(message, charsPerLine, viewLines - filled);
    n++;
    if (n >= 2 && filled >= viewLines) return n;
  }
  return INITIAL;
}
