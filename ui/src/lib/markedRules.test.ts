import { describe, expect, it } from "vitest";
import { Lexer, Marked } from "marked";
import {
  anchoredRules,
  isAnchored,
  maySetext,
  TextRule,
  topLevelAlternatives,
  type Rules,
} from "./markedRules";
import { MathLexer } from "./math";

/** marked's GFM rules as its lexer hands them to the tokenizer. */
function stockRules(): Rules {
  const { tokenizer } = new Lexer(new Marked().defaults) as unknown as {
    tokenizer: { rules: Rules };
  };
  return tokenizer.rules;
}

/** A small generator (xorshift), so a failure names a string that can be replayed. */
function strings(alphabet: string[], count: number, maxLength: number, seed = 7): string[] {
  let state = seed;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () =>
    Array.from(
      { length: Math.floor(next() * maxLength) },
      () => alphabet[Math.floor(next() * alphabet.length)],
    ).join(""),
  );
}

const BLOCK_ALPHABET = [
  "=",
  "-",
  "*",
  "_",
  " ",
  "\t",
  "\n",
  "\n\n",
  "a",
  "b",
  "|",
  ">",
  "#",
  "`",
  "~",
  "1.",
  "<div>",
  ":",
];
const INLINE_ALPHABET = [
  "*",
  "_",
  "~",
  "`",
  " ",
  "\n",
  "a",
  "[",
  "]",
  "(",
  ")",
  "<",
  ">",
  "\\",
  "!",
  "http://x.y",
  "www.",
  "@",
  ".",
];

describe("topLevelAlternatives and isAnchored", () => {
  it("split at the bars outside groups and classes", () => {
    expect(topLevelAlternatives("^a|b(c|d)")).toEqual(["^a", "b(c|d)"]);
    expect(topLevelAlternatives("^[|]x|^\\|y")).toEqual(["^[|]x", "^\\|y"]);
    expect(topLevelAlternatives("^[\\]|]z")).toEqual(["^[\\]|]z"]);
  });

  it("call a rule anchored only when every alternative starts at ^, without g, m or y", () => {
    expect(isAnchored(/^a|^b/)).toBe(true);
    expect(isAnchored(/^(?:a|b)c/)).toBe(true);
    expect(isAnchored(/^a|b/)).toBe(false);
    expect(isAnchored(/a^/)).toBe(false);
    expect(isAnchored(/^a/m)).toBe(false);
    expect(isAnchored(/^a/g)).toBe(false);
  });
});

describe("maySetext", () => {
  it("is true wherever marked's setext heading rule matches", () => {
    const lheading = stockRules().block.lheading as RegExp;
    let matched = 0;
    for (const subject of strings(BLOCK_ALPHABET, 20_000, 12)) {
      if (!lheading.exec(subject)) continue;
      matched++;
      expect(maySetext(subject), JSON.stringify(subject)).toBe(true);
    }
    // The sample reaches the case it is about.
    expect(matched).toBeGreaterThan(50);
  });

  it("is false for paragraphs without an underline before their first blank line", () => {
    expect(maySetext("One line.\nAnother line.\n\n---\n")).toBe(false);
    expect(maySetext("Title\n  \n===")).toBe(false);
    expect(maySetext("Title\n===")).toBe(true);
    expect(maySetext("Title\n   --- \t\nmore")).toBe(true);
  });
});

/** marked's own GFM text rule. */
const stockText = () => stockRules().inline.text as RegExp;

describe("anchoredRules", () => {
  const stock = stockRules();
  const reshaped = anchoredRules(stock);

  it("makes every anchored block and inline rule sticky and leaves the others", () => {
    for (const set of ["block", "inline"] as const) {
      for (const [name, rule] of Object.entries(stock[set])) {
        if (!(rule instanceof RegExp)) continue;
        const now = reshaped[set][name] as RegExp;
        expect(now.sticky, `${set}.${name}`).toBe(isAnchored(rule));
        if (!isAnchored(rule)) expect(now, `${set}.${name}`).toBe(rule);
      }
    }
    expect(reshaped.other).toBe(stock.other);
    // Made once per set of marked's: every lexer (one per streamed piece) takes the same rules.
    expect(anchoredRules(stock)).toBe(reshaped);
    // The sets most of marked's rules are in: a change of marked that anchors differently shows.
    expect((reshaped.block.paragraph as RegExp).sticky).toBe(true);
    // And its text rule still has the lookbehind `TextRule` runs without.
    expect(reshaped.inline.text).toBeInstanceOf(TextRule);
  });

  it("stop plain text before a www. only where marked's text rule does", () => {
    const text = reshaped.inline.text as RegExp;
    const stock = stockText();
    for (const subject of [
      "see www.example.com",
      "(www.example.com)",
      "awww.example",
      "a*www.b",
      "~www.x",
      "word\nwww.x",
      "www.",
      "xwww.ywww. www.",
    ]) {
      expect(text.exec(subject), JSON.stringify(subject)).toEqual(stock.exec(subject));
    }
  });

  it("match what marked's own rules match, again and again (exec and test start at 0)", () => {
    const cases = [
      ["block", strings(BLOCK_ALPHABET, 3_000, 14, 11)],
      ["inline", strings(INLINE_ALPHABET, 3_000, 14, 13)],
    ] as const;
    // A match as a comparable string: where it starts, and every group.
    const show = (m: RegExpExecArray | null) => (m ? JSON.stringify([m.index, ...m]) : "null");
    const differ: string[] = [];
    let compared = 0;
    for (const [set, subjects] of cases) {
      for (const [name, rule] of Object.entries(stock[set])) {
        if (!(rule instanceof RegExp) || !isAnchored(rule)) continue;
        const now = reshaped[set][name] as RegExp;
        for (const subject of subjects) {
          const expected = show(rule.exec(subject));
          const got = [show(now.exec(subject)), show(now.exec(subject))];
          const tested = now.test(subject);
          compared++;
          if (got[0] !== expected || got[1] !== expected || tested !== (expected !== "null"))
            differ.push(`${set}.${name} on ${JSON.stringify(subject)}: ${got[0]} vs ${expected}`);
        }
      }
    }
    expect(differ.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(50_000);
  });

  it("give MathLexer the same tokens as marked's lexer", () => {
    const source = [
      "Title\n=====\n\nSub\n---\n",
      "A paragraph with **bold**, _em_, `code`, ~~del~~, a [link](https://x.y) and www.example.com.",
      "- one\n- two\n  - nested\n\n1. first\n2) second\n",
      "> quoted\n> more\n\n***\n",
      "| a | b |\n|---|:-:|\n| 1 | 2 |\n",
      "```rust\nfn main() {}\n```\n\n    indented code\n",
      '<div>\nhtml\n</div>\n\n[ref]: https://r.example "t"\n\n[ref] and ![img](a.png)\n',
      "line one  \nline two\\\nthree\n\nText\n-\nnot a list\n",
    ].join("\n");
    const defaults = new Marked().defaults;
    expect(new MathLexer(defaults).lex(source)).toEqual(new Lexer(defaults).lex(source));
  });
});
