/**
 * LaTeX math in replies: finding it in markdown (a marked extension), rendering it with KaTeX,
 * and copying it back out as source.
 *
 * Delimiters are `$...$` and `\(...\)` inline, `$$...$$` and `\[...\]` display. A single `$`
 * follows Pandoc's rules so prices stay prose: the opening `$` is followed by a non-space, the
 * first unescaped `$` after it closes, and it must follow a non-space and not be followed by a
 * digit, else there is no math there at all ("$5 and $10" is text). `\$` is a literal dollar
 * (marked's escape), and math never contains a backtick, so code spans always win. Math lives in
 * inline text only: a blank line ends it, as it ends the paragraph, and fenced code never reaches
 * the inline lexer.
 *
 * KaTeX writes MathML only (`output: "mathml"`): the webview renders it natively, so no KaTeX
 * fonts or CSS ship, and it is markup that the sanitiser can allow element by element. The TeX
 * source stays in the MathML (`<annotation encoding="application/x-tex">`), which is what copying
 * puts on the clipboard. LaTeX that KaTeX refuses, or that asks for a command needing trust
 * (`\href`, `\htmlClass`, ...), is shown as its source text.
 */
import katex from "katex";
import { Lexer, type MarkedExtension, type MarkedOptions, type Token, type Tokens } from "marked";
import { escapeHtml } from "./highlight";
import { anchoredRules, type Rules } from "./markedRules";

// ---------------------------------------------------------------------------------------------
// Finding math

/** Math found at a position: its whole source (`raw`, delimiters included) and its TeX. */
export type MathMatch = { raw: string; tex: string; display: boolean };

/**
 * What starts at a position: math; `open` when the delimiters may still be closed by text
 * that follows (a streamed reply that has not got there yet); `none` when nothing that follows
 * can make it math.
 */
export type MathScan = MathMatch | "open" | "none";

const DIGIT = /[0-9]/;
const SPACE = /\s/;
/** A blank line: math never spans one (the paragraph, and so the inline text, ends there). */
const BLANK_LINE = /\n[ \t]*\n/y;

/** Whether a math delimiter may start at `at` (a `$`, `\(` or `\[`). */
function delimiterAt(src: string, at: number): boolean {
  const ch = src[at];
  return ch === "$" || (ch === "\\" && (src[at + 1] === "(" || src[at + 1] === "["));
}

/** Where the next math delimiter may start, or -1 (marked's `start` for the extension). */
export function nextMathStart(src: string): number {
  return src.search(/\$|\\[([]/);
}

/**
 * Scans from `from` (just after an opening delimiter) for `close`; backslash escapes are
 * skipped (`\$` is a dollar inside TeX). Returns the index of the closing delimiter, `open`
 * at the end of the text, or `none` at a backtick or a blank line.
 */
function findClose(src: string, from: number, close: string): number | "open" | "none" {
  for (let i = from; i < src.length; i++) {
    const ch = src[i];
    if (ch === "`") return "none";
    if (ch === "\n") {
      BLANK_LINE.lastIndex = i;
      if (BLANK_LINE.test(src)) return "none";
    }
    if (src.startsWith(close, i)) return i;
    if (ch === "\\") i++;
  }
  return "open";
}

/** The math that starts at `at` in `src`, if any (see the module comment for the rules). */
export function scanMath(src: string, at = 0): MathScan {
  if (src[at] === "\\") {
    const display = src[at + 1] === "[";
    if (!display && src[at + 1] !== "(") return "none";
    const end = findClose(src, at + 2, display ? "\\]" : "\\)");
    if (typeof end !== "number") return end;
    return math(src.slice(at, end + 2), src.slice(at + 2, end), display);
  }
  if (src[at] !== "$") return "none";
  if (src[at + 1] === "$") {
    const end = findClose(src, at + 2, "$$");
    if (typeof end !== "number") return end;
    return math(src.slice(at, end + 2), src.slice(at + 2, end), true);
  }
  const first = src[at + 1];
  if (first === undefined) return "open";
  if (SPACE.test(first)) return "none";
  const end = findClose(src, at + 1, "$");
  if (typeof end !== "number") return end;
  if (SPACE.test(src[end - 1]!) || DIGIT.test(src[end + 1] ?? "")) return "none";
  return math(src.slice(at, end + 1), src.slice(at + 1, end), false);
}

function math(raw: string, tex: string, display: boolean): MathScan {
  return tex.trim() === "" ? "none" : { raw, tex, display };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Rendered formulas by display mode and TeX, least recently used first. */
const cache = new Map<string, string | null>();
const CACHE_SIZE = 500;

/**
 * The MathML of `tex`, or null when KaTeX refuses it. Cached (least recently used dropped), so
 * a formula in a streaming reply's tail is typeset once, not on every frame.
 */
export function renderMath(tex: string, display: boolean): string | null {
  const key = (display ? "D" : "I") + tex;
  if (cache.has(key)) {
    const hit = cache.get(key)!;
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const html = typeset(tex, display);
  cache.set(key, html);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return html;
}

/** How many formulas are cached (for tests). */
export function cachedFormulas(): number {
  return cache.size;
}

function typeset(tex: string, display: boolean): string | null {
  let untrusted = false;
  try {
    const html = katex.renderToString(tex, {
      displayMode: display,
      output: "mathml",
      throwOnError: true,
      // KaTeX would show a command that needs trust as red text: show the source instead.
      trust: () => {
        untrusted = true;
        return false;
      },
      // Unicode text in math and other non-LaTeX habits render without console warnings.
      strict: "ignore",
      // A reply cannot make a formula huge or expand macros without end.
      maxSize: 20,
      maxExpand: 500,
    });
    return untrusted ? null : html;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// marked

type MathToken = Tokens.Generic & MathMatch & { type: "math" };

/**
 * The inline source `MathLexer` is lexing, read by the `emStrongMask` hook (marked gives the
 * hook only the masked text). The hook runs at the start of `inlineTokens`, before any nested
 * call could change it.
 */
let lexingInline: string | null = null;

/**
 * marked's lexer, noting the inline source it lexes so that emphasis never pairs with a `*` or
 * `_` inside math (`*note: $x^*$ is its conjugate*`), with rules that do not make lexing
 * quadratic in JavaScriptCore (`markedRules.ts`). Lex with this, never `marked.lexer`.
 */
export class MathLexer extends Lexer {
  constructor(options?: MarkedOptions) {
    super(options);
    // marked's constructor hands its tokenizer the stock rules; the tokenizer is not public.
    const { tokenizer } = this as unknown as { tokenizer: { rules: Rules } };
    tokenizer.rules = anchoredRules(tokenizer.rules);
  }

  override inlineTokens(src: string, tokens?: Token[]): Token[] {
    const outer = lexingInline;
    lexingInline = src;
    try {
      return super.inlineTokens(src, tokens);
    } finally {
      lexingInline = outer;
    }
  }
}

/** Hides `*`, `_` and `~` inside math from emphasis and strikethrough pairing. */
function maskMath(masked: string): string {
  const src = lexingInline;
  if (src === null || src.length !== masked.length || nextMathStart(src) === -1) return masked;
  let out = masked;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === "`") {
      i = skipCodeSpan(src, i);
    } else if (delimiterAt(src, i)) {
      const found = scanMath(src, i);
      if (typeof found === "string") continue;
      const inner = ch === "$" && !found.display ? 1 : 2;
      const from = i + inner;
      const to = i + found.raw.length - inner;
      out = out.slice(0, from) + out.slice(from, to).replace(/[*_~]/g, "a") + out.slice(to);
      i += found.raw.length - 1;
    } else if (ch === "\\") {
      i++;
    }
  }
  return out;
}

/** The index of the last character of the code span at `at`, or of its opening backticks. */
function skipCodeSpan(src: string, at: number): number {
  let n = at;
  while (src[n] === "`") n++;
  const fence = src.slice(at, n);
  for (let i = src.indexOf(fence, n); i !== -1; i = src.indexOf(fence, i + 1)) {
    let end = i + fence.length;
    if (src[end] !== "`" && src[i - 1] !== "`") return end - 1;
    while (src[end] === "`") end++;
    i = end - 1;
  }
  return n - 1;
}

/**
 * The marked extension: a `math` inline token (MathML, or the escaped source when KaTeX
 * refuses it). A `$$` that is not closed yet is taken as two literal dollars, so its second
 * `$` never opens inline math that becomes display math a moment later.
 */
export const mathExtension: MarkedExtension = {
  extensions: [
    {
      name: "math",
      level: "inline",
      start: (src: string) => {
        const at = nextMathStart(src);
        return at === -1 ? undefined : at;
      },
      tokenizer(src: string): MathToken | Tokens.Text | undefined {
        if (!delimiterAt(src, 0)) return undefined;
        const found = scanMath(src, 0);
        if (typeof found !== "string") return { type: "math", ...found };
        if (found === "open" && src.startsWith("$$")) {
          return { type: "text", raw: "$$", text: "$$", escaped: false };
        }
        return undefined;
      },
      renderer(token: Tokens.Generic): string {
        const { raw, tex, display } = token as MathToken;
        return renderMath(tex, display) ?? escapeHtml(raw);
      },
    },
  ],
  hooks: { emStrongMask: maskMath },
};

// ---------------------------------------------------------------------------------------------
// Copying

const TEX = 'annotation[encoding="application/x-tex"]';

/** The TeX of a rendered formula as it would be written in a reply (`$...$` or `$$...$$`). */
function sourceOf(formula: Element): string {
  const tex = formula.querySelector(TEX)?.textContent ?? formula.textContent ?? "";
  const display = formula.querySelector("math")?.getAttribute("display") === "block";
  return display ? `$$${tex}$$` : `$${tex}$`;
}

/** The outermost element of the formula that `node` is in, if it is in one. */
function formulaOf(node: Node | null): Element | null {
  const el = node instanceof Element ? node : (node?.parentElement ?? null);
  return el?.closest(".katex") ?? null;
}

/**
 * Copy handler: when the selection holds math, puts the selection on the clipboard with each
 * formula as its LaTeX source instead of the MathML's text (which reads "x2" for `x^2`). A
 * formula partly selected is copied whole. Selections without math copy as the browser would.
 */
export function copyMathSource(event: ClipboardEvent): void {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || selection.rangeCount === 0 || !event.clipboardData) {
    return;
  }
  const container = document.createElement("div");
  let found = false;
  for (let r = 0; r < selection.rangeCount; r++) {
    const range = selection.getRangeAt(r).cloneRange();
    const startFormula = formulaOf(range.startContainer);
    const endFormula = formulaOf(range.endContainer);
    if (startFormula) range.setStartBefore(startFormula);
    if (endFormula) range.setEndAfter(endFormula);
    const fragment = range.cloneContents();
    for (const formula of fragment.querySelectorAll(".katex")) {
      formula.replaceWith(document.createTextNode(sourceOf(formula)));
      found = true;
    }
    container.append(fragment);
  }
  if (!found) return;
  // innerText gives the line breaks a reader sees between blocks; it needs a rendered element
  // (jsdom has no layout and no innerText: the text content stands in there).
  container.style.position = "fixed";
  container.style.left = "-10000px";
  document.body.append(container);
  const text =
    typeof container.innerText === "string" ? container.innerText : container.textContent;
  container.remove();
  event.clipboardData.setData("text/plain", text);
  event.clipboardData.setData("text/html", container.innerHTML);
  event.preventDefault();
}
