// The catalog check (issue 12): fails when a key is missing from a locale, a placeholder differs
// between locales, a message is empty, or a user-visible literal string is written in a
// component or a module instead of the catalogs.
//
//   node scripts/check-i18n.mjs        (npm run i18n:check)
//
// Catalogs: every `pathPattern` of project.inlang/settings.json, for every locale.
// Components (src/**/*.svelte, parsed with svelte/compiler): text nodes with letters, literal
// values of user-visible attributes, string literals directly inside `{...}` in those places,
// and in the component's <script> the same display sinks as in modules.
// Modules (src/lib/**/*.ts, parsed with the TypeScript compiler API): string literals passed to
// the display sinks (toasts, announcer) and string literals with a space or a capital letter as
// the value of a `title`, `label`, `description` or `message` property.
//
// The functions below take sources, not paths, so the unit tests (check-i18n.test.ts) feed them
// small fixtures; `runCheck(root)` reads the tree.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parseSvelte } from "svelte/compiler";
import ts from "typescript";

/**
 * What may stay as written. Words are removed (as whole words) before a text is judged, so
 * "Parley" passes but "Open Parley" does not; text inside the listed elements is never judged.
 * Keep this short: every entry needs a reason, and unmigrated files never belong here.
 */
export const ALLOW = {
  words: [
    { word: "Parley", reason: "the product name" },
    { word: "Claude", reason: "the model family's name, never translated" },
    { word: "MCP", reason: "protocol name" },
    { word: "JSON", reason: "format name" },
    { word: "API", reason: "protocol term kept in every locale" },
    { word: "URL", reason: "protocol term kept in every locale" },
    { word: "HTTP", reason: "protocol name" },
    { word: "stdio", reason: "MCP transport name" },
  ],
  texts: [
    { text: "English", reason: "a language's own name in the language picker (endonym)" },
    { text: "简体中文", reason: "a language's own name in the language picker (endonym)" },
  ],
  identifiers: {
    reason:
      "a lone protocol token (x-api-key, anthropic-version, metadata.user_id) or an example URL",
    test: (text) =>
      /^[a-z0-9]+(?:[-_.:/]+[a-z0-9]+)+$/.test(text) || /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(text),
  },
  elements: [
    { name: "kbd", reason: "keycaps (Ctrl, Shift, Esc, Enter, letters) are key names, not words" },
    { name: "code", reason: "code, identifiers and file names are never translated" },
  ],
};

/** Attributes (and component props) whose literal value a user sees or hears. */
export const VISIBLE_ATTRIBUTES = new Set([
  "aria-label",
  "aria-description",
  "aria-roledescription",
  "aria-placeholder",
  "aria-valuetext",
  "title",
  "placeholder",
  "alt",
  "label",
]);

/**
 * Calls whose string arguments are shown or spoken: `stores/toasts.svelte.ts` (`show(kind,
 * title, detail)`, `info`, `error`) and `stores/announcer.svelte.ts` (`say`, `alert`).
 * `from` is the first argument that is text (`show`'s first is the kind).
 */
export const SINKS = {
  toasts: { show: 1, info: 0, error: 0 },
  announcer: { say: 0, alert: 0 },
};

/** Object properties whose string literal value is display text. */
export const TEXT_PROPERTIES = new Set(["title", "label", "description", "message"]);

/**
 * @typedef {{ file: string, line?: number, column?: number, kind: string, text: string }} Problem
 */

// ---------------------------------------------------------------------------------------------
// Text judgement

const ALLOWED_WORDS = new RegExp(
  `(?<![\\p{L}\\p{N}_])(?:${ALLOW.words.map((w) => w.word).join("|")})(?![\\p{L}\\p{N}_])`,
  "gu",
);

const ALLOWED_TEXTS = new Set(ALLOW.texts.map((t) => t.text));

/**
 * True when a text needs translating: it has letters once the allowed words are removed, and
 * it is not an allowed text or a lone protocol token.
 */
export function needsTranslation(text) {
  const trimmed = text.trim();
  if (ALLOWED_TEXTS.has(trimmed) || ALLOW.identifiers.test(trimmed)) return false;
  return /\p{L}/u.test(trimmed.replace(ALLOWED_WORDS, ""));
}

/** A text as it appears in a report: whitespace collapsed, long texts cut. */
function shown(text) {
  const one = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(one.length > 80 ? `${one.slice(0, 77)}...` : one);
}

/** 1-based line and column of an offset. */
function lineColumn(source, offset) {
  let line = 1;
  let start = 0;
  for (let i = source.indexOf("\n"); i !== -1 && i < offset; i = source.indexOf("\n", i + 1)) {
    line += 1;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

// ---------------------------------------------------------------------------------------------
// Catalogs

/**
 * The placeholders of a pattern, read as the inlang message-format plugin reads them: `{name}`
 * is a variable, `\{`, `\}` and `\\` are escapes, `{#b}`/`{/b}` are markup, a `{` without its
 * `}` is text.
 */
export function placeholdersOf(pattern) {
  const names = new Set();
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === "\\") {
      if ("{}\\".includes(pattern[i + 1] ?? "")) i += 1;
      continue;
    }
    if (c !== "{") continue;
    const close = pattern.indexOf("}", i + 1);
    if (close === -1) break;
    const inner = pattern.slice(i + 1, close).trim();
    if (!inner.startsWith("#") && !inner.startsWith("/")) names.add(inner);
    i = close;
  }
  return names;
}

/**
 * Reads one message value: its placeholders (the variables its text shows: for a variant
 * message, the inputs its variants use), its declared inputs, its patterns, and what is wrong
 * with its shape.
 * @returns {{ placeholders: Set<string>, inputs: Set<string>, patterns: string[], errors: string[] }}
 */
export function readMessage(value) {
  if (typeof value === "string") {
    const placeholders = placeholdersOf(value);
    return { placeholders, inputs: placeholders, patterns: [value], errors: [] };
  }
  const errors = [];
  const placeholders = new Set();
  const patterns = [];
  const complex = Array.isArray(value) ? value[0] : undefined;
  if (!Array.isArray(value) || value.length !== 1 || !complex || typeof complex !== "object") {
    return {
      placeholders,
      inputs: new Set(),
      patterns,
      errors: ["is neither a text nor [{ declarations, match }]"],
    };
  }
  const locals = new Set();
  const inputs = new Set();
  for (const declaration of complex.declarations ?? []) {
    const input = /^\s*input\s+([^\s=]+)/.exec(String(declaration));
    const local = /^\s*local\s+([^\s=]+)\s*=/.exec(String(declaration));
    if (input) inputs.add(input[1]);
    else if (local) locals.add(local[1]);
    else errors.push(`has a declaration that is neither input nor local: ${declaration}`);
  }
  const match = complex.match;
  if (!match || typeof match !== "object" || Object.keys(match).length === 0) {
    errors.push("has no variants (match)");
  } else {
    for (const [when, pattern] of Object.entries(match)) {
      if (typeof pattern !== "string") {
        errors.push(`variant ${when} is not a text`);
        continue;
      }
      patterns.push(pattern);
      for (const name of placeholdersOf(pattern)) if (!locals.has(name)) placeholders.add(name);
    }
  }
  // The placeholders are the inputs the text shows (locals derive from them). An input that only
  // selects the variant (a plural's count) is not shown, so a locale without plural forms need
  // not declare it.
  return { placeholders, inputs, patterns, errors };
}

/** Nested objects are flattened with dots, as the plugin does. */
function flatten(json, prefix = "", into = new Map()) {
  for (const [key, value] of Object.entries(json)) {
    if (!prefix && key === "$schema") continue;
    const id = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === "object" && !Array.isArray(value)) flatten(value, id, into);
    else into.set(id, value);
  }
  return into;
}

/** 1-based line and column of a key in a JSON source, for editors to jump to. */
function keyPosition(source, key) {
  const at = source.indexOf(`${JSON.stringify(key.split(".").pop())}:`);
  const spaced = at === -1 ? source.indexOf(JSON.stringify(key.split(".").pop())) : at;
  return spaced === -1 ? {} : lineColumn(source, spaced);
}

/**
 * Checks the catalogs of every path pattern.
 * @param {{ locales: string[], patterns: string[], files: Map<string, string | null> }} input
 *   `files` maps each path (the pattern with `{locale}` replaced) to its source, null if absent.
 * @returns {Problem[]}
 */
export function checkCatalogs({ locales, patterns, files }) {
  /** @type {Problem[]} */
  const problems = [];
  /** Which file first defined each key, across patterns (keys share one namespace). */
  const owner = new Map();
  const patternOf = (file, pattern) =>
    locales.some((locale) => pattern.replaceAll("{locale}", locale) === file);
  for (const pattern of patterns) {
    /** @type {Map<string, { file: string, source: string, messages: Map<string, unknown> }>} */
    const catalogs = new Map();
    for (const locale of locales) {
      const file = pattern.replaceAll("{locale}", locale);
      const source = files.get(file);
      if (source == null) {
        problems.push({ file, kind: "missing-file", text: `no catalog for ${locale}` });
        continue;
      }
      let json;
      try {
        json = JSON.parse(source);
      } catch (error) {
        problems.push({ file, kind: "invalid-json", text: String(error.message) });
        continue;
      }
      if (!json || typeof json !== "object" || Array.isArray(json)) {
        problems.push({ file, kind: "invalid-json", text: "the catalog is not a JSON object" });
        continue;
      }
      catalogs.set(locale, { file, source, messages: flatten(json) });
    }
    const keys = new Set([...catalogs.values()].flatMap((c) => [...c.messages.keys()]));
    for (const key of keys) {
      /** @type {Map<string, Set<string>>} */
      const placeholders = new Map();
      for (const [locale, { file, source, messages }] of catalogs) {
        const at = keyPosition(source, key);
        if (!messages.has(key)) {
          const where = [...catalogs].filter(([, c]) => c.messages.has(key)).map(([l]) => l);
          problems.push({
            file,
            kind: "missing-key",
            text: `${key} (present in ${where.join(", ")})`,
          });
          continue;
        }
        const first = owner.get(key);
        if (first === undefined) owner.set(key, file);
        else if (!patternOf(first, pattern)) {
          problems.push({ file, ...at, kind: "duplicate-key", text: `${key} (also in ${first})` });
        }
        const message = readMessage(messages.get(key));
        for (const error of message.errors) {
          problems.push({ file, ...at, kind: "invalid-message", text: `${key} ${error}` });
        }
        if (message.errors.length === 0 && message.patterns.some((p) => p.trim() === "")) {
          problems.push({ file, ...at, kind: "empty-message", text: key });
        }
        placeholders.set(locale, message.placeholders);
      }
      const sets = [...placeholders.values()];
      const same = sets.every(
        (s) => s.size === sets[0].size && [...s].every((name) => sets[0].has(name)),
      );
      if (!same) {
        for (const [locale, names] of placeholders) {
          const { file, source } = /** @type {NonNullable<ReturnType<typeof catalogs.get>>} */ (
            catalogs.get(locale)
          );
          const list = [...names].sort().map((n) => `{${n}}`);
          problems.push({
            file,
            ...keyPosition(source, key),
            kind: "placeholders-differ",
            text: `${key}: ${list.join(" ") || "none"} in ${locale}; ${[...placeholders]
              .filter(([l]) => l !== locale)
              .map(
                ([l, s]) =>
                  `${
                    [...s]
                      .sort()
                      .map((n) => `{${n}}`)
                      .join(" ") || "none"
                  } in ${l}`,
              )
              .join("; ")}`,
          });
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// TypeScript (modules and component scripts)

/**
 * The literal texts an expression yields directly: string and template literals, through
 * `a ? "x" : "y"`, `a || "x"`, `a ?? "x"`, `"a" + b`, parentheses and `as`. Calls are not
 * entered (`m.key()`, `errorTitle(kind)` are not literals).
 * @returns {{ node: ts.Node, text: string }[]}
 */
function tsLiterals(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    return [{ node, text: node.text }];
  }
  if (ts.isTemplateExpression(node)) {
    const text = node.head.text + node.templateSpans.map((s) => `\${…}${s.literal.text}`).join("");
    return [{ node, text }];
  }
  if (ts.isConditionalExpression(node)) {
    return [...tsLiterals(node.whenTrue), ...tsLiterals(node.whenFalse)];
  }
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if (
      op === ts.SyntaxKind.PlusToken ||
      op === ts.SyntaxKind.BarBarToken ||
      op === ts.SyntaxKind.QuestionQuestionToken
    ) {
      return [...tsLiterals(node.left), ...tsLiterals(node.right)];
    }
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return tsLiterals(node.right);
    return [];
  }
  if (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isNonNullExpression(node)
  ) {
    return tsLiterals(node.expression);
  }
  return [];
}

/** `toasts.error` → its first text argument, or undefined when the call is no sink. */
function sinkStart(call) {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return;
  const methods = SINKS[/** @type {keyof typeof SINKS} */ (callee.expression.text)];
  return methods ? methods[callee.name.text] : undefined;
}

function propertyName(name) {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)) {
    return name.text;
  }
  return undefined;
}

/**
 * Checks a TypeScript source. `offset` places it inside a larger file (a component's script).
 * @returns {Problem[]}
 */
export function checkTypeScript(source, file, { offset = 0, whole = source } = {}) {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  /** @type {Problem[]} */
  const problems = [];
  const report = (node, kind, text) => {
    problems.push({
      file,
      ...lineColumn(whole, offset + node.getStart(sf)),
      kind,
      text: shown(text),
    });
  };
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const from = sinkStart(node);
      if (from !== undefined) {
        const callee = /** @type {ts.PropertyAccessExpression} */ (node.expression).getText(sf);
        for (const arg of node.arguments.slice(from)) {
          for (const lit of tsLiterals(arg)) {
            if (needsTranslation(lit.text)) report(lit.node, `${callee}()`, lit.text);
          }
        }
      }
    }
    if (ts.isPropertyAssignment(node)) {
      const name = propertyName(node.name);
      if (name && TEXT_PROPERTIES.has(name)) {
        for (const lit of tsLiterals(node.initializer)) {
          // A space or a capital, and a word (two letters in a row): not an id, not an SVG path.
          if (
            /[\s\p{Lu}]/u.test(lit.text) &&
            /\p{L}\p{L}/u.test(lit.text) &&
            needsTranslation(lit.text)
          ) {
            report(lit.node, `property ${name}`, lit.text);
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Svelte components

/**
 * The literal texts an ESTree expression (from svelte/compiler) yields directly, as
 * `tsLiterals` does.
 * @returns {{ start: number, text: string }[]}
 */
function esLiterals(node) {
  if (!node || typeof node !== "object") return [];
  switch (node.type) {
    case "Literal":
      return typeof node.value === "string" ? [{ start: node.start, text: node.value }] : [];
    case "TemplateLiteral":
      return [
        {
          start: node.start,
          text: node.quasis.map((q) => q.value.cooked ?? q.value.raw).join("${…}"),
        },
      ];
    case "ConditionalExpression":
      return [...esLiterals(node.consequent), ...esLiterals(node.alternate)];
    case "LogicalExpression":
      return node.operator === "&&"
        ? esLiterals(node.right)
        : [...esLiterals(node.left), ...esLiterals(node.right)];
    case "BinaryExpression":
      return node.operator === "+" ? [...esLiterals(node.left), ...esLiterals(node.right)] : [];
    case "TSAsExpression":
    case "TSSatisfiesExpression":
    case "TSNonNullExpression":
    case "ParenthesizedExpression":
      return esLiterals(node.expression);
    default:
      return [];
  }
}

const SKIPPED_ELEMENTS = new Set(["script", "style"]);

/**
 * Checks a Svelte component: markup literals, and its scripts as TypeScript.
 * @returns {Problem[]}
 */
export function checkSvelte(source, file) {
  /** @type {Problem[]} */
  const problems = [];
  let ast;
  try {
    ast = parseSvelte(source, { modern: true });
  } catch (error) {
    return [{ file, kind: "parse-error", text: String(error.message) }];
  }
  const report = (start, kind, text) => {
    problems.push({ file, ...lineColumn(source, start), kind, text: shown(text) });
  };
  const allowedElements = new Set(ALLOW.elements.map((e) => e.name));

  const checkExpression = (expression, kind) => {
    for (const lit of esLiterals(expression)) {
      if (needsTranslation(lit.text)) report(lit.start, kind, lit.text);
    }
  };

  const checkAttributes = (element) => {
    for (const attribute of element.attributes ?? []) {
      if (attribute.type !== "Attribute" || !VISIBLE_ATTRIBUTES.has(attribute.name)) continue;
      if (attribute.value === true) continue;
      const parts = Array.isArray(attribute.value) ? attribute.value : [attribute.value];
      const kind = `${attribute.name}=`;
      const literal = parts
        .map((p) => (p.type === "Text" ? p.data : "{…}"))
        .join("")
        .trim();
      if (parts.some((p) => p.type === "Text") && needsTranslation(literal.replaceAll("{…}", ""))) {
        report(parts[0].start, kind, literal);
      }
      for (const part of parts)
        if (part.type === "ExpressionTag") checkExpression(part.expression, kind);
    }
  };

  const walkFragment = (fragment, inAllowed) => {
    for (const node of fragment?.nodes ?? []) {
      switch (node.type) {
        case "Text":
          if (!inAllowed && needsTranslation(node.data)) {
            const lead = node.data.length - node.data.trimStart().length;
            report(node.start + lead, "text", node.data);
          }
          break;
        case "ExpressionTag":
          if (!inAllowed) checkExpression(node.expression, "{text}");
          break;
        case "Comment":
        case "HtmlTag":
        case "ConstTag":
        case "DebugTag":
        case "RenderTag":
          break;
        default: {
          if (SKIPPED_ELEMENTS.has(node.name)) break;
          checkAttributes(node);
          const allowed = inAllowed || allowedElements.has(node.name);
          // Elements have `fragment`; blocks have `consequent`, `body`, `then`, ... fragments.
          for (const value of Object.values(node)) {
            if (value && typeof value === "object" && value.type === "Fragment") {
              walkFragment(value, allowed);
            }
          }
        }
      }
    }
  };
  walkFragment(ast.fragment, false);

  for (const script of [ast.instance, ast.module]) {
    if (!script) continue;
    const open = source.indexOf(">", script.start) + 1;
    const close = source.lastIndexOf("</script", script.end);
    problems.push(
      ...checkTypeScript(source.slice(open, close), file, { offset: open, whole: source }),
    );
  }
  return problems.sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}

// ---------------------------------------------------------------------------------------------
// The tree

function filesUnder(dir, test) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && test(d.name))
    .map((d) => path.join(d.parentPath ?? d.path, d.name))
    .sort();
}

/**
 * Runs every check on the UI folder `root` (the one holding project.inlang and src).
 * @returns {Problem[]}
 */
export function runCheck(root) {
  const rel = (p) => path.relative(root, p).split(path.sep).join("/");
  const settings = JSON.parse(
    fs.readFileSync(path.join(root, "project.inlang", "settings.json"), "utf8"),
  );
  const configured = settings["plugin.inlang.messageFormat"]?.pathPattern ?? [];
  const patterns = (Array.isArray(configured) ? configured : [configured]).map((p) =>
    path.posix.normalize(p),
  );
  const files = new Map();
  for (const pattern of patterns) {
    for (const locale of settings.locales) {
      const file = pattern.replaceAll("{locale}", locale);
      const full = path.join(root, file);
      files.set(file, fs.existsSync(full) ? fs.readFileSync(full, "utf8") : null);
    }
  }
  const problems = checkCatalogs({ locales: settings.locales, patterns, files });

  const src = path.join(root, "src");
  const paraglide = path.join(src, "paraglide") + path.sep;
  for (const full of filesUnder(src, (n) => n.endsWith(".svelte"))) {
    if (full.startsWith(paraglide)) continue;
    problems.push(...checkSvelte(fs.readFileSync(full, "utf8"), rel(full)));
  }
  const modules = filesUnder(
    path.join(src, "lib"),
    (n) => n.endsWith(".ts") && !n.endsWith(".d.ts") && !/\.test\.ts$/.test(n),
  );
  for (const full of modules) {
    problems.push(...checkTypeScript(fs.readFileSync(full, "utf8"), rel(full)));
  }
  return problems;
}

/** The report: problems grouped by file, then the count. */
export function formatReport(problems) {
  if (problems.length === 0) return "i18n check: no problems\n";
  /** @type {Map<string, Problem[]>} */
  const byFile = new Map();
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  const lines = [];
  for (const [file, list] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${file} (${list.length})`);
    for (const p of list) {
      const at = p.line ? `${p.line}:${p.column}` : "-";
      lines.push(`  ${at.padEnd(8)} ${p.kind.padEnd(20)} ${p.text}`);
    }
    lines.push("");
  }
  const n = problems.length;
  lines.push(
    `i18n check: ${n} ${n === 1 ? "problem" : "problems"} in ${byFile.size} ${byFile.size === 1 ? "file" : "files"}`,
  );
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const problems = runCheck(root);
  process.stdout.write(formatReport(problems));
  process.exitCode = problems.length > 0 ? 1 : 0;
}
