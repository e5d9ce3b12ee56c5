// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";
import { markPrefill, unmarkPrefill, visiblePrefill } from "./prefillMark";

/** The reply rendered whole, with its prefill marked; marks shown as [..]. */
function marked(text: string, prefill: string): string {
  const root = document.createElement("div");
  root.innerHTML = renderMarkdown(text, { highlight: false });
  markPrefill(root, visiblePrefill(prefill));
  for (const mark of root.querySelectorAll("mark")) {
    mark.replaceWith(`[${mark.textContent}]`);
  }
  return root.innerHTML.replace(/\n/g, "");
}

describe("marking the prefill in a rendered reply", () => {
  it("marks the start of the first paragraph; the reply stays one paragraph", () => {
    expect(marked("Sure, the answer is 42.", "Sure, the answer is")).toBe(
      "<p>[Sure, the answer is] 42.</p>",
    );
    expect(marked("Echo: Hello there", "Echo: Hel")).toBe("<p>[Echo: Hel]lo there</p>");
  });

  it("renders markdown that spans the prefill and its continuation", () => {
    expect(marked("**Answer:** yes", "**Answer:")).toBe("<p><strong>[Answer:]</strong> yes</p>");
    expect(marked("Steps:\n\n1. One\n2. Two", "Steps:\n\n1. On")).toBe(
      "<p>[Steps:]</p><ol><li>[On]e</li><li>Two</li></ol>",
    );
    expect(marked("Use `code` here", "Use `co")).toBe("<p>[Use ]<code>[co]de</code> here</p>");
  });

  it("marks text inside a code block the prefill opened", () => {
    const root = document.createElement("div");
    root.innerHTML = renderMarkdown('```json\n{"ok": true}\n```', { highlight: false });
    markPrefill(root, visiblePrefill("```json\n{"));
    expect(root.querySelector("pre mark")?.textContent).toBe("{");
  });

  it("stops where the text differs, and can be removed again", () => {
    const root = document.createElement("div");
    root.innerHTML = "<p>Hello world</p>";
    expect(markPrefill(root, "Help")).toBe(false);
    expect(root.querySelectorAll("mark"), "nothing half marked").toHaveLength(0);
    expect(markPrefill(root, "Hello world and more")).toBe(false);
    expect(markPrefill(root, "Hello")).toBe(true);
    expect(root.querySelector("mark")?.title).toBe("You started the reply with this");
    unmarkPrefill(root);
    expect(root.innerHTML).toBe("<p>Hello world</p>");
    expect(root.querySelector("p")?.childNodes).toHaveLength(1);
  });
});
