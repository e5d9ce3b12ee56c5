// @vitest-environment jsdom
// Incremental rendering must give exactly the HTML of rendering the whole text at once: after
// every streamed piece (up to the highlighting of a still-open code fence) and at the end.
import { describe, expect, it } from "vitest";
import { IncrementalMarkdown, renderMarkdown } from "./markdown";

/** A small deterministic PRNG (mulberry32) so a failing case can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "alpha",
  "beta",
  "gamma",
  "delta",
  "word",
  "Über",
  "naïve",
  "x",
  "3.14",
  "2024",
  "42",
];
const INLINE = [
  "**bold**",
  "*em*",
  "_em_",
  "__strong__",
  "`code`",
  "``co`de``",
  "~~gone~~",
  "~one~",
  "[link](https://example.com/a)",
  "[ref]",
  "![pic](https://example.com/p.png)",
  "<span>",
  "</span>",
  "<b>x</b>",
  "snake_case_name",
  "a*b",
  "*",
  "**",
  "_",
  "`",
  "[",
  "]",
  "\\*",
  "\\",
  "https://example.com/x?y=1.",
  "www.example.com",
  "mail@example.com",
  "&amp;",
  "&",
  "&copy;",
  '"quoted"',
  "it's",
  "(paren)",
  "a|b",
  "1.",
  "3)",
  "#tag",
  "->",
  "<-",
  "<https://auto.example>",
  "***strong em***",
  "*a **b* c**",
];
/** Math, prices and near-misses (`math.ts`): a `$` may open math until its scan fails. */
const MATH = [
  "$x^2$",
  "$a_1 * b_2$",
  "$$\\frac{1}{2}$$",
  "\\(a\\)",
  "\\[b\\]",
  "$5",
  "$10.",
  "$",
  "$$",
  "\\$",
  "\\(",
  "\\)",
  "$x$5",
  "$ y$",
  "$\\frac{$",
  "*$z^*$*",
];
const LINE_STARTS = [
  "",
  "",
  "",
  "",
  "# ",
  "## ",
  "#",
  "- ",
  "* ",
  "+ ",
  "1. ",
  "2) ",
  "10. ",
  "> ",
  ">",
  "  ",
  "   ",
  "    ",
  "\t",
  "  - ",
  "    - ",
  "| ",
  "= ",
  "**",
  "_",
  "`",
  "[",
  "<div>",
  "<!-- ",
  "<pre>",
];
const WHOLE_LINES = [
  "",
  "",
  "",
  "```",
  "```js",
  "```rust",
  "~~~",
  "````",
  "``` ",
  "```\t",
  "    ```",
  "  ```",
  "---",
  "***",
  "___",
  "===",
  "- - -",
  "|---|---|",
  "| - | - |",
  ":---",
  "| a | b |",
  "<div>",
  "</div>",
  "<!--",
  "-->",
  "<!-- one -->",
  "<pre>",
  "</pre>",
  "<script>",
  "</script>",
  "<?php",
  "?>",
  "<![CDATA[",
  "]]>",
  "<!DOCTYPE html>",
  "[ref]: https://example.com/ref",
  "-",
  "1.",
  "#",
  "> ```",
];

function randomText(next: () => number, lines: number, wordsPerLine: number): string {
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!;
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    if (next() < 0.3) {
      out.push(pick(WHOLE_LINES));
      continue;
    }
    const parts: string[] = [];
    const n = 1 + Math.floor(next() * wordsPerLine);
    for (let w = 0; w < n; w++) parts.push(next() < 0.25 ? pick(INLINE) : pick(WORDS));
    let line = pick(LINE_STARTS) + parts.join(next() < 0.05 ? "  " : " ");
    if (next() < 0.05) line += "  ";
    out.push(line);
  }
  return out.join("\n") + (next() < 0.5 ? "\n" : "");
}

/** Long paragraphs with inline markup (what freezing works on), now and then another block. */
function paragraphText(next: () => number, words: number, inline = INLINE): string {
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!;
  let text = "";
  for (let w = 0; w < words; w++) {
    const r = next();
    if (r < 0.02) text += "\n" + pick(WHOLE_LINES) + "\n";
    else if (r < 0.06) text += "\n" + pick(LINE_STARTS);
    else if (r < 0.07) text += "\n\n";
    else text += " ";
    text += next() < 0.15 ? pick(inline) : pick(WORDS);
  }
  return text.trimStart();
}

/** HTML with code highlighting taken out (an open fence is not highlighted while streaming). */
function unhighlighted(html: string): string {
  return html
    .replace(/<span class="code-lang">[^<]*<\/span>/g, "(language)")
    .replace(/<span[^>]*>|<\/span>/g, "")
    .replace(/class="hljs[^"]*"/g, 'class="hljs"');
}

/**
 * Streams `text` in pieces of 1..maxPiece characters; checks the HTML after every piece
 * (`everyStep`) and at the end against a one-shot render.
 */
function expectSameAsOneShot(
  text: string,
  next: () => number,
  { maxPiece = 1, freezeStep = 16, everyStep = true } = {},
) {
  const md = new IncrementalMarkdown({ freezeStep });
  let at = 0;
  while (at < text.length) {
    at = Math.min(text.length, at + 1 + Math.floor(next() * maxPiece));
    const prefix = text.slice(0, at);
    const html = md
      .update(prefix, true)
      .map((s) => s.html)
      .join("");
    if (everyStep) {
      expect(unhighlighted(html), `streamed ${JSON.stringify(prefix)}`).toBe(
        unhighlighted(renderMarkdown(prefix)),
      );
    }
  }
  const final = md
    .update(text, false)
    .map((s) => s.html)
    .join("");
  expect(final, `finished ${JSON.stringify(text)}`).toBe(renderMarkdown(text));
}

const TRICKY = [
  "Para one\n\nPara *two*\n\n- a\n- b\n\n> quote",
  "- a\n\n- b\n\n- c\n\nafter",
  "1. one\n\n2. two\n\n   indented\n\n3. three",
  "- a\n\n  ```\n  code\n\n  more\n  ```\n- b\n\nend",
  "intro\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\nright after\n\n# Title\ntext under\n## Sub\n- x",
  "```\nnever closed\n\nstill code",
  "````\n```\nnested\n````\nout",
  "```\t\nnot\n```\t\nclosed\n```\nnow\n\nend",
  "| a | b |\n| - | - |\n| 1 | 2 |\n\ntext\n| c |\n|---|\n| 3 |",
  "a long first line of a paragraph\nsecond line | with pipe\n|---|---|\n| x | y |",
  "Setext heading with many words in it\n===\n\nAnother one\nover two lines\n---\nafter",
  "<div>\n```\ncode\n```\nmore\n</div>\n\nafter",
  "<!--\n\ncomment\n\n-->\nafter\n\n# H",
  "<pre>\n\nkept\n\n</pre>\n\nafter",
  "<script>\n\n</pre>\n\nstill\n</script>\n\nout",
  "See [ref] here.\n\nMore text.\n\n[ref]: https://example.com",
  "# One\n# Two\n#Three\n   # Four\n    # code",
  "> ```\n> code\n\n> next",
  "- item\n# Heading\n- item",
  "text\n\n    indented code\n\n    more code\n\nafter",
  "a  \nb\\\nc  \n\nd",
  "**bold start** then words and words and words and words *em* and `code` and more words\nnext line continues the paragraph and goes on and on\n\nsecond",
  "word ".repeat(200),
  "*open emphasis " + "word ".repeat(100) + "closed* and " + "more ".repeat(100),
  "snake_case " + "under_score ".repeat(60) + "_real em_ " + "x ".repeat(50),
];

describe("incremental markdown equals a one-shot render", { timeout: 120_000 }, () => {
  it("on hand-picked inputs (fences, lists, tables, headings, HTML), one or two characters at a time", () => {
    const next = rng(1);
    for (const text of TRICKY) expectSameAsOneShot(text, next, { maxPiece: 2, freezeStep: 8 });
  });

  it("on random block-heavy inputs, checked after every piece", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const next = rng(seed);
      const text = randomText(next, 4 + Math.floor(next() * 14), 6);
      expectSameAsOneShot(text, next, { maxPiece: 6, freezeStep: 4 + Math.floor(next() * 24) });
    }
  });

  it("on random long paragraphs with inline markup, checked after every piece", () => {
    for (let seed = 1000; seed < 1025; seed++) {
      const next = rng(seed);
      const text = paragraphText(next, 60 + Math.floor(next() * 120));
      expectSameAsOneShot(text, next, { maxPiece: 16, freezeStep: 8 + Math.floor(next() * 40) });
    }
  });

  it("on random paragraphs with math, prices and stray dollars, checked after every piece", () => {
    for (let seed = 2000; seed < 2015; seed++) {
      const next = rng(seed);
      const text = paragraphText(next, 60 + Math.floor(next() * 100), [
        ...INLINE,
        ...MATH,
        ...MATH,
      ]);
      expectSameAsOneShot(text, next, { maxPiece: 12, freezeStep: 8 + Math.floor(next() * 40) });
    }
  });

  it("with the default freeze step on a long reply", () => {
    const next = rng(7);
    const text = paragraphText(next, 1500);
    expectSameAsOneShot(text, next, { maxPiece: 40, freezeStep: 512, everyStep: false });
  });
});

describe("incremental markdown does work bounded by the new text", () => {
  it("freezes a long paragraph without blank lines, so a frame parses only what follows", () => {
    const md = new IncrementalMarkdown();
    let text = "";
    for (let i = 0; i < 4000; i++) {
      text += "word ";
      md.update(text, true);
      // Everything but the last step or two is frozen: this is what a frame does not parse.
      if (text.length > 2048) expect(text.length - md.frozenChars).toBeLessThan(1100);
    }
    expect(md.settledChars).toBe(0);
    expect(md.update(text, false).map((s) => s.html)).toEqual([renderMarkdown(text)]);
  });

  it("settles a fenced code block as soon as its closing fence line is complete", () => {
    const md = new IncrementalMarkdown();
    const code = "```rust\nfn main() {}\n```";
    expect(md.update(`Intro\n\n${code}`, true).at(-1)!.html).not.toContain("hljs-keyword");
    const settled = md.update(`Intro\n\n${code}\n`, true);
    expect(md.settledChars).toBe(`Intro\n\n${code}\n`.length);
    expect(settled.at(-1)!.html).toContain("hljs-keyword");
    // Later text does not touch the highlighted block again.
    const later = md.update(`Intro\n\n${code}\nAfter the code`, true);
    expect(later[1]).toBe(settled[1]);
  });

  it("keeps freezing through closed inline markup, and stops before an open one", () => {
    const closed = new IncrementalMarkdown({ freezeStep: 64 });
    const open = new IncrementalMarkdown({ freezeStep: 64 });
    let a = "";
    let b = "*never closed ";
    for (let i = 0; i < 200; i++) {
      a += "**bold** and `code` and [a link](https://example.com) ";
      b += "word ";
      closed.update(a, true);
      open.update(b, true);
    }
    expect(a.length - closed.frozenChars).toBeLessThan(200);
    expect(open.frozenChars).toBe(0);
    expect(
      closed
        .update(a, false)
        .map((s) => s.html)
        .join(""),
    ).toBe(renderMarkdown(a));
    expect(
      open
        .update(b, false)
        .map((s) => s.html)
        .join(""),
    ).toBe(renderMarkdown(b));
  });
});

describe("a finished text rendered in slices", { timeout: 120_000 }, () => {
  const sliced = async (text: string, sliceChars: number): Promise<string> => {
    const md = new IncrementalMarkdown();
    const segments = await md.renderInSlices(text, () => false, { budgetMs: 0, sliceChars });
    return segments!.map((s) => s.html).join("");
  };

  it("gives the HTML of a one-shot render, whatever the slice size", async () => {
    const next = rng(11);
    const texts = [...TRICKY, "", "one line"];
    for (let i = 0; i < 20; i++) texts.push(randomText(next, 30, 8));
    for (let i = 0; i < 10; i++) texts.push(paragraphText(next, 800));
    for (const text of texts) {
      const size = 1 + Math.floor(next() * 64);
      expect(await sliced(text, size), `slices of ${size}: ${JSON.stringify(text)}`).toBe(
        renderMarkdown(text),
      );
    }
  });

  it("yields to the event loop between slices, and stops when cancelled", async () => {
    const text = "A paragraph of words, *some* with `markup`. ".repeat(3000);
    let yields = 0;
    const md = new IncrementalMarkdown();
    const done = await md.renderInSlices(text, () => (yields++, false), {
      budgetMs: 0,
      sliceChars: 4096,
    });
    expect(yields).toBeGreaterThanOrEqual(Math.floor(text.length / 4096));
    expect(done!.map((s) => s.html).join("")).toBe(renderMarkdown(text));

    let asked = 0;
    const cancelled = new IncrementalMarkdown();
    expect(
      await cancelled.renderInSlices(text, () => ++asked > 2, { budgetMs: 0, sliceChars: 4096 }),
    ).toBeNull();
    expect(asked).toBe(3);
    // A cancelled renderer starts again from nothing.
    expect(cancelled.rendersWhole(text)).toBe(true);
    expect(cancelled.update(text, false).map((s) => s.html)).toEqual([renderMarkdown(text)]);
  });

  it("renders link references' text in one pass, as a whole render would", async () => {
    const text =
      "See [ref] here.\n\n" + "More text.\n\n".repeat(2000) + "[ref]: https://example.com";
    expect(await sliced(text, 1024)).toBe(renderMarkdown(text));
  });
});

describe("which texts a renderer renders whole", () => {
  it("a new finished text is rendered whole; a stream's end and the same text again are not", () => {
    const md = new IncrementalMarkdown();
    expect(md.rendersWhole("Hello")).toBe(true);
    md.update("Hel", true);
    expect(md.rendersWhole("Hello")).toBe(false);
    md.update("Hello", false);
    expect(md.rendersWhole("Hello")).toBe(false);
    expect(md.rendersWhole("Goodbye")).toBe(true);
  });

  it("adopts kept segments as the render of a finished text", () => {
    const md = new IncrementalMarkdown();
    const kept = [{ key: "all", html: "<p>kept</p>" }];
    expect(md.adopt("kept", kept)).toBe(kept);
    expect(md.rendersWhole("kept")).toBe(false);
    expect(md.update("kept", false)).toBe(kept);
    // A continued reply streams on from there: rendered again, correctly.
    expect(
      md
        .update("kept and more", true)
        .map((s) => s.html)
        .join(""),
    ).toBe(renderMarkdown("kept and more"));
  });
});
