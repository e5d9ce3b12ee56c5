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

function anchoredSet(rules: RuleSet, setext: boolean): RuleSet {
  return Object.fromEntries(
    Object.entries(rules).map(([name, rule]) => {
      if (!(rule instanceof RegExp) || !isAnchored(rule)) return [name, rule];
      return [name, setext && name === "lheading" ? new SetextRule(rule) : new AnchoredRule(rule)];
    }),
  );
}

/** One reshaped set per set of marked's (they are module constants: GFM, pedantic, …). */
const reshaped = new WeakMap<RuleSet, RuleSet>();

function cached(rules: RuleSet, setext: boolean): RuleSet {
  let set = reshaped.get(rules);
  if (!set) {
    set = anchoredSet(rules, setext);
    reshaped.set(rules, set);
  }
  return set;
}

/** `rules` with their anchored block and inline rules matched at the start only (above). */
export function anchoredRules(rules: Rules): Rules {
  return {
    other: rules.other,
    block: cached(rules.block, true),
    inline: cached(rules.inline, false),
  };
}
