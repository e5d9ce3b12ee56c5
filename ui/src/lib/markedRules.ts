/**
 * marked's rules, reshaped for JavaScriptCore (WebKitGTK, the engine the app runs on).
 *
 * marked matches each block and inline rule with an anchored regular expression (`^…`) against
 * the rest of the source. V8 gives up on an anchored pattern after its first position; JSC's
 * regular expression interpreter, which runs every pattern its JIT cannot compile (most of
 * marked's: counted groups, lookarounds, lazy loops), tries every position of the subject
 * before it fails. A rule that does not match at the start so costs time proportional to all
 * the text after it, once per token: lexing was quadratic in the reply's length (100 KB of
 * paragraphs and headings: 1.9 s in JSC, 0.13 s with these rules; 488 characters: 0.8 ms).
 *
 * - Every rule whose alternatives all start with `^` gets the sticky flag, which makes any
 *   engine try position 0 only, and so means the same for an anchored pattern. Its `exec` (which
 *   `test` calls) starts at 0 each time, as the non-sticky rule did.
 * - The setext heading rule (`Title\n===`) walks its paragraph a character at a time with a
 *   large lookahead at each one, even when anchored: it is skipped when no underline line
 *   comes before the paragraph's first blank line, where it cannot match.
 * - The inline text rule, which runs over every stretch of plain text, is not compiled by JSC's
 *   JIT because of one lookbehind (`www.` after a space or `*_~(`): a copy without it, which
 *   the JIT compiles, runs first, and the rule itself only where the copy stopped before a
 *   `www.` that the lookbehind would refuse (a 500 KB paragraph: 255 ms, 15 ms with the copy).
 */

type RuleSet = Record<string, unknown>;
/** What `Lexer`'s constructor gives its tokenizer: `other`, and the block and inline rules. */
export type Rules = { other: RuleSet; block: RuleSet; inline: RuleSet };

/** A rule anchored at the start of its subject, matched there only. */
class AnchoredRule extends RegExp {
  constructor(rule: RegExp) {
    super(rule.source, `${rule.flags}y`);
  }

  override exec(subject: string): RegExpExecArray | null {
    this.lastIndex = 0;
    return super.exec(subject);
  }
}

/** A blank line: where a setext heading's paragraph ends at the latest. */
const BLANK_LINE = /\n[ \t]*\n/g;
/** A setext underline (CommonMark: up to three spaces, `=`s or `-`s, trailing blanks). */
const UNDERLINE = /\n {0,3}(?:=+|-+)[ \t]*(?:\n|$)/;

/**
 * Whether `subject` could start with a setext heading: its underline line must come before the
 * first blank line (the heading's text cannot span one). A necessary condition only: the rule
 * itself decides.
 */
export function maySetext(subject: string): boolean {
  BLANK_LINE.lastIndex = 0;
  const blank = BLANK_LINE.exec(subject);
  return UNDERLINE.test(blank ? subject.slice(0, blank.index) : subject);
}

class SetextRule extends AnchoredRule {
  override exec(subject: string): RegExpExecArray | null {
    return maySetext(subject) ? super.exec(subject) : null;
  }
}

/** The lookbehind of marked's GFM text rule: `www.` starts a link after a space or `*_~(`. */
const GUARDED_WWW = String.raw`(?<![^\s*_~(])www\.`;
/** What may come before a `www.` that starts a link (the lookbehind's class). */
const BEFORE_WWW = /[\s*_~(]/;

/**
 * The inline text rule: it matches the shortest text before a place where markup may start.
 * Its copy without the lookbehind stops at every such place and at any other `www.` too, so
 * its match is the rule's own unless it ended before a `www.` the rule would pass over.
 */
export class TextRule extends AnchoredRule {
  readonly #unguarded: RegExp;

  constructor(rule: RegExp) {
    super(rule);
    this.#unguarded = new RegExp(rule.source.replace(GUARDED_WWW, "www\\."), `${rule.flags}y`);
  }

  /** Whether `rule` holds the lookbehind this class takes out (marked's GFM text rule). */
  static fits(rule: RegExp): boolean {
    return rule.source.split(GUARDED_WWW).length === 2;
  }

  override exec(subject: string): RegExpExecArray | null {
    this.#unguarded.lastIndex = 0;
    const match = this.#unguarded.exec(subject);
    if (match === null) return null;
    const end = match[0].length;
    const refusedWww =
      end > 0 && subject.startsWith("www.", end) && !BEFORE_WWW.test(subject.charAt(end - 1));
    return refusedWww ? super.exec(subject) : match;
  }
}

/**
 * The top-level alternatives of a pattern's source (`a|b(c|d)` → `a`, `b(c|d)`): the `|`s
 * outside groups and character classes.
 */
export function topLevelAlternatives(source: string): string[] {
  const alternatives: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") i++;
    else if (inClass) inClass = ch !== "]";
    else if (ch === "[") inClass = true;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "|" && depth === 0) {
      alternatives.push(source.slice(start, i));
      start = i + 1;
    }
  }
  alternatives.push(source.slice(start));
  return alternatives;
}

/** Whether `rule` only ever matches at the start of its subject (every alternative is `^…`). */
export function isAnchored(rule: RegExp): boolean {
  return (
    !/[gmy]/.test(rule.flags) &&
    topLevelAlternatives(rule.source).every((alternative) => alternative.startsWith("^"))
  );
}

/** `block`: marked's block rules (else its inline rules). */
function anchoredSet(rules: RuleSet, block: boolean): RuleSet {
  return Object.fromEntries(
    Object.entries(rules).map(([name, rule]) => {
      if (!(rule instanceof RegExp) || !isAnchored(rule)) return [name, rule];
      if (block && name === "lheading") return [name, new SetextRule(rule)];
      if (!block && name === "text" && TextRule.fits(rule)) return [name, new TextRule(rule)];
      return [name, new AnchoredRule(rule)];
    }),
  );
}

/** Reshaped rules with the stock sets they were made from. */
type Reshaped = { from: Rules; rules: Rules };

/**
 * The reshaped rules, by marked's inline rule set (its sets are module constants, one per
 * option: GFM, line breaks, pedantic): a lexer is made for every piece of a streamed reply, and
 * each takes the same reshaped rules.
 */
const reshaped = new WeakMap<RuleSet, Reshaped>();

/** `rules` with their anchored block and inline rules matched at the start only (above). */
export function anchoredRules(rules: Rules): Rules {
  const known = reshaped.get(rules.inline);
  if (known && known.from.block === rules.block && known.from.other === rules.other) {
    return known.rules;
  }
  const made = {
    other: rules.other,
    block: anchoredSet(rules.block, true),
    inline: anchoredSet(rules.inline, false),
  };
  reshaped.set(rules.inline, { from: rules, rules: made });
  return made;
}
