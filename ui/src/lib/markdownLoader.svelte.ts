/**
 * The markdown renderer (marked, DOMPurify, highlight.js, KaTeX: more than half of the UI's
 * code) is its own chunk, loaded once the conversation list has painted (App.svelte) rather
 * than before: evaluating it delayed the first paint of the conversation list by about 90 ms
 * (WebKitGTK's MiniBrowser with the UI tests' fake backend, six launches each way). Until it
 * is there (a moment after start-up), a reply's text shows as plain text.
 */
import type { MessageView } from "./bindings";
import { locale } from "./stores/locale.svelte";

type MarkdownModule = typeof import("./components/chat/Markdown.svelte");

class MarkdownLoader {
  /** The `Markdown` component once its chunk has loaded. */
  component = $state.raw<MarkdownModule["default"] | null>(null);
  #module: MarkdownModule | null = null;
  #loading: Promise<void> | null = null;

  /** Starts loading the chunk (once); resolves when the component is there. */
  load(): Promise<void> {
    this.#loading ??= import("./components/chat/Markdown.svelte").then(
      (module) => {
        this.#module = module;
        this.component = module.default;
      },
      (error: unknown) => {
        // A chunk that cannot load (a broken install) leaves replies as plain text.
        console.error("Could not load the markdown renderer:", error);
      },
    );
    return this.#loading;
  }

  /**
   * Reads the renders kept from earlier launches of `messages`' long replies (`preloadKept`), for
   * an open to await before it shows them. Before the chunk is there (a moment after start-up)
   * there is nothing to read into: replies show as plain text until it is.
   */
  async preloadKept(messages: readonly MessageView[]): Promise<void> {
    await this.#module?.preloadKept(messages, locale.current);
  }
}

export const markdownLoader = new MarkdownLoader();
