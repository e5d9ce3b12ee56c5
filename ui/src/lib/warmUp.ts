/**
 * A sample reply laid out once, off screen, a moment after start-up (`App.svelte`), so that the
 * first conversation opened does not pay for first-time work: the renderer's code paths, the
 * styles of a reply's elements, and the fonts of bold, italic, code and CJK text (the first
 * glyphs of a face make WebKitGTK ask fontconfig). Not user-visible and not announced.
 */
export const WARM_UP_REPLY = [
  "## Heading",
  "Some **bold**, *italic*, `inline code` and [a link](https://example.com), then a list:",
  "- one\n- two\n  1. nested",
  "> A quote.",
  "| a | b |\n| - | - |\n| 1 | 2 |",
  "```js\nconst answer = 42; // comment\n```",
  "```python\ndef f(x):\n    return x * 2\n```",
  "中文的句子，包括标点。日本語の文、カタカナとひらがな。",
  "$x^2 + y^2 = z^2$",
].join("\n\n");
