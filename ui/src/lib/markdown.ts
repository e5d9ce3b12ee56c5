/**
 * Markdown for model output: marked (GFM) -> highlight.js for fenced code -> DOMPurify.
 *
 * Model output is untrusted input (prompt injection can make a reply carry any HTML), so every
 * string that reaches `{@html}` has been through `sanitizeHtml`: no scripts, no event handlers, no
 * forms or frames, no inline styles, links only to http(s)/mailto, no remote images (a remote image
 * would leak data to whoever the prompt names the moment it renders). Raw HTML in the markdown is
 * escaped and shown as text.
 *
 * Long replies are rendered incrementally (`IncrementalMarkdown`): the text is cut into blocks at
 * blank lines outside fenced code; blocks that can no longer change are rendered once and cached,
 * and only the unsettled tail is re-rendered on each frame.
 */
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";
import { escapeHtml, highlightCode } from "./highlight";

// ---------------------------------------------------------------------------------------------
// Splitting into settled blocks

type Fence = { char: "`" | "~"; length: number };

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const BLANK = /^[ \t]*$/;

/** Where the text can be cut: block starts after `from`, and whether a code fence is still open. */
export type Scan = { boundaries: number[]; openFence: boolean };

/**
 * Finds block boundaries in `text`, starting at `from` (a line start outside fenced code).
 *
 * A boundary is the start of a non-blank line that follows a blank line outside fenced code and
 * is not indented (an indented line after a blank line continues a list item or an indented code
 * block, so cutting there would change the meaning). Lines are only judged once complete, except
 * that the first character of the last, incomplete line is enough to place a boundary before it.
 */
export function scanBlocks(text: string, from = 0): Scan {
  const boundaries: number[] = [];
  let fence: Fence | null = null;
  let sawBlank = false;
  let blockHasContent = false;
  let i = from;
  while (i < text.length) {
    const newline = text.indexOf("\n", i);
    const complete = newline !== -1;
    const end = complete ? newline : text.length;
    const line = text.slice(i, end);
    if (fence) {
      const m = complete ? FENCE_OPEN.exec(line) : null;
      if (m && m[1]![0] === fence.char && m[1]!.length >= fence.length && BLANK.test(m[2]!)) {
        fence = null;
      }
    } else if (BLANK.test(line)) {
      if (complete) sawBlank = true;
    } else {
      if (sawBlank && blockHasContent && !/^[ \t]/.test(line)) {
        boundaries.push(i);
      }
      sawBlank = false;
      blockHasContent = true;
      const m = complete ? FENCE_OPEN.exec(line) : null;
      if (m) {
        const marker = m[1]!;
        const info = m[2]!;
        // A backtick fence's info string may not contain backticks (CommonMark 4.5).
        if (!(marker[0] === "`" && info.includes("`"))) {
          fence = { char: marker[0] as "`" | "~", length: marker.length };
        }
      }
    }
    if (!complete) break;
    i = newline + 1;
  }
  return { boundaries, openFence: fence !== null };
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
  "math",
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
    } else if (tag === "button" && ownButtons.has(node)) {
      el.setAttribute("type", "button");
      el.setAttribute("class", "code-copy");
      el.setAttribute("data-testid", "code-copy");
      el.setAttribute("aria-label", "Copy code");
    }
  });
  purifier = p;
  return p;
}

/** Sanitises HTML produced from untrusted markdown; see the module comment for what is removed. */
export function sanitizeHtml(html: string): string {
  const p = getPurifier();
  ownButtons = new WeakSet<Node>();
  return p.sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR: ["style", "srcset", "action", "formaction", "xlink:href", "ping"],
    ADD_ATTR: ["target"],
    ALLOW_DATA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|data:image\/(?:png|jpeg|gif|webp);base64,|#)/i,
    RETURN_TRUSTED_TYPE: false,
  }) as string;
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

const marked = new Marked({
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
        `<button data-copy-nonce="${COPY_NONCE}">Copy</button></div>` +
        `<pre><code class="${cls}">${html}</code></pre></div>`
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
      const alt = escapeHtml(token.text || "image");
      if (SAFE_IMAGE.test(token.href)) return `<img src="${escapeHtml(token.href)}" alt="${alt}">`;
      if (SAFE_LINK.test(token.href)) {
        return `<a href="${escapeHtml(token.href)}" class="image-link">[image: ${alt}]</a>`;
      }
      return `<span class="image-link">[image: ${alt}]</span>`;
    },
  },
});

/** Renders one markdown string to sanitised HTML. */
export function renderMarkdown(source: string, options: Partial<RenderOptions> = {}): string {
  renderOptions.highlight = options.highlight ?? true;
  try {
    const html = marked.parse(source, { async: false }) as string;
    return sanitizeHtml(html);
  } finally {
    renderOptions.highlight = true;
  }
}

export type Segment = { key: string; html: string };

/**
 * Renders a growing text with per-block caching. `update` is cheap when only the tail changed:
 * settled blocks are never parsed again, and the boundary scan resumes at the last settled block.
 */
export class IncrementalMarkdown {
  #settledText = "";
  #settled: Segment[] = [];

  update(text: string, streaming: boolean): Segment[] {
    if (!text.startsWith(this.#settledText)) {
      this.#settledText = "";
      this.#settled = [];
    }
    const from = this.#settledText.length;
    const scan = scanBlocks(text, from);
    let start = from;
    for (const boundary of scan.boundaries) {
      this.#settled.push({
        key: `s${this.#settled.length}`,
        html: renderMarkdown(text.slice(start, boundary)),
      });
      start = boundary;
    }
    this.#settledText = text.slice(0, start);
    const tail = text.slice(start);
    if (!tail) return this.#settled.slice();
    const html = renderMarkdown(tail, { highlight: !(streaming && scan.openFence) });
    return [...this.#settled, { key: "tail", html }];
  }
}
