/**
 * The markdown renderer (marked, DOMPurify, highlight.js, KaTeX: more than half of the UI's
 * code) is its own chunk, loaded once the window has painted rather than before: evaluating it
 * delayed the first paint of the conversation list by about 90 ms in WebKitGTK. Until it is
 * there (a moment after start-up), a reply's text shows as plain text.
 */
type MarkdownModule = typeof import("./components/chat/Markdown.svelte");

/** A little of everything a reply holds: inline markup, a list, a table, code and math. */
const WARM_UP = [
  "# Title",
  "Some **bold**, *em*, `code` and [a link](https://example.com).",
  "- one\n- two",
  "| a | b |\n| - | - |\n| 1 | 2 |",
  "```js\nconst answer = 42;\n```",
  "```rust\nfn main() {}\n```",
  "$x^2$",
].join("\n\n");

class MarkdownLoader {
  /** The `Markdown` component once its chunk has loaded. */
  component = $state.raw<MarkdownModule["default"] | null>(null);
  #loading: Promise<void> | null = null;

  /** Starts loading the chunk (once); resolves when the component is there. */
  load(): Promise<void> {
    this.#loading ??= Promise.all([
      import("./components/chat/Markdown.svelte"),
      import("./markdown"),
    ]).then(
      ([module, markdown]) => {
        this.component = module.default;
        // A first render compiles the parser, sanitiser and highlighter's code paths: done
        // here, in a quiet moment after start-up, rather than when the first conversation opens
        // (which took 130 ms the first time and 50 ms after).
        setTimeout(() => void markdown.renderMarkdown(WARM_UP), 0);
      },
      (error: unknown) => {
        // A chunk that cannot load (a broken install) leaves replies as plain text; another
        // attempt may follow.
        this.#loading = null;
        console.error("Could not load the markdown renderer:", error);
      },
    );
    return this.#loading;
  }
}

export const markdownLoader = new MarkdownLoader();
