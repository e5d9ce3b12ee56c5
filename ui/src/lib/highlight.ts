/**
 * highlight.js with a fixed set of common languages (the full bundle is ~1 MB and registers
 * ~190 grammars we would never load).
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import lua from "highlight.js/lib/languages/lua";
import makefile from "highlight.js/lib/languages/makefile";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import scss from "highlight.js/lib/languages/scss";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import swift from "highlight.js/lib/languages/swift";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = {
  bash,
  c,
  cpp,
  csharp,
  css,
  diff,
  dockerfile,
  go,
  ini,
  java,
  javascript,
  json,
  kotlin,
  lua,
  makefile,
  markdown,
  php,
  plaintext,
  python,
  ruby,
  rust,
  scss,
  shell,
  sql,
  swift,
  typescript,
  xml,
  yaml,
};

for (const [name, language] of Object.entries(LANGUAGES)) {
  hljs.registerLanguage(name, language);
}
hljs.registerAliases(["toml"], { languageName: "ini" });
hljs.registerAliases(["html", "svg", "vue", "svelte"], { languageName: "xml" });
hljs.registerAliases(["sh", "zsh", "console"], { languageName: "bash" });
hljs.registerAliases(["text", "txt"], { languageName: "plaintext" });

/** Auto-detection runs every grammar over the text, so it is limited to short snippets. */
const AUTO_DETECT_LIMIT = 4_000;
/** Past this size highlighting costs more than it helps; the code is shown plain. */
const HIGHLIGHT_LIMIT = 200_000;

export type Highlighted = { html: string; language: string | null };

/**
 * Escapes text the way highlight.js does (`&#x27;` for `'`), so code shows the same HTML
 * highlighted or not: code is not sanitised again after it (`isCodeHtml` in markdown.ts).
 */
function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#x27;");
}

/** Returns escaped, highlighted HTML for `code` (only `<span class="hljs-...">` markup). */
export function highlightCode(code: string, lang: string | null, enabled = true): Highlighted {
  const known = lang && hljs.getLanguage(lang) ? lang : null;
  if (!enabled || code.length > HIGHLIGHT_LIMIT) {
    return { html: escapeHtml(code), language: known };
  }
  if (known) {
    return {
      html: hljs.highlight(code, { language: known, ignoreIllegals: true }).value,
      language: known,
    };
  }
  if (!lang && code.length <= AUTO_DETECT_LIMIT) {
    const result = hljs.highlightAuto(code);
    if (result.language && result.relevance >= 5) {
      return { html: result.value, language: result.language };
    }
  }
  return { html: escapeHtml(code), language: null };
}

export { escapeHtml };
