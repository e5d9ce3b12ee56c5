import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkCatalogs,
  checkSvelte,
  checkTypeScript,
  formatReport,
  needsTranslation,
  placeholdersOf,
  readMessage,
  runCheck,
} from "./check-i18n.mjs";

type Problem = { file: string; line?: number; column?: number; kind: string; text: string };

/** Catalogs of one pattern, `messages/x/{locale}.json`, from objects. */
function catalogs(byLocale: Record<string, object | string | null>, pattern = "messages/x") {
  const files = new Map<string, string | null>();
  for (const [locale, json] of Object.entries(byLocale)) {
    const source = json === null || typeof json === "string" ? json : JSON.stringify(json, null, 2);
    files.set(`${pattern}/${locale}.json`, source);
  }
  return { locales: Object.keys(byLocale), patterns: [`${pattern}/{locale}.json`], files };
}

const plural = (match: Record<string, string>, inputs = ["count"]) => [
  {
    declarations: [...inputs.map((i) => `input ${i}`), "local countPlural = count: plural"],
    selectors: ["countPlural"],
    match,
  },
];

const kinds = (problems: Problem[]) => problems.map((p) => p.kind);

describe("catalogs", () => {
  it("passes complete catalogs with the same placeholders", () => {
    const problems = checkCatalogs(
      catalogs({
        en: { $schema: "s", x_hello: "Hello {name}", x_brace: "a \\{ b" },
        "zh-CN": { $schema: "s", x_hello: "{name}，你好", x_brace: "甲 \\{ 乙" },
      }),
    );
    expect(problems).toEqual([]);
  });

  it("reports a key missing from a locale, in that locale's file", () => {
    const problems = checkCatalogs(
      catalogs({ en: { x_a: "A", x_b: "B" }, "zh-CN": { x_a: "甲" } }),
    );
    expect(problems).toEqual([
      {
        file: "messages/x/zh-CN.json",
        kind: "missing-key",
        text: "x_b (present in en)",
      },
    ]);
  });

  it("reports a key only the second locale has", () => {
    const problems = checkCatalogs(catalogs({ en: {}, "zh-CN": { x_extra: "多" } }));
    expect(problems).toMatchObject([{ file: "messages/x/en.json", kind: "missing-key" }]);
    expect(problems[0]?.text).toContain("x_extra");
  });

  it("reports a placeholder that differs between locales, with file, line and key", () => {
    const problems = checkCatalogs(
      catalogs({
        en: { x_a: "ok", x_saved: "Saved {name}" },
        "zh-CN": { x_a: "好", x_saved: "已保存 {title}" },
      }),
    );
    expect(kinds(problems)).toEqual(["placeholders-differ", "placeholders-differ"]);
    expect(problems[0]).toMatchObject({ file: "messages/x/en.json", line: 3, column: 3 });
    expect(problems[0]?.text).toBe("x_saved: {name} in en; {title} in zh-CN");
    expect(problems[1]?.file).toBe("messages/x/zh-CN.json");
  });

  it("reports a placeholder dropped by a translation", () => {
    const problems = checkCatalogs(
      catalogs({ en: { x_n: "{count} tools" }, "zh-CN": { x_n: "工具" } }),
    );
    expect(kinds(problems)).toContain("placeholders-differ");
    expect(problems[0]?.text).toContain("none in zh-CN");
  });

  it("does not read an escaped brace as a placeholder", () => {
    expect([...placeholdersOf("a \\{name\\} {real} {#b}x{/b}")]).toEqual(["real"]);
    const problems = checkCatalogs(
      catalogs({ en: { x_e: "e.g. \\{ for JSON" }, "zh-CN": { x_e: "例如 \\{（JSON）" } }),
    );
    expect(problems).toEqual([]);
  });

  it("reads the inputs of variant messages and compares the ones the text shows", () => {
    const en = plural({ "countPlural=one": "{count} tool", "countPlural=other": "{count} tools" });
    expect([...readMessage(en).placeholders]).toEqual(["count"]);
    expect(
      checkCatalogs(catalogs({ en: { x_tools: en }, "zh-CN": { x_tools: "{count} 个工具" } })),
    ).toEqual([]);
    // A translation that drops the count from one variant's text.
    const zhBad = plural({ "countPlural=other": "工具" });
    expect(
      kinds(checkCatalogs(catalogs({ en: { x_tools: en }, "zh-CN": { x_tools: zhBad } }))),
    ).toEqual(["placeholders-differ", "placeholders-differ"]);
  });

  it("does not require a plural-only input in a locale without plural forms", () => {
    const en = plural(
      {
        "countPlural=one": "Exported {n} conversation",
        "countPlural=other": "Exported {n} conversations",
      },
      ["count", "n"],
    );
    expect(
      checkCatalogs(
        catalogs({ en: { x_exported: en }, "zh-CN": { x_exported: "已导出 {n} 个对话" } }),
      ),
    ).toEqual([]);
  });

  it("reports empty values and malformed variant messages", () => {
    const problems = checkCatalogs(
      catalogs({
        en: {
          x_empty: "",
          x_v: plural({ "countPlural=one": "  ", "countPlural=other": "{count}" }),
          x_bad: 3,
        },
        "zh-CN": { x_empty: "空", x_v: plural({ "countPlural=other": "{count}" }), x_bad: "坏" },
      }),
    );
    expect(problems.filter((p) => p.file.endsWith("en.json")).map((p) => [p.kind, p.text])).toEqual(
      [
        ["empty-message", "x_empty"],
        ["empty-message", "x_v"],
        ["invalid-message", "x_bad is neither a text nor [{ declarations, match }]"],
      ],
    );
  });

  it("reports a missing or unreadable catalog file", () => {
    const problems = checkCatalogs(catalogs({ en: { x_a: "A" }, "zh-CN": null, fr: "{ nope" }));
    expect(kinds(problems)).toEqual(["missing-file", "invalid-json"]);
  });

  it("reports a key defined in two areas' catalogs", () => {
    const a = catalogs({ en: { dup: "A" }, "zh-CN": { dup: "甲" } }, "messages/a");
    const b = catalogs({ en: { dup: "B" }, "zh-CN": { dup: "乙" } }, "messages/b");
    const problems = checkCatalogs({
      locales: a.locales,
      patterns: [...a.patterns, ...b.patterns],
      files: new Map([...a.files, ...b.files]),
    });
    expect(kinds(problems)).toEqual(["duplicate-key", "duplicate-key"]);
    expect(problems[0]?.text).toBe("dup (also in messages/a/en.json)");
  });
});

describe("components", () => {
  const check = (markup: string, script = "") =>
    checkSvelte(`<script lang="ts">\n${script}\n</script>\n${markup}`, "C.svelte") as Problem[];

  it("reports text nodes with letters, in any script, with line and column", () => {
    const problems = check(`<p>\n  Save changes\n</p>\n<span>保存</span>`);
    expect(problems).toEqual([
      { file: "C.svelte", line: 5, column: 3, kind: "text", text: '"Save changes"' },
      { file: "C.svelte", line: 7, column: 7, kind: "text", text: '"保存"' },
    ]);
  });

  it("ignores punctuation, symbols, numbers and whitespace", () => {
    expect(check(`<p> × … · — 42 % ✓ () </p><span>&times;</span>`)).toEqual([]);
  });

  it("reports literal values of user-visible attributes and component props", () => {
    const problems = check(
      `<button aria-label="Close" title="Close the {name} panel">x</button>
<input placeholder="Search" /><img alt="Logo" src="a.png" />
<IconButton icon="close" label="Dismiss" />
<div aria-description="More" aria-roledescription="slide"></div>`,
    );
    expect(problems.map((p) => `${p.kind} ${p.text}`)).toEqual([
      'aria-label= "Close"',
      'title= "Close the {…} panel"',
      'text "x"',
      'placeholder= "Search"',
      'alt= "Logo"',
      'label= "Dismiss"',
      'aria-description= "More"',
      'aria-roledescription= "slide"',
    ]);
  });

  it("reports string literals inside expressions in text and visible attributes", () => {
    const problems = check(
      `<p>{"Save"}</p><p>{busy ? "Saving…" : "Save"}</p><p>{name || "Untitled"}</p>
<p>{\`\${n} tools\`}</p><button title={open ? "Hide" : "Show"}>+</button>`,
      "let busy = false; let name = ''; let n = 1; let open = false;",
    );
    expect(problems.map((p) => p.text)).toEqual([
      '"Save"',
      '"Saving…"',
      '"Save"',
      '"Untitled"',
      '"${…} tools"',
      '"Hide"',
      '"Show"',
    ]);
  });

  it("finds literals inside blocks, snippets and nested components", () => {
    const problems = check(
      `{#if a}<b>One</b>{:else}<b>Two</b>{/if}
{#each items as item (item)}<i>Three</i>{:else}Four{/each}
{#snippet row()}<Row>Five</Row>{/snippet}
{#await p}Six{:then v}Seven{:catch e}Eight{/await}
{#key a}Nine{/key}`,
      "let a = true; let items: string[] = []; let p = Promise.resolve(1);",
    );
    expect(problems.map((p) => p.text)).toEqual(
      ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"].map((t) =>
        JSON.stringify(t),
      ),
    );
  });

  it("does not flag migrated markup, test ids, class names and other attributes", () => {
    const problems = check(
      `<div class="menu open" id="settings-title" role="menu" data-testid="conversation-menu-popup"
  data-state="loading" aria-labelledby="settings-title" aria-live="polite">
  <button type="button" aria-label={m.row_menu_label()} title={m.row_menu_rename({ name })}>
    {m.row_menu_rename({ name })}
  </button>
  <a href="https://example.com/docs">{m.docs()}</a>
  <option value="system">{m.settings_proxy_system()}</option>
  {@html html}
  {#if mode === "custom"}{formatCount(3, "short")}{/if}
</div>
<style>p::before { content: "Nope"; }</style>`,
      `import { m } from "./paraglide/messages";
const name = "x"; const html = ""; const mode = "system";
function formatCount(n: number, style: string) { return String(n) + style; }`,
    );
    expect(problems).toEqual([]);
  });

  it("allows the product name, protocol names, keycaps, code and language names", () => {
    const problems = check(
      `<h1>Parley</h1><p>Claude</p><span>MCP · JSON</span><kbd>Ctrl</kbd><kbd>K</kbd>
<code>mcpServers</code><span>x-api-key</span><option>English</option><option>简体中文</option>
<input placeholder="https://example.com/mcp" />`,
    );
    expect(problems).toEqual([]);
    // An allowed word does not carry a sentence.
    expect(check(`<p>Message Claude…</p>`).map((p) => p.text)).toEqual(['"Message Claude…"']);
    expect(needsTranslation("Open Parley")).toBe(true);
    expect(needsTranslation("Claude's")).toBe(true);
  });

  it("checks the script's display sinks and text properties", () => {
    const problems = check(
      `<p>{m.ok()}</p>`,
      `import { toasts } from "./stores/toasts.svelte";
toasts.error("Could not open the link", null);
toasts.error(m.app_open_link_failed(), e.message);`,
    );
    expect(problems).toEqual([
      {
        file: "C.svelte",
        line: 3,
        column: 14,
        kind: "toasts.error()",
        text: '"Could not open the link"',
      },
    ]);
  });

  it("reports a component that does not parse", () => {
    expect(kinds(checkSvelte("<div>", "Broken.svelte") as Problem[])).toEqual(["parse-error"]);
  });
});

describe("modules", () => {
  const check = (source: string) => checkTypeScript(source, "m.ts") as Problem[];

  it("reports literals passed to toasts and the announcer", () => {
    const problems = check(
      [
        `toasts.show("info", "Saved", \`to \${path}\`);`,
        `toasts.info(ok ? "Done" : "Failed");`,
        `announcer.say("Reply stopped");`,
        `announcer.alert(\`Search failed: \${e.message}\`);`,
      ].join("\n"),
    );
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind} ${p.text}`)).toEqual([
      '1:21 toasts.show() "Saved"',
      '1:30 toasts.show() "to ${…}"',
      '2:18 toasts.info() "Done"',
      '2:27 toasts.info() "Failed"',
      '3:15 announcer.say() "Reply stopped"',
      '4:17 announcer.alert() "Search failed: ${…}"',
    ]);
  });

  it("does not flag catalog calls, server text or the toast kind", () => {
    const problems = check(
      [
        `toasts.show("error", m.app_export_failed(), error.message);`,
        `toasts.error(m.app_search_failed({ message: e.message }));`,
        `announcer.say(replyAnnouncement(text));`,
        `console.log("Not shown to users");`,
        `throw new Error("internal");`,
      ].join("\n"),
    );
    expect(problems).toEqual([]);
  });

  it("reports text properties with a space or a capital letter", () => {
    const problems = check(
      [
        `const a = { title: "Anywhere", label: "Undo", description: "does things" };`,
        `const b = { message: \`Two tools are named "\${name}"\` };`,
        `const c = { title: "ok", label: "close", message: "image_too_many" };`,
        `const d = { message: "M21 15a2 2 0 0 1-2 2H7l-4 4V5z", name: "Not A Text Property" };`,
        `const e = { title: m.shortcuts_anywhere(), label };`,
        `type T = { title: "Literal Type" };`,
      ].join("\n"),
    );
    expect(problems.map((p) => `${p.kind} ${p.text}`)).toEqual([
      'property title "Anywhere"',
      'property label "Undo"',
      'property description "does things"',
      'property message "Two tools are named \\"${…}\\""',
    ]);
  });
});

describe("the tree and the report", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  function write(files: Record<string, string>) {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "check-i18n-"));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
    return root;
  }

  const settings = JSON.stringify({
    locales: ["en", "zh-CN"],
    "plugin.inlang.messageFormat": {
      pathPattern: ["./messages/{locale}.json", "./messages/chat/{locale}.json"],
    },
  });

  it("reads the settings' path patterns, components and modules", () => {
    const dir = write({
      "project.inlang/settings.json": settings,
      "messages/en.json": '{ "untitled": "Untitled" }',
      "messages/zh-CN.json": '{ "untitled": "未命名" }',
      "messages/chat/en.json": '{ "chat_send": "Send {what}" }',
      "messages/chat/zh-CN.json": '{ "chat_send": "发送" }',
      "src/App.svelte": "<p>{m.untitled()}</p>",
      "src/lib/components/A.svelte": "<button>Send</button>",
      "src/lib/toasts.ts": 'toasts.info("Saved");',
      "src/lib/toasts.test.ts": 'toasts.info("Only a test");',
      "src/paraglide/B.svelte": "<p>Generated</p>",
    });
    const problems = runCheck(dir) as Problem[];
    expect(problems.map((p) => `${p.file} ${p.kind}`)).toEqual([
      "messages/chat/en.json placeholders-differ",
      "messages/chat/zh-CN.json placeholders-differ",
      "src/lib/components/A.svelte text",
      "src/lib/toasts.ts toasts.info()",
    ]);
    const report = formatReport(problems);
    expect(report).toContain("src/lib/components/A.svelte (1)\n  1:9 ");
    expect(report.trimEnd().split("\n").at(-1)).toBe("i18n check: 4 problems in 4 files");
  });

  it("says so when there is nothing to report", () => {
    expect(formatReport([])).toBe("i18n check: no problems\n");
  });
});
