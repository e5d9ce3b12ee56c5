// @vitest-environment jsdom
import katex from "katex";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IncrementalMarkdown, renderMarkdown, sanitizeHtml } from "./markdown";
import { copyMathSource, renderMath, scanMath } from "./math";

/** The rendered HTML parsed, for querying. */
function dom(html: string): DocumentFragment {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

/** The TeX of each formula in `html`, in order, with whether it is display math. */
function formulas(html: string): { tex: string; display: boolean }[] {
  return [...dom(html).querySelectorAll("math")].map((m) => ({
    tex: m.querySelector('annotation[encoding="application/x-tex"]')?.textContent ?? "",
    display: m.getAttribute("display") === "block",
  }));
}

/** What a reader sees of `html` (formulas excluded), whitespace collapsed. */
function proseOf(html: string): string {
  const root = dom(html);
  for (const m of root.querySelectorAll(".katex")) m.remove();
  return (root.textContent ?? "").replace(/\s+/g, " ").trim();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("math in replies", () => {
  it("renders $...$ and \\(...\\) inline, as MathML with the TeX kept in an annotation", () => {
    const html = renderMarkdown("Euler: $e^{i\\pi} + 1 = 0$ and \\(a^2 + b^2\\).");
    expect(formulas(html)).toEqual([
      { tex: "e^{i\\pi} + 1 = 0", display: false },
      { tex: "a^2 + b^2", display: false },
    ]);
    expect(html, "MathML only: no KaTeX HTML layout that would need its CSS").not.toContain(
      "katex-html",
    );
    expect(proseOf(html)).toBe("Euler: and .");
  });

  it("renders $$...$$ and \\[...\\] as display math, across lines of one paragraph", () => {
    const html = renderMarkdown(
      "Sum:\n$$\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n$$\nand \\[x = 1\\]",
    );
    expect(formulas(html)).toEqual([
      { tex: "\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n", display: true },
      { tex: "x = 1", display: true },
    ]);
    const sum = dom(html).querySelector("math")!;
    expect(sum.querySelector("mfrac"), "a real fraction, not text").not.toBeNull();
  });

  it("leaves prices alone: $5 and $10 is text, as is a closing $ before a digit or after a space", () => {
    for (const text of [
      "It costs $5 and $10.",
      "From $5 to $10 and $20.",
      "$x$5 is not math",
      "$ x$ is not math",
      "$x $ is not math",
      "US$ 3 and $",
    ]) {
      const html = renderMarkdown(text);
      expect(formulas(html), text).toEqual([]);
      expect(proseOf(html), text).toBe(text);
    }
    // A price next to real math: only the math is math.
    expect(formulas(renderMarkdown("Pay $5 for $x^2$ today"))).toEqual([
      { tex: "x^2", display: false },
    ]);
  });

  it("takes \\$ as a literal dollar, outside math and inside it", () => {
    const html = renderMarkdown("Costs \\$5, or \\$x\\$ in text; $\\$3 + y$ is math.");
    expect(proseOf(html)).toBe("Costs $5, or $x$ in text; is math.");
    expect(formulas(html)).toEqual([{ tex: "\\$3 + y", display: false }]);
  });

  it("does not touch code spans or fenced code", () => {
    const text = [
      "Inline `$x^2$` and `` `$$y$$` `` stay code; `a $b` and c$` too.",
      "",
      "```tex",
      "$$\\int_0^1 x\\,dx$$ and $z$",
      "```",
      "",
      "~~~",
      "\\(q\\)",
      "~~~",
    ].join("\n");
    const html = renderMarkdown(text);
    expect(formulas(html)).toEqual([]);
    const code = [...dom(html).querySelectorAll("code")].map((c) => c.textContent);
    expect(code).toEqual(["$x^2$", "`$$y$$`", "a $b", "$$\\int_0^1 x\\,dx$$ and $z$", "\\(q\\)"]);
  });

  it("shows malformed LaTeX as its source, escaped: never an error box or red text", () => {
    for (const [text, shown] of [
      ["bad $\\frac{1}{$ end", "bad $\\frac{1}{$ end"],
      ["$\\notacommand{x}$", "$\\notacommand{x}$"],
      ["$$x^{$$", "$$x^{$$"],
      ["$<script>alert(1)</script>\\frac$", "$<script>alert(1)</script>\\frac$"],
      // Commands that need trust would render red: they are shown as source too.
      ["$\\href{https://evil.example}{x}$", "$\\href{https://evil.example}{x}$"],
    ]) {
      const html = renderMarkdown(text!);
      expect(formulas(html), text).toEqual([]);
      expect(proseOf(html), text).toBe(shown);
      expect(html, text).not.toMatch(/katex-error|mathcolor|#cc0000|<script/);
    }
  });

  it("keeps emphasis from pairing with a * or _ inside math", () => {
    const html = renderMarkdown("*note: $x^*$ is the conjugate* and _see $a_{1}$ here_");
    expect(formulas(html).map((f) => f.tex)).toEqual(["x^*", "a_{1}"]);
    const em = [...dom(html).querySelectorAll("em")].map((e) => proseOf(e.innerHTML));
    expect(em).toEqual(["note: is the conjugate", "see here"]);
  });

  it("renders math in headings, lists, quotes and tables", () => {
    const html = renderMarkdown("# Area $\\pi r^2$\n\n- $a$\n\n> $b$\n\n| x |\n|---|\n| $c$ |");
    expect(formulas(html).map((f) => f.tex)).toEqual(["\\pi r^2", "a", "b", "c"]);
  });

  it("scanMath tells math, text that may still become math, and text that cannot", () => {
    expect(scanMath("$x$ y")).toEqual({ raw: "$x$", tex: "x", display: false });
    expect(scanMath("$x + ")).toBe("open");
    expect(scanMath("$$x")).toBe("open");
    expect(scanMath("\\(x")).toBe("open");
    expect(scanMath("$5 and $10")).toBe("none");
    expect(scanMath("$x$1")).toBe("none");
    expect(scanMath("$ x$")).toBe("none");
    expect(scanMath("$x `y$`")).toBe("none");
    expect(scanMath("$$ $$")).toBe("none");
  });
});

describe("math while streaming", () => {
  /** Feeds `text` to a streaming renderer in pieces; returns the HTML after each piece. */
  function stream(pieces: string[], md = new IncrementalMarkdown({ freezeStep: 8 })): string[] {
    let text = "";
    return pieces.map((piece) => {
      text += piece;
      return md
        .update(text, true)
        .map((s) => s.html)
        .join("");
    });
  }

  it("renders a formula split across deltas once it is closed, with no $ left over", () => {
    const text = "The area is $A = \\pi r^2$, where $r$ is the radius.";
    const frames = stream([...text]);
    const last = frames.at(-1)!;
    expect(formulas(last)).toEqual([
      { tex: "A = \\pi r^2", display: false },
      { tex: "r", display: false },
    ]);
    expect(proseOf(last)).toBe("The area is , where is the radius.");
    expect(proseOf(last), "no delimiter left in the text").not.toContain("$");
    // Before the closing $ arrives, the formula is shown as its source.
    const open = frames[text.indexOf("^2$")]!;
    expect(formulas(open)).toEqual([]);
    expect(proseOf(open)).toBe("The area is $A = \\pi r^");
  });

  it("shows an unclosed $$ as source while streaming, then one display formula", () => {
    const pieces = [
      "Therefore\n\n",
      "$$",
      "\\int_0^1",
      " x\\,dx",
      " = \\frac{1}{2}",
      "$",
      "$\n\nDone.",
    ];
    const frames = stream(pieces);
    for (const frame of frames.slice(1, 5)) {
      expect(formulas(frame)).toEqual([]);
      expect(proseOf(frame)).toMatch(/^Therefore \$\$/);
    }
    const last = frames.at(-1)!;
    expect(formulas(last)).toEqual([{ tex: "\\int_0^1 x\\,dx = \\frac{1}{2}", display: true }]);
    expect(proseOf(last)).toBe("Therefore Done.");
    expect(last).toBe(renderMarkdown(pieces.join("")));
  });

  it("gives the HTML of a one-shot render after every piece", { timeout: 60_000 }, () => {
    const text =
      "Let $f(x) = x^2$ and pay $5 or $10 for \\(g\\). *Note: $z^*$ is* $$\\sum_i a_i$$ " +
      "then \\$3 and `$code$` and $\\frac{1}{$ broken, then $a$ $b$ $c$ words ".repeat(4);
    for (const step of [1, 5]) {
      const md = new IncrementalMarkdown({ freezeStep: 16 });
      for (let at = step; at < text.length + step; at += step) {
        const prefix = text.slice(0, at);
        const html = md
          .update(prefix, true)
          .map((s) => s.html)
          .join("");
        expect(html, JSON.stringify(prefix)).toBe(renderMarkdown(prefix));
      }
      expect(md.frozenChars, "closed math does not stop freezing").toBeGreaterThan(200);
    }
  });

  it("does not typeset settled math again on later frames", () => {
    const spy = vi.spyOn(katex, "renderToString");
    const md = new IncrementalMarkdown({ freezeStep: 8 });
    let text = "Unique $\\alpha_{streamed}$ formula";
    md.update(text, true);
    const calls = spy.mock.calls.length;
    expect(calls).toBe(1);
    for (let i = 0; i < 100; i++) {
      text += " word";
      md.update(text, true);
    }
    expect(spy.mock.calls.length, "each frame reuses the typeset formula").toBe(calls);
  });

  it("caches typeset formulas by TeX and display mode", () => {
    const spy = vi.spyOn(katex, "renderToString");
    const inline = renderMath("\\beta_{cached}", false);
    expect(renderMath("\\beta_{cached}", false)).toBe(inline);
    const display = renderMath("\\beta_{cached}", true);
    expect(display).not.toBe(inline);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(renderMath("\\frac{", false), "a refusal is cached too").toBeNull();
    expect(renderMath("\\frac{", false)).toBeNull();
    expect(spy).toHaveBeenCalledTimes(3);
  });
});

describe("the sanitiser and MathML", () => {
  it("keeps KaTeX's MathML and its TeX annotation", () => {
    const html = renderMath("x^2", true)!;
    expect(sanitizeHtml(html)).toBe(html);
  });

  it("removes scripts, handlers, links and HTML islands from MathML", () => {
    const dirty = [
      '<math xmlns="http://www.w3.org/1998/Math/MathML" onclick="alert(1)">',
      '<semantics><mrow href="javascript:alert(1)" onmouseover="alert(1)">',
      '<mi href="https://evil.example" xlink:href="javascript:alert(2)">x</mi>',
      '<mtext><script>alert(3)</script><img src="x" onerror="alert(4)"></mtext>',
      '<maction actiontype="statusline"><mi>y</mi><mtext>spoof</mtext></maction>',
      '<mi style="position:fixed">z</mi>',
      "</mrow>",
      '<annotation-xml encoding="text/html"><img src="x" onerror="alert(5)"></annotation-xml>',
      '<annotation encoding="application/x-tex">x</annotation>',
      "</semantics></math>",
    ].join("");
    const clean = sanitizeHtml(dirty);
    for (const bad of [
      "onclick",
      "onmouseover",
      "onerror",
      "href",
      "javascript:",
      "<script",
      "<img",
      "maction",
      "annotation-xml",
      "style=",
    ]) {
      expect(clean, bad).not.toContain(bad);
    }
    expect(clean).toContain("<math");
    expect(clean).toContain('<annotation encoding="application/x-tex">x</annotation>');
  });

  it("shows math typed as raw HTML in a reply as text", () => {
    const html = renderMarkdown('<math><mi href="https://evil.example">x</mi></math>');
    expect(html).not.toContain("<math");
    expect(proseOf(html)).toBe('<math><mi href="https://evil.example">x</mi></math>');
  });
});

describe("copying math", () => {
  /** Dispatches a copy of the whole of `root` and returns what went on the clipboard. */
  function copyAll(root: Element): { text: string; html: string; prevented: boolean } {
    const range = document.createRange();
    range.selectNodeContents(root);
    const selection = document.getSelection()!;
    selection.removeAllRanges();
    selection.addRange(range);
    const data = new Map<string, string>();
    let prevented = false;
    copyMathSource({
      clipboardData: { setData: (type: string, value: string) => data.set(type, value) },
      preventDefault: () => (prevented = true),
    } as unknown as ClipboardEvent);
    return { text: data.get("text/plain") ?? "", html: data.get("text/html") ?? "", prevented };
  }

  it("puts the LaTeX source of each formula on the clipboard, not the MathML text", () => {
    const root = document.createElement("div");
    root.innerHTML = renderMarkdown("Here $x^2 + y_1$ is it.\n\n$$\\frac{a}{b}$$");
    document.body.append(root);
    const copied = copyAll(root);
    root.remove();
    expect(copied.prevented).toBe(true);
    expect(copied.text).toContain("Here $x^2 + y_1$ is it.");
    expect(copied.text).toContain("$$\\frac{a}{b}$$");
    expect(copied.html).not.toContain("<math");
  });

  it("copies a formula whole when the selection starts inside it", () => {
    const root = document.createElement("div");
    root.innerHTML = renderMarkdown("Then $x^2$ ends.");
    document.body.append(root);
    const range = document.createRange();
    range.setStart(root.querySelector("mi")!.firstChild!, 0);
    range.setEnd(root.querySelector("p")!.lastChild!, 3);
    document.getSelection()!.removeAllRanges();
    document.getSelection()!.addRange(range);
    let text = "";
    copyMathSource({
      clipboardData: { setData: (_: string, value: string) => (text ||= value) },
      preventDefault: () => {},
    } as unknown as ClipboardEvent);
    root.remove();
    expect(text).toBe("$x^2$ en");
  });

  it("leaves a selection without math to the browser", () => {
    const root = document.createElement("div");
    root.innerHTML = renderMarkdown("Only $5 and $10 here.");
    document.body.append(root);
    const copied = copyAll(root);
    root.remove();
    expect(copied.prevented).toBe(false);
    expect(copied.text).toBe("");
  });
});
