import { describe, expect, it } from "vitest";
import { overwriteGetLocale } from "../paraglide/runtime";
import type { McpServerView } from "./bindings";
import { formProblem, parseArgs, serverDraft, serverForm, stateText } from "./mcpForm";

const stored: McpServerView = {
  id: "s1",
  name: "files",
  transport: { type: "stdio", command: "npx", args: ["-y", "pkg"], envNames: ["TOKEN"], cwd: null },
  enabled: true,
  state: "ready",
  error: null,
  stderrTail: [],
  tools: [],
};

describe("the MCP server form", () => {
  it("reads one argument per line, verbatim, without blank lines", () => {
    expect(parseArgs("-y\n\n@scope/pkg\r\n/path with spaces\n")).toEqual([
      "-y",
      "@scope/pkg",
      "/path with spaces",
    ]);
  });

  it("sends null for a stored secret left empty, and the typed value otherwise", () => {
    const form = serverForm(stored);
    expect(form.env).toEqual([{ name: "TOKEN", value: "", stored: true }]);
    form.env.push(
      { name: "NEW", value: "v", stored: false },
      { name: " ", value: "x", stored: false },
    );
    expect(serverDraft(form).transport).toEqual({
      type: "stdio",
      command: "npx",
      args: ["-y", "pkg"],
      env: [
        { name: "TOKEN", value: null },
        { name: "NEW", value: "v" },
      ],
      cwd: null,
    });
    form.env[0]!.value = "replaced";
    const env = (serverDraft(form).transport as { env: unknown[] }).env;
    expect(env[0]).toEqual({ name: "TOKEN", value: "replaced" });
  });

  it("builds an HTTP draft and says what is missing", () => {
    const form = { ...serverForm(stored), kind: "http" as const, url: "" };
    expect(formProblem(form)).toBe("Enter an http:// or https:// URL");
    form.url = "https://mcp.example.test/mcp";
    form.headers = [{ name: "Authorization", value: "Bearer x", stored: false }];
    expect(formProblem(form)).toBeNull();
    expect(serverDraft(form)).toEqual({
      id: "s1",
      name: "files",
      enabled: true,
      transport: {
        type: "http",
        url: "https://mcp.example.test/mcp",
        headers: [{ name: "Authorization", value: "Bearer x" }],
      },
    });
    expect(formProblem({ ...form, name: " " })).toBe("Give the server a name");
  });

  it("words each state", () => {
    expect(stateText("starting", 0, null)).toBe("Starting…");
    expect(stateText("ready", 1, null)).toBe("Ready · 1 tool");
    expect(stateText("ready", 3, null)).toBe("Ready · 3 tools");
    expect(stateText("failed", 0, "spawn npx ENOENT")).toBe("Failed: spawn npx ENOENT");
    expect(stateText("disabled", 2, null)).toBe("Disabled");
  });

  it("words each state in Chinese, keeping the server's own error as it came", () => {
    overwriteGetLocale(() => "zh-CN");
    try {
      expect(stateText("ready", 1, null)).toBe("就绪 · 1 个工具");
      expect(stateText("failed", 0, "spawn npx ENOENT")).toBe("失败：spawn npx ENOENT");
      expect(formProblem({ ...serverForm(stored), name: "" })).toBe("请为服务器命名");
    } finally {
      overwriteGetLocale(() => "en");
    }
  });
});
