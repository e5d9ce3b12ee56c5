/**
 * How a reply that starts with the user's prefill is shown: the prefill marked, then the
 * rest, as one reply. Rust stores the reply's blocks beginning with the prefill (sent without
 * trailing whitespace), and `MessageView.prefill` says what it was.
 */

export type PrefillSplit =
  /** The prefill is shown as marked plain text, the rest as markdown after it. */
  | { kind: "split"; head: string; rest: string; inline: boolean; space: boolean }
  /** The prefill opens a code fence: split, neither half would render right. Mark it aside. */
  | { kind: "whole" };

/**
 * Splits `text` (the reply's first text block) at the end of `prefill`; null when the text
 * does not start with it. `inline` says the rest goes on in the prefill's line (its first
 * paragraph flows after the mark); `space` that a space separates them there (markdown drops
 * a paragraph's leading spaces).
 */
export function splitPrefill(text: string, prefill: string | null): PrefillSplit | null {
  if (!prefill) return null;
  const head = [prefill, prefill.trimEnd()].find((p) => p !== "" && text.startsWith(p));
  if (head === undefined) return null;
  if (/(^|\n)\s*(```|~~~)/.test(head)) return { kind: "whole" };
  const rest = text.slice(head.length);
  const inline = !/\n\s*$/.test(head) && !/^[ \t]*\n/.test(rest);
  const space = inline && /^[ \t]/.test(rest) && !/\s$/.test(head);
  return { kind: "split", head, rest, inline, space };
}
