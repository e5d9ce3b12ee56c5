/**
 * What a screen reader is told about a finished reply, as pure functions (the live regions
 * themselves are `stores/announcer.svelte.ts` and `components/LiveAnnouncer.svelte`).
 */
import { m } from "../paraglide/messages";
import { formatCount } from "./format";

/** A reply up to this many characters of plain text is read out whole. */
export const SHORT_REPLY_CHARS = 300;

/**
 * Markdown as a listener would want it read: code fences, emphasis markers, heading hashes,
 * list bullets and link targets removed, whitespace collapsed. Not a renderer: it only has to
 * keep punctuation noise out of speech.
 */
export function plainText(markdown: string): string {
  return markdown
    .replace(/^\s*(```|~~~).*$/gm, " ")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s{0,3}(#{1,6}|>+|[-*+]|\d+[.)])\s+/gm, "")
    .replace(/(\*\*|__|\*|_|~~|`)/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Words in a text; CJK characters count one each (they are not separated by spaces). */
export function wordCount(text: string): number {
  const cjk = text.match(/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/g)?.length ?? 0;
  const rest = text.replace(/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/g, " ");
  const words = rest.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  return cjk + words;
}

/**
 * The one announcement of a finished reply: the reply itself when it is short, else how long
 * it was (reading a long reply out unasked would drown everything else).
 */
export function replyAnnouncement(markdown: string): string {
  const text = plainText(markdown);
  if (text === "") return m.app_reply_finished();
  if (text.length <= SHORT_REPLY_CHARS) return text;
  const count = wordCount(text);
  return m.app_reply_finished_words({ count, n: formatCount(count) });
}

/** "3 results" / "No results" for a search that answered. */
export function resultsAnnouncement(count: number, limited: boolean): string {
  if (count === 0) return m.app_no_results();
  const inputs = { count, n: formatCount(count) };
  return limited ? m.app_results_more(inputs) : m.app_results(inputs);
}
