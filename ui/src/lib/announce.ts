/**
 * What a screen reader is told about a finished reply, as pure functions (the live regions
 * themselves are `stores/announcer.svelte.ts` and `components/LiveAnnouncer.svelte`).
 */

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
  if (text === "") return "Reply finished";
  if (text.length <= SHORT_REPLY_CHARS) return text;
  const n = wordCount(text);
  return `Reply finished, ${n} ${n === 1 ? "word" : "words"}`;
}

/** "3 results" / "No results" for a search that answered. */
export function resultsAnnouncement(count: number, limited: boolean): string {
  if (count === 0) return "No results";
  const more = limited ? " or more" : "";
  return `${count}${more} ${count === 1 ? "result" : "results"}`;
}
