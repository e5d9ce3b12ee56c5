import { describe, expect, it } from "vitest";
import type { ParamContext } from "./params";
import { checkForm, emptyParams, formFromParams, sameParams, validate } from "./params";
import {
  checkHandTools,
  handToolIssues,
  isValidToolName,
  toolChoiceFromValue,
  toolChoiceValue,
} from "./toolParams";

const context: ParamContext = {
  defaultMaxTokens: 4096,
  maxOutputTokens: null,
  thinking: "parameter",
};
const objectSchema = { type: "object", properties: {} };

describe("tool_choice as the select's value", () => {
  it.each([
    [{ type: "auto" } as const, "auto"],
    [{ type: "any" } as const, "any"],
    [{ type: "none" } as const, "none"],
    [{ type: "tool", name: "get_weather" } as const, "tool:get_weather"],
  ])("%j is %s and back", (choice, value) => {
    expect(toolChoiceValue(choice)).toBe(value);
    expect(toolChoiceFromValue(value)).toEqual(choice);
  });

  it("reads a missing or unknown value as auto, the API's default", () => {
    expect(toolChoiceValue(undefined)).toBe("auto");
    expect(toolChoiceFromValue("tool:")).toEqual({ type: "auto" });
    expect(toolChoiceFromValue("whatever")).toEqual({ type: "auto" });
  });
});

describe("hand-written tools", () => {
  it("accepts the API's tool names only", () => {
    expect(isValidToolName("get_weather-2")).toBe(true);
    expect(isValidToolName("a".repeat(64))).toBe(true);
    expect(isValidToolName("a".repeat(65))).toBe(false);
    expect(isValidToolName("")).toBe(false);
    expect(isValidToolName("get weather")).toBe(false);
    expect(isValidToolName("météo")).toBe(false);
  });

  it("says what Rust says, in Rust's order, for bad names, duplicates and schemas", () => {
    const issues = handToolIssues([
      { name: "bad name", description: "", inputSchema: objectSchema },
      { name: "echo", description: "", inputSchema: objectSchema },
      { name: "echo", description: "", inputSchema: { type: "string" } },
    ]);
    expect(issues).toEqual([
      {
        index: 0,
        message: 'The tool name "bad name" must be 1–64 letters, digits, _ or - (no spaces)',
      },
      { index: 2, message: 'Two tools are named "echo"' },
      {
        index: 2,
        message: 'The input schema of "echo" must be a JSON Schema object with "type": "object"',
      },
    ]);
  });

  it("refuses a schema that is not JSON, or not an object, and parses a good one", () => {
    const bad = checkHandTools([{ name: "t", description: "", schema: '{"type": "object"' }]);
    expect(bad.tools).toBeNull();
    expect(bad.issues[0]!.message).toMatch(/^The input schema of "t" is not valid JSON/);
    const array = checkHandTools([{ name: "t", description: "", schema: "[]" }]);
    expect(array.issues.map((i) => i.message)).toEqual([
      'The input schema of "t" must be a JSON Schema object with "type": "object"',
    ]);
    const good = checkHandTools([{ name: "t", description: "d", schema: '{"type":"object"}' }]);
    expect(good).toEqual({
      tools: [{ name: "t", description: "d", inputSchema: { type: "object" } }],
      issues: [],
    });
  });

  it("go through the parameters form: tools and choice sent, issues under handTools", () => {
    const params = {
      ...emptyParams(),
      toolChoice: { type: "tool", name: "lookup" } as const,
      handTools: [{ name: "lookup", description: "Find it", inputSchema: objectSchema }],
    };
    const form = formFromParams(params);
    expect(form.toolChoice).toBe("tool:lookup");
    expect(checkForm(form, context)).toEqual({ params, issues: [] });
    const broken = { ...form, handTools: [{ ...form.handTools[0]!, schema: "nope" }] };
    const check = checkForm(broken, context);
    expect(check.params).toBeNull();
    expect(check.issues.map((i) => i.field)).toEqual(["handTools"]);
    expect(
      validate({ ...params, handTools: [{ ...params.handTools[0]!, name: "" }] }, context),
    ).toHaveLength(1);
  });

  it("make parameters differ when a tool or the choice changes", () => {
    const a = { ...emptyParams(), handTools: [{ name: "x", description: "", inputSchema: {} }] };
    expect(sameParams(a, structuredClone(a))).toBe(true);
    expect(sameParams(a, { ...a, handTools: [] })).toBe(false);
    expect(sameParams(a, { ...a, toolChoice: { type: "any" } })).toBe(false);
  });
});
