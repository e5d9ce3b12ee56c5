/**
 * Markdown for model output: marked (GFM, with LaTeX math as MathML: `math.ts`) -> highlight.js
 * for fenced code -> DOMPurify.
 *
 * Model output is untrusted input (prompt injection can make a reply carry any HTML), so every
 * string that reaches `{@html}` has been through `sanitizeHtml`: no scripts, no event handlers, no
 * forms or frames, no inline styles, links only to http(s)/mailto, no remote images (a remote image
 * would leak data to whoever the prompt names the moment it renders). Raw HTML in the markdown is
 * escaped and shown as text. One exception, for speed: the inside of a code block, when
 * `isCodeHtml` proves it is only class-only `<span>`s around escaped text, is put back after
 * the rest is sanitised (`renderTokens`); anything else in it is sanitised with the rest.
 *
 * A streaming reply is rendered incrementally (`IncrementalMarkdown`), so a frame costs its new
 * text rather than its length, with the same HTML as a one-shot render: blocks that can no longer
 * change are rendered once (`BlockScanner` finds them), and in the unsettled tail the start of a
 * long paragraph is frozen once its inline markup is closed.
 */
import DOMPurify from "dompurify";
import { Marked, type Token, type Tokens, type TokensList } from "marked";
import { escapeHtml, highlightCode } from "./highlight";
import { MathLexer, mathExtension, scanMath } from "./math";
import { m as msg } from "../paraglide/messages";

// ---------------------------------------------------------------------------------------------
// Splitting into settled blocks

type Fence = { char: "`" | "~"; length: number };

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
/** After a closing fence marked allows spaces only (a tab keeps the fence open). */
const FENCE_CLOSE_REST = /^ *$/;
const BLANK = /^[ \t]*$/;
const LIST_ITEM = /^ {0,3}(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)/;
/** An ATX heading at the left margin: it cannot belong to a list item or a quote. */
const ATX_HEADING = /^#{1,6}(?:[ \t]|$)/;
/** A line that may start an HTML block; those of types 6 and 7 end at the next blank line. */
const HTML_LINE = /^ {0,3}</;
/**
 * HTML blocks of CommonMark types 1-5 (marked's patterns) run until their end marker, across
 * blank lines. The text is only ever shown escaped, but its block structure must not be cut.
 */
const RAW_HTML_BLOCKS: { start: RegExp; end: RegExp }[] = [
  { start: /^ {0,3}<script(?:[\s>]|$)/i, end: /<\/script>/i },
  { start: /^ {0,3}<pre(?:[\s>]|$)/i, end: /<\/pre>/i },
  { start: /^ {0,3}<style(?:[\s>]|$)/i, end: /<\/style>/i },
  { start: /^ {0,3}<textarea(?:[\s>]|$)/i, end: /<\/textarea>/i },
  { start: /^ {0,3}<!--/, end: /-->/ },
  { start: /^ {0,3}<\?/, end: /\?>/ },
  { start: /^ {0,3}<![a-z]/i, end: />/ },
  { start: /^ {0,3}<!\[CDATA\[/, end: /\]\]>/ },
];
/** First characters that may begin a list item (which continues a list across a blank line). */
const MAYBE_LIST_START = /[*+\-0-9]/;

/** Where the text can be cut: block starts, and whether a code fence is still open. */
export type Scan = { boundaries: number[]; openFence: boolean };

/**
 * Finds block boundaries in a growing text, resuming where the previous call stopped, so a
 * frame costs the new text only. A boundary is a line start where the blocks before it can no
 * longer change whatever follows, so rendering the text in pieces gives the same HTML as
 * rendering it at once:
 * - a non-indented line after a blank line, unless the blank line is inside fenced code or an
 *   HTML block of types 1-5, or the line is a list item and the block holds a list (a list goes
 *   on across blank lines);
 * - the line after a closing code fence or an ATX heading at the left margin, unless the block
 *   holds a list (the fence or heading may belong to an item) or may hold an HTML block.
 * When unsure it does not cut. Complete lines are judged once; the first character of the last,
 * incomplete line is enough to place a blank-line boundary before it.
 */
export class BlockScanner {
  /** Start of the first line not yet judged (complete lines before it have been). */
  #pos = 0;
  #fence: Fence | null = null;
  /** The end marker of an open HTML block of types 1-5. */
  #rawHtmlEnd: RegExp | null = null;
  #sawBlank = false;
  #blockHasContent = false;
  #blockHasList = false;
  /** Since the last blank line, a line began with "<": an HTML block may be open. */
  #maybeHtml = false;

  get openFence(): boolean {
    return this.#fence !== null;
  }

  /** The new boundaries in `text`, which must extend the text of the previous calls. */
  scan(text: string): number[] {
    const boundaries: number[] = [];
    const cut = (at: number) => {
      boundaries.push(at);
      this.#sawBlank = false;
      this.#blockHasContent = false;
      this.#blockHasList = false;
      this.#maybeHtml = false;
    };
    let i = this.#pos;
    while (i < text.length) {
      const newline = text.indexOf("\n", i);
      if (newline === -1) {
        this.#judgeIncomplete(text, i, cut);
        break;
      }
      const line = text.slice(i, newline);
      if (this.#judgeLine(line, i, cut)) cut(newline + 1);
      i = newline + 1;
      this.#pos = i;
    }
    return boundaries;
  }

  /** Judges a complete line; true when the next line starts a new block. */
  #judgeLine(line: string, start: number, cut: (at: number) => void): boolean {
    if (this.#fence) {
      const m = FENCE_OPEN.exec(line);
      if (
        m &&
        m[1]![0] === this.#fence.char &&
        m[1]!.length >= this.#fence.length &&
        FENCE_CLOSE_REST.test(m[2]!)
      ) {
        this.#fence = null;
        return !this.#blockHasList && !this.#maybeHtml;
      }
      return false;
    }
    if (this.#rawHtmlEnd) {
      if (this.#rawHtmlEnd.test(line)) this.#rawHtmlEnd = null;
      return false;
    }
    if (BLANK.test(line)) {
      this.#sawBlank = true;
      this.#maybeHtml = false;
      return false;
    }
    if (this.#startsBlockAfterBlank(line)) cut(start);
    this.#sawBlank = false;
    this.#blockHasContent = true;
    if (LIST_ITEM.test(line)) this.#blockHasList = true;
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      const marker = fence[1]!;
      // A backtick fence's info string may not contain backticks (CommonMark 4.5).
      if (!(marker[0] === "`" && fence[2]!.includes("`"))) {
        this.#fence = { char: marker[0] as "`" | "~", length: marker.length };
        return false;
      }
    }
    if (HTML_LINE.test(line)) {
      this.#maybeHtml = true;
      for (const { start: open, end } of RAW_HTML_BLOCKS) {
        const m = open.exec(line);
        if (m) {
          if (!end.test(line.slice(m[0].length))) this.#rawHtmlEnd = end;
          return false;
        }
      }
      return false;
    }
    return ATX_HEADING.test(line) && !this.#blockHasList && !this.#maybeHtml;
  }

  /** A complete or incomplete line after a blank line that starts a new block. */
  #startsBlockAfterBlank(line: string): boolean {
    if (!this.#sawBlank || !this.#blockHasContent || /^[ \t]/.test(line)) return false;
    return !(this.#blockHasList && LIST_ITEM.test(line));
  }

  /** The last line is incomplete: a blank-line boundary before it may already be certain. */
  #judgeIncomplete(text: string, start: number, cut: (at: number) => void): void {
    if (this.#fence || this.#rawHtmlEnd || !this.#sawBlank || !this.#blockHasContent) return;
    const first = text[start]!;
    if (first === " " || first === "\t") return;
    // "-" or "1" may still become a list item that continues the list: wait for the line.
    if (this.#blockHasList && MAYBE_LIST_START.test(first)) return;
    cut(start);
    // The line itself is judged again once complete; the boundary before it is settled.
  }
}

/** Block boundaries of a whole text (see `BlockScanner`). */
export function scanBlocks(text: string): Scan {
  const scanner = new BlockScanner();
  const boundaries = scanner.scan(text);
  return { boundaries, openFence: scanner.openFence };
}

/** Splits text into settled blocks and the tail that may still change while streaming. */
export function splitSettled(text: string): { settled: string[]; tail: string } {
  const { boundaries } = scanBlocks(text);
  const settled: string[] = [];
  let start = 0;
  for (const b of boundaries) {
    settled.push(text.slice(start, b));
    start = b;
  }
  return { settled, tail: text.slice(start) };
}

// ---------------------------------------------------------------------------------------------
// Sanitising

/**
 * A per-session secret that marks the copy buttons our own code renderer emits; a `<button>` in
 * raw HTML from the model cannot carry it and is removed.
 */
const COPY_NONCE = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) =>
  b.toString(16).padStart(2, "0"),
).join("");

const FORBID_TAGS = [
  "style",
  "form",
  "input",
  "textarea",
  "select",
  "option",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "link",
  "meta",
  "base",
  "svg",
  "audio",
  "video",
  "source",
  "track",
  "dialog",
  "template",
  "slot",
  "portal",
];

const SAFE_LINK = /^(https?:|mailto:)/i;
const MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML";
/** The MathML attributes KaTeX writes, all of them DOMPurify's MathML attributes. */
const MATHML_PRESENTATION_ATTR = [
  "accent",
  "accentunder",
  "columnalign",
  "columnlines",
  "columnspacing",
  "depth",
  "display",
  "displaystyle",
  "encoding",
  "fence",
  "height",
  "largeop",
  "linethickness",
  "lspace",
  "mathbackground",
  "mathcolor",
  "mathsize",
  "mathvariant",
  "maxsize",
  "minsize",
  "notation",
  "rowlines",
  "rowspacing",
  "rspace",
  "scriptlevel",
  "separator",
  "stretchy",
  "voffset",
  "width",
];
const SAFE_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]+$/i;

let purifier: ReturnType<typeof DOMPurify> | null = null;
let ownButtons = new WeakSet<Node>();

function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook("uponSanitizeElement", (node, data) => {
    if (data.tagName === "button") {
      const el = node as Element;
      if (el.getAttribute?.("data-copy-nonce") === COPY_NONCE) {
        ownButtons.add(node);
      } else {
        el.parentNode?.removeChild(el);
      }
    }
  });
  p.addHook("afterSanitizeAttributes", (node) => {
    const el = node as Element;
    if (!el.tagName) return;
    const tag = el.tagName.toLowerCase();
    if (tag === "a") {
      const href = el.getAttribute("href");
      if (href !== null && !SAFE_LINK.test(href.trim())) el.removeAttribute("href");
      if (el.hasAttribute("href")) {
        el.setAttribute("rel", "noreferrer noopener");
        el.setAttribute("target", "_blank");
      } else {
        el.removeAttribute("target");
      }
    } else if (tag === "img") {
      const src = el.getAttribute("src") ?? "";
      if (!SAFE_IMAGE.test(src)) el.parentNode?.removeChild(el);
    } else if (el.namespaceURI === MATHML_NAMESPACE) {
      // MathML may carry links (`href` on any element in MathML 3): formulas never link.
      el.removeAttribute("href");
    } else if (tag === "button" && ownButtons.has(node)) {
      el.setAttribute("type", "button");
      el.setAttribute("class", "code-copy");
      el.setAttribute("data-testid", "code-copy");
      el.setAttribute("aria-label", msg.chat_code_copy_label());
    }
  });
  // Set once: parsing the configuration on every call costs more than a short block.
  p.setConfig({
    FORBID_TAGS,
    // KaTeX's MathML keeps the TeX source in `<semantics><annotation>`, which DOMPurify leaves
    // out by default; copying a formula gives that source (`math.ts`). Both hold only MathML
    // or text: `annotation-xml`, which may hold HTML, stays out.
    ADD_TAGS: ["semantics", "annotation"],
    // Attributes whose values are not URLs, so `ALLOWED_URI_REGEXP` (which wants a scheme)
    // must not judge them: the presentation attributes of KaTeX's MathML.
    ADD_URI_SAFE_ATTR: MATHML_PRESENTATION_ATTR,
    FORBID_ATTR: ["style", "srcset", "action", "formaction", "xlink:href", "ping"],
    ADD_ATTR: ["target"],
    ALLOW_DATA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|data:image\/(?:png|jpeg|gif|webp);base64,|#)/i,
    RETURN_TRUSTED_TYPE: false,
  });
  purifier = p;
  return p;
}

/** Sanitises HTML produced from untrusted markdown; see the module comment for what is removed. */
export function sanitizeHtml(html: string): string {
  const p = getPurifier();
  ownButtons = new WeakSet<Node>();
  return p.sanitize(html) as string;
}

// ---------------------------------------------------------------------------------------------
// Rendering

type RenderOptions = {
  /** Highlight fenced code (off for a code block that is still being streamed). */
  highlight: boolean;
};

const renderOptions: RenderOptions = { highlight: true };

function safeLang(lang: string | undefined): string | null {
  const first = (lang ?? "").trim().split(/\s+/)[0] ?? "";
  const clean = first.replace(/[^\w+#.-]/g, "").slice(0, 32);
  return clean ? clean.toLowerCase() : null;
}

const marked = new Marked(mathExtension, {
  gfm: true,
  breaks: false,
  renderer: {
    code(token: Tokens.Code): string {
      const lang = safeLang(token.lang);
      const { html, language } = highlightCode(token.text, lang, renderOptions.highlight);
      const label = escapeHtml(lang ?? language ?? "text");
      const cls = language ? `hljs language-${language}` : "hljs";
      return (
        `<div class="code-block"><div class="code-header"><span class="code-lang">${label}</span>` +
        `<button data-copy-nonce="${COPY_NONCE}">${escapeHtml(msg.chat_code_copy())}</button></div>` +
        `<pre><code class="${cls}">${setAside(html)}</code></pre></div>`
      );
    },
    // Raw HTML in a reply is shown as text: a model that mentions `<div>` in prose means the
    // characters, and no markup from the model ever reaches the DOM (DOMPurify stays as a
    // second line of defence for everything marked generates).
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
    image(token: Tokens.Image): string {
      // Remote images are not loaded (privacy); show them as a link the user can open.
      const name = token.text || msg.chat_markdown_image_alt();
      const alt = escapeHtml(name);
      if (SAFE_IMAGE.test(token.href)) return `<img src="${escapeHtml(token.href)}" alt="${alt}">`;
      const text = escapeHtml(msg.chat_markdown_image_link({ alt: name }));
      if (SAFE_LINK.test(token.href)) {
        return `<a href="${escapeHtml(token.href)}" class="image-link">${text}</a>`;
      }
      return `<span class="image-link">${text}</span>`;
    },
  },
});

/** Renders one markdown string to sanitised HTML. */
export function renderMarkdown(source: string, options: Partial<RenderOptions> = {}): string {
  return renderTokens(lex(source), options.highlight ?? true);
}

/** Block tokens of `source` (through `MathLexer`, which keeps emphasis out of math). */
function lex(source: string): TokensList {
  return new MathLexer(marked.defaults).lex(source);
}

/**
 * Highlighted code set aside while a render is sanitised (`renderTokens`), and put back after:
 * DOMPurify walked every `<span>` highlight.js makes, which was most of the cost of a code block
 * in WebKitGTK (a 48-line block: 3-4 ms per render; issue 13, the frame in which a streamed
 * block settles). Only HTML that `isCodeHtml` accepts is set aside; anything else stays in the
 * render and is sanitised with it. Null outside a render.
 */
let codeAside: string[] | null = null;
/** Stands for the `n`-th piece set aside: a plain word, unique per session (a reply cannot guess it). */
const codeMark = (n: number) => `parleycode${COPY_NONCE}x${n}x`;
const CODE_MARK = new RegExp(`parleycode${COPY_NONCE}x(\\d+)x`, "g");
/** The markup highlight.js and `escapeHtml` write: class-only spans around escaped text. */
const CODE_SPAN = /<span class="[\w .-]*">|<\/span>/g;
const UNESCAPED = /[<>"']|&(?!(?:amp|lt|gt|quot|#x27);)/;

/**
 * Whether `html` is only what highlight.js or `escapeHtml` make of code: `<span>`s with a class
 * of word characters, spaces, dots and dashes, and text in which `<`, `>`, `&`, `"` and `'` are
 * escaped. Such HTML has no other element, attribute or URL: nothing for DOMPurify to remove.
 */
export function isCodeHtml(html: string): boolean {
  return !UNESCAPED.test(html.replace(CODE_SPAN, ""));
}

function setAside(html: string): string {
  if (codeAside === null || !isCodeHtml(html)) return html;
  codeAside.push(html);
  return codeMark(codeAside.length - 1);
}

function renderTokens(tokens: Token[], highlight: boolean): string {
  renderOptions.highlight = highlight;
  const aside: string[] = [];
  codeAside = aside;
  try {
    const html = sanitizeHtml(marked.parser(tokens));
    return aside.length === 0
      ? html
      : html.replace(CODE_MARK, (mark, n: string) => aside[Number(n)] ?? mark);
  } finally {
    codeAside = null;
    renderOptions.highlight = true;
  }
}

export type Segment = { key: string; html: string };

/** The channel `yieldToFrames` posts to, and the renders waiting for its messages. */
const yielding = new MessageChannel();
const resumes: (() => void)[] = [];
yielding.port1.onmessage = () => resumes.shift()?.();

/**
 * Lets the event loop run (a frame, input) between slices of a render. A message, not
 * `setTimeout(0)`: nested timers wait at least 4 ms, a quarter to a third of a 100,000-token
 * reply's first render in WebKitGTK (32 slices: 163-224 ms in all, 123-179 ms this way).
 */
function yieldToFrames(): Promise<void> {
  return new Promise((resolve) => {
    resumes.push(resolve);
    yielding.port2.postMessage(null);
  });
}

// ---------------------------------------------------------------------------------------------
// Incremental rendering

/**
 * Stands for the frozen start of a paragraph in the text that is parsed again: a plain word,
 * unique per session (a reply cannot guess it), that marked passes through as text.
 */
const FROZEN_MARK = `parleyfrozen${COPY_NONCE}`;
/** How much a paragraph grows before more of it is frozen. */
const FREEZE_STEP = 512;
/** Blank lines and up to three spaces before a paragraph's first character. */
const PARAGRAPH_LEAD = /(?:[ ]*\n)*[ ]{0,3}/y;
/**
 * How a line inside a frozen paragraph may begin: with something that can only continue a
 * paragraph (never a list item, heading, quote, fence, table row, HTML or a setext underline).
 */
const PARAGRAPH_LINE_START = /[\p{L}"'(]|\d+(?![\d.)])|[*_]{1,3}(?![\s*_])|`{1,2}(?![\s`])/uy;
/** Inline tokens that are complete in themselves: text after them cannot change them. */
const CLOSED_INLINE = new Set([
  "text",
  "strong",
  "em",
  "codespan",
  "del",
  "link",
  "image",
  "escape",
  "br",
  "math",
]);
/** Characters in plain text that a later character could still turn into markup. */
const OPEN_INLINE_MARKER = /[`*~[\]<\\]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/u;
const INLINE_MARKER = /[`*_~[\]<\\$]/g;

/**
 * Whether a `$` in the plain text `raw` (at `at` in `chunk`) may still open math once more text
 * streams in. Each was found not to be math when the chunk was lexed: either nothing after it
 * can change that ("$5 and $10"), or its closing `$` has not arrived yet.
 */
function mathMayOpen(chunk: string, at: number, raw: string): boolean {
  for (let i = raw.indexOf("$"); i !== -1; i = raw.indexOf("$", i + 1)) {
    if (scanMath(chunk, at + i) === "open") return true;
  }
  return false;
}

/** The start of a paragraph whose inline HTML is known, and which later text cannot change. */
type Frozen = { start: number; end: number; html: string };

function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\n" || ch === "\t" || ch === "\r";
}

/** The latest cut in (from, limit]: a space or newline after a non-space character. */
function lastCut(text: string, from: number, limit: number): number {
  for (let w = Math.min(limit, text.length - 1); w > from; w--) {
    const ch = text[w];
    if ((ch === " " || ch === "\n") && !isSpace(text[w - 1])) return w;
  }
  return -1;
}

/**
 * The first position at or after `from` that a frozen paragraph must not reach: a tab or
 * carriage return, or a newline not followed (yet) by a line that surely continues it.
 */
function paragraphStop(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\t" || ch === "\r") return i;
    if (ch === "\n") {
      PARAGRAPH_LINE_START.lastIndex = i + 1;
      if (!PARAGRAPH_LINE_START.test(text)) return i;
    }
  }
  return text.length;
}

/** The sanitised inline HTML of `chunk` when nothing in it is left open, else null. */
function closedInlineHtml(chunk: string): string | null {
  const tokens = new MathLexer(marked.defaults).inlineTokens(chunk);
  let at = 0;
  for (const token of tokens) {
    if (!CLOSED_INLINE.has(token.type)) return null;
    if (token.type === "text" && OPEN_INLINE_MARKER.test(token.raw)) return null;
    if (token.type === "text" && mathMayOpen(chunk, at, token.raw)) return null;
    // `\(` or `\[` read as an escape: math it may still open once its end streams in.
    if (token.type === "escape" && /^\\[([]/.test(token.raw)) return null;
    at += token.raw.length;
  }
  // Wrapped in an element because DOMPurify returns text without tags as it came, while in a
  // whole render the same text is re-serialised (`&quot;` becomes `"`).
  const html = sanitizeHtml(`<p>${marked.Parser.parseInline(tokens, marked.defaults)}</p>`);
  return html.startsWith("<p>") && html.endsWith("</p>") ? html.slice(3, -4) : null;
}

/**
 * Renders a growing text (a streamed reply) so that a frame costs the new text, not the text so
 * far, and the HTML is always the same as rendering the whole text at once:
 * - the text is cut into blocks at boundaries that later text cannot move (`BlockScanner`);
 *   settled blocks are rendered once, fenced code highlighted then, and kept;
 * - in the unsettled tail, the start of a long paragraph is frozen in pieces once its inline
 *   markup is closed: its HTML is kept, and the text parsed again on each frame has a marker
 *   word in its place, which is swapped for that HTML afterwards. Should the paragraph turn out
 *   to be something else (a table header), the tail is rendered in full instead.
 * A finished text seen for the first time is rendered in one pass. Link reference definitions
 * reach across blocks, so a text that has any is rendered whole.
 */
export class IncrementalMarkdown {
  readonly #freezeStep: number;
  #text = "";
  #streaming = false;
  #segments: Segment[] = [];
  #incremental = false;
  #scanner = new BlockScanner();
  #settled: Segment[] = [];
  #tailStart = 0;
  #frozen: Frozen | null = null;
  #freezeTriedAt = 0;
  #freezeFailed = false;
  #whole = false;

  /** `freezeStep`: how much a paragraph grows before more of it is frozen (tests use less). */
  constructor({ freezeStep = FREEZE_STEP }: { freezeStep?: number } = {}) {
    this.#freezeStep = freezeStep;
  }

  /** How many characters of the unsettled tail are frozen (what a frame does not parse again). */
  get frozenChars(): number {
    return this.#frozen ? this.#frozen.end - this.#frozen.start : 0;
  }

  /** Where the unsettled tail starts: everything before it is rendered and kept. */
  get settledChars(): number {
    return this.#tailStart;
  }

  /**
   * Whether `update(text, false)` would render the whole text in one pass: a finished text that
   * does not continue the one rendered so far.
   */
  rendersWhole(text: string): boolean {
    if (text === this.#text && !this.#streaming) return false;
    return !(this.#incremental && text.startsWith(this.#text));
  }

  /** Takes `segments` as the render of the finished `text` (from `MarkdownCache`). */
  adopt(text: string, segments: Segment[]): Segment[] {
    this.#reset();
    this.#text = text;
    this.#streaming = false;
    return (this.#segments = segments);
  }

  /**
   * Renders a finished text as a stream of `sliceChars` pieces, yielding to the event loop
   * whenever `budgetMs` has been spent, so that frames keep flowing while a long reply renders
   * (one pass over 650 KB takes a quarter of a second). Resolves to the segments, the same as
   * `update(text, false)`'s; or to null when `cancelled()` turned true at a yield. Each piece
   * costs a render of the unsettled tail: on a 500 KB paragraph in jsdom, 16 KB pieces cost
   * about as much as one pass in all (4 KB ones 65% more), about 3 ms each.
   */
  async renderInSlices(
    text: string,
    cancelled: () => boolean,
    { budgetMs = 8, sliceChars = 16384 }: { budgetMs?: number; sliceChars?: number } = {},
  ): Promise<Segment[] | null> {
    this.#reset();
    this.#text = "";
    let at = 0;
    // Link reference definitions make every update a whole render: then one pass is cheaper.
    while (at < text.length && !this.#whole) {
      const sliceStart = performance.now();
      do {
        at = Math.min(text.length, at + sliceChars);
        this.update(text.slice(0, at), true);
      } while (at < text.length && !this.#whole && performance.now() - sliceStart < budgetMs);
      await yieldToFrames();
      if (cancelled()) {
        this.#reset();
        this.#text = "";
        return null;
      }
    }
    return this.update(text, false);
  }

  update(text: string, streaming: boolean): Segment[] {
    if (text === this.#text && streaming === this.#streaming) return this.#segments;
    const continues = this.#incremental && text.startsWith(this.#text);
    this.#text = text;
    this.#streaming = streaming;
    if (!continues) {
      this.#reset();
      if (!streaming) return (this.#segments = this.#wholeText(text));
      this.#incremental = true;
    }
    return (this.#segments = this.#updateIncremental(text, streaming));
  }

  #reset(): void {
    this.#incremental = false;
    this.#scanner = new BlockScanner();
    this.#settled = [];
    this.#tailStart = 0;
    this.#frozen = null;
    this.#freezeTriedAt = 0;
    this.#freezeFailed = false;
    this.#whole = false;
  }

  #wholeText(text: string): Segment[] {
    return text ? [{ key: "all", html: renderMarkdown(text) }] : [];
  }

  #updateIncremental(text: string, streaming: boolean): Segment[] {
    // The blocks settled by this piece of text are rendered together: boundaries are places
    // where the text can be cut, so one render of several blocks is the sum of theirs.
    const boundaries = this.#scanner.scan(text);
    const last = boundaries.at(-1);
    if (last !== undefined) {
      if (!this.#whole) {
        const html = this.#renderTail(text, last, true);
        this.#settled.push({ key: `s${this.#settled.length}`, html });
      }
      this.#tailStart = last;
      this.#frozen = null;
      this.#freezeFailed = false;
      this.#freezeTriedAt = last;
    }
    if (this.#whole) return this.#wholeText(text);
    if (this.#tailStart === text.length) return this.#settled.slice();
    if (streaming) this.#freeze(text);
    const html = this.#renderTail(text, text.length, !(streaming && this.#scanner.openFence));
    if (this.#whole) return this.#wholeText(text);
    return [...this.#settled, { key: "tail", html }];
  }

  /** Renders the text from the tail's start to `end`, the frozen paragraph start as kept. */
  #renderTail(text: string, end: number, highlight: boolean): string {
    const frozen = this.#frozen;
    if (frozen && frozen.end <= end) {
      const source =
        text.slice(this.#tailStart, frozen.start) + FROZEN_MARK + text.slice(frozen.end, end);
      const tokens = lex(source);
      this.#noteLinks(tokens);
      const first = tokens.find((t) => t.type !== "space");
      // A paragraph, or a setext heading if an underline followed: either way the same inline.
      if (
        (first?.type === "paragraph" || first?.type === "heading") &&
        first.raw.trimStart().startsWith(FROZEN_MARK)
      ) {
        const html = renderTokens(tokens, highlight);
        const at = html.indexOf(FROZEN_MARK);
        if (at !== -1 && html.indexOf(FROZEN_MARK, at + 1) === -1) {
          return html.slice(0, at) + frozen.html + html.slice(at + FROZEN_MARK.length);
        }
      }
      this.#frozen = null;
      this.#freezeFailed = true;
    }
    const tokens = lex(text.slice(this.#tailStart, end));
    this.#noteLinks(tokens);
    return renderTokens(tokens, highlight);
  }

  #noteLinks(tokens: TokensList): void {
    if (Object.keys(tokens.links).length > 0) this.#whole = true;
  }

  /** Freezes more of the tail's first paragraph, if it has grown enough and is closed. */
  #freeze(text: string): void {
    if (this.#freezeFailed || text.length - this.#freezeTriedAt < this.#freezeStep) return;
    this.#freezeTriedAt = text.length;
    let from: number;
    if (this.#frozen) {
      from = this.#frozen.end;
    } else {
      PARAGRAPH_LEAD.lastIndex = this.#tailStart;
      PARAGRAPH_LEAD.exec(text);
      from = PARAGRAPH_LEAD.lastIndex;
      PARAGRAPH_LINE_START.lastIndex = from;
      if (!PARAGRAPH_LINE_START.test(text)) return;
    }
    let cut = lastCut(text, from, paragraphStop(text, from));
    let html = cut > from ? closedInlineHtml(text.slice(from, cut)) : null;
    if (html === null && cut > from) {
      // Something is open: freeze up to the first inline marker instead.
      INLINE_MARKER.lastIndex = from;
      const marker = INLINE_MARKER.exec(text);
      if (marker && marker.index < cut) {
        cut = lastCut(text, from, marker.index);
        html = cut > from ? closedInlineHtml(text.slice(from, cut)) : null;
      }
    }
    if (html === null) return;
    this.#frozen = {
      start: this.#frozen?.start ?? from,
      end: cut,
      html: (this.#frozen?.html ?? "") + html,
    };
  }
}
