// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { setHtml } from "./liveHtml";

function element(html: string): HTMLElement {
  const el = document.createElement("div");
  el.innerHTML = html;
  return el;
}

describe("setHtml", () => {
  it("ends with exactly the new HTML, whatever was there", () => {
    const cases: [string, string][] = [
      ["", "<p>one</p>"],
      ["<p>one</p>", ""],
      ["<p>one</p>", "<p>one two</p>"],
      ["<p>one two</p>", "<p>one</p>"],
      ["<p>a</p><ul><li>x</li></ul>", "<p>a</p><ul><li>x</li><li>y</li></ul>"],
      ["<p>a <strong>b</strong></p>", "<h2>a <strong>b</strong></h2>"],
      ['<a href="https://a.example">x</a>', '<a href="https://b.example">x</a>'],
      ['<a href="https://a.example" rel="x">x</a>', '<a href="https://a.example">x</a>'],
      ["<p>text</p>tail text", "<p>text</p><pre><code>tail</code></pre>"],
      ["<table><tbody><tr><td>1</td></tr></tbody></table>", "<p>gone</p>"],
    ];
    for (const [before, after] of cases) {
      const el = element(before);
      setHtml(el, after);
      expect(el.innerHTML, `${before} -> ${after}`).toBe(element(after).innerHTML);
    }
  });

  it("keeps unchanged nodes and appends to a growing text node", () => {
    const el = element("<p>first</p><p>grow</p>");
    const first = el.firstChild;
    const growing = el.lastChild!.firstChild;
    setHtml(el, "<p>first</p><p>growing more</p>");
    expect(el.firstChild).toBe(first);
    expect(el.lastChild!.firstChild).toBe(growing);
    expect(growing!.nodeValue).toBe("growing more");
  });

  it("replaces an element whose tag or attributes changed", () => {
    const el = element('<p>x</p><a href="https://a.example">link</a>');
    const link = el.lastChild;
    setHtml(el, '<p>x</p><a href="https://b.example">link</a>');
    expect(el.lastChild).not.toBe(link);
    expect((el.lastChild as HTMLAnchorElement).getAttribute("href")).toBe("https://b.example");
  });
});
