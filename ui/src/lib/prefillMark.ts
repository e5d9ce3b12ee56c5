/**
 * Marks the start of a reply that the user wrote ("Start Claude's reply with…") in the reply's
 * rendered markdown. The reply is rendered whole, as one text (its blocks begin with the
 * prefill), so markdown that spans the prefill and the continuation renders right; then the
 * prefill's visible text is found at the start of the rendered text and wrapped in `<mark>`
 * elements, one per text node it covers, so the nesting stays valid whatever the markup.
 */
import { renderMarkdown } from "./markdown";

export const PREFILL_TITLE = "You started the reply with this";
const ATTRIBUTE = "data-prefill";

/** The text a reader sees of `prefill` rendered as markdown ("**Answer:**" → "Answer:"). */
export function visiblePrefill(prefill: string): string {
  const template = document.createElement("template");
  template.innerHTML = renderMarkdown(prefill, { highlight: false });
  return (template.content.textContent ?? "").replace(/\s+/g, " ").trim();
}

/** Removes marks added earlier (the text they wrapped stays). */
export function unmarkPrefill(root: Element): void {
  for (const mark of root.querySelectorAll(`mark[${ATTRIBUTE}]`)) {
    const parent = mark.parentNode;
    if (!parent) continue;
    while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
    parent.removeChild(mark);
    parent.normalize();
  }
}

const isSpace = (c: string) => /\s/.test(c);
/** Markdown syntax a prefill may hold without it showing (an emphasis not closed yet). */
const isSyntax = (c: string) => /[*_`~#>|\\]/.test(c);

/**
 * Wraps the text at the start of `root` that reads as `visible` (whitespace compared loosely:
 * a line break between two blocks counts as the space the prefill's text has there; markdown
 * syntax the rendered text lacks is skipped). Marks nothing unless all of it is found, so a
 * reply that does not start with its prefill is shown as it is. Returns whether it marked.
 */
export function markPrefill(root: Element, visible: string, testid = "message-prefill"): boolean {
  unmarkPrefill(root);
  if (visible === "") return false;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const ranges: { node: Text; start: number; end: number }[] = [];
  let at = 0;
  for (let n = walker.nextNode(); n && at < visible.length; n = walker.nextNode()) {
    const node = n as Text;
    // Whitespace between blocks, outside any element: never matched, never wrapped (a
    // `{@html}` block keeps track of its top-level nodes).
    const parent = node.parentElement;
    if (parent === root || parent?.classList.contains("segment")) continue;
    let first = -1;
    let last = -1;
    for (let i = 0; i < node.data.length && at < visible.length;) {
      const c = node.data[i]!;
      const want = visible[at]!;
      if (c === want) {
        if (first < 0) first = i;
        last = i;
        at++;
        i++;
      } else if (isSpace(want) || isSyntax(want)) {
        // A space where blocks meet, or syntax that rendered as markup: nothing stands for it.
        at++;
      } else if (isSpace(c)) {
        // Whitespace the prefill's text does not have here (a line break between blocks).
        i++;
      } else {
        return false;
      }
    }
    if (first >= 0) ranges.push({ node, start: first, end: last + 1 });
  }
  while (at < visible.length && (isSpace(visible[at]!) || isSyntax(visible[at]!))) at++;
  if (at < visible.length) return false;
  for (const { node, start, end } of ranges) wrap(node, start, end, testid);
  return ranges.length > 0;
}

function wrap(node: Text, start: number, end: number, testid: string): void {
  const middle = start > 0 ? node.splitText(start) : node;
  middle.splitText(end - start);
  const mark = document.createElement("mark");
  mark.setAttribute(ATTRIBUTE, "");
  mark.className = "prefill";
  mark.title = PREFILL_TITLE;
  mark.dataset.testid = testid;
  middle.parentNode!.insertBefore(mark, middle);
  mark.appendChild(middle);
}
