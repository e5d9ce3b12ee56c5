import { afterEach, describe, expect, it } from "vitest";
import { overwriteGetLocale } from "../paraglide/runtime";
import type { ModelInfo, ParamField, RequestParams } from "./bindings";
import {
  checkForm,
  emptyParams,
  escapeStopSequence,
  fieldStates,
  formFromParams,
  issuesByField,
  modelInfo,
  paramContext,
  parseStopSequences,
  sameParams,
  summarize,
  thinkingSupport,
  unescapeStopSequence,
  validate,
  type ParamContext,
  type ParamsForm,
} from "./params";

// The same context as the Rust tests (`params.rs`), so both tables read alike.
const context: ParamContext = {
  defaultMaxTokens: 4096,
  maxOutputTokens: 64_000,
  thinking: "parameter",
};

afterEach(() => overwriteGetLocale(() => "en"));

const params = (patch: Partial<RequestParams>): RequestParams => ({ ...emptyParams(), ...patch });
const fields = (p: RequestParams, c: ParamContext = context): ParamField[] =>
  validate(p, c).map((i) => i.field);
const form = (patch: Partial<ParamsForm>): ParamsForm => ({
  ...formFromParams(emptyParams()),
  ...patch,
});

describe("validate mirrors params.rs", () => {
  it("accepts unset parameters", () => {
    expect(validate(emptyParams(), context)).toEqual([]);
  });

  it.each<[string, Partial<RequestParams>, ParamField[]]>([
    ["max_tokens 1", { maxTokens: 1 }, []],
    ["max_tokens at the model's limit", { maxTokens: 64_000 }, []],
    ["max_tokens 0", { maxTokens: 0 }, ["maxTokens"]],
    ["max_tokens above the model's limit", { maxTokens: 64_001 }, ["maxTokens"]],
    ["temperature 0", { temperature: 0 }, []],
    ["temperature 1", { temperature: 1 }, []],
    ["temperature 1.01", { temperature: 1.01 }, ["temperature"]],
    ["temperature -0.1", { temperature: -0.1 }, ["temperature"]],
    ["temperature NaN", { temperature: Number.NaN }, ["temperature"]],
    ["top_p 0", { topP: 0 }, []],
    ["top_p 1.5", { topP: 1.5 }, ["topP"]],
    ["top_k 1", { topK: 1 }, []],
    ["top_k 0", { topK: 0 }, ["topK"]],
    ["temperature and top_p", { temperature: 0.5, topP: 0.9 }, ["topP"]],
    ["four stop sequences", { stopSequences: ["a", "b", "c", "\n\nHuman:"] }, []],
    ["five stop sequences", { stopSequences: ["a", "b", "c", "d", "e"] }, ["stopSequences"]],
    ["a blank stop sequence", { stopSequences: ["  "] }, ["stopSequences"]],
    ["empty stop sequences are ignored", { stopSequences: ["", "a"] }, []],
    ["budget 1024", { thinking: true, thinkingBudget: 1024 }, []],
    ["budget 1023", { thinking: true, thinkingBudget: 1023 }, ["thinkingBudget"]],
    [
      "budget at the settings' max_tokens",
      { thinking: true, thinkingBudget: 4096 },
      ["thinkingBudget"],
    ],
    ["budget below max_tokens", { thinking: true, thinkingBudget: 4096, maxTokens: 4097 }, []],
    ["the default budget over max_tokens", { thinking: true, maxTokens: 2048 }, ["thinkingBudget"]],
    ["a budget without thinking", { thinkingBudget: 10 }, []],
  ])("%s", (_, patch, expected) => {
    expect(fields(params(patch))).toEqual(expected);
  });

  it("keeps Rust's messages", () => {
    const issues = validate(params({ temperature: 0.5, topP: 0.9 }), context);
    expect(issues).toEqual([
      {
        field: "topP",
        message: "Set temperature or top_p, not both: the API advises changing only one",
      },
    ]);
    expect(validate(params({ maxTokens: 70_000 }), context)[0]!.message).toBe(
      "max_tokens can be at most 64000 for this model",
    );
    expect(validate(params({ thinking: true, maxTokens: 2000 }), context)[0]!.message).toBe(
      "The thinking budget must be below max_tokens (2000)",
    );
  });

  it("ignores the thinking budget of a model that does not take the parameter", () => {
    const builtin = { ...context, thinking: "builtin" as const };
    expect(validate(params({ thinking: true, thinkingBudget: 10 }), builtin)).toEqual([]);
  });

  it("has no upper max_tokens limit when the model's is unknown", () => {
    expect(fields(params({ maxTokens: 1_000_000 }), { ...context, maxOutputTokens: null })).toEqual(
      [],
    );
  });
});

describe("models", () => {
  it.each([
    ["claude-sonnet-4-5-20250929", "parameter"],
    ["claude-opus-4-1-20250805", "parameter"],
    ["claude-haiku-4-5-20251001", "parameter"],
    ["claude-3-7-sonnet-latest", "parameter"],
    ["claude-opus-4-1-20250805-thinking", "builtin"],
    ["claude-sonnet-4-5-20250929-thinking", "builtin"],
    ["claude-3-5-haiku-20241022", "unsupported"],
    ["my-local-model", "unsupported"],
  ])("thinking support of %s is %s", (model, support) => {
    expect(thinkingSupport(model)).toBe(support);
  });

  it("a listed model is taken as listed; a custom id gets the built-in limits", () => {
    const listed: ModelInfo = {
      id: "claude-sonnet-4-5",
      displayName: "Claude Sonnet 4.5",
      maxOutputTokens: 10,
      contextWindow: null,
      thinking: "unsupported",
      source: "api",
    };
    expect(modelInfo([listed], "claude-sonnet-4-5")).toBe(listed);
    expect(modelInfo([listed], "claude-opus-4-1-custom")).toMatchObject({
      maxOutputTokens: 32_000,
      thinking: "parameter",
      displayName: null,
    });
    expect(paramContext([], "my-model", 1000)).toEqual({
      defaultMaxTokens: 1000,
      maxOutputTokens: null,
      thinking: "unsupported",
    });
  });
});

describe("the form", () => {
  it("empty fields are not sent", () => {
    expect(checkForm(form({}), context)).toEqual({ params: emptyParams(), issues: [] });
  });

  it.each<[string, Partial<ParamsForm>, Partial<RequestParams> | ParamField[]]>([
    ["a decimal", { temperature: "0.7" }, { temperature: 0.7 }],
    ["a leading dot", { temperature: ".5" }, { temperature: 0.5 }],
    ["a decimal comma", { topP: "0,9" }, { topP: 0.9 }],
    ["spaces around", { maxTokens: " 1024 " }, { maxTokens: 1024 }],
    ["not a number", { temperature: "warm" }, ["temperature"]],
    ["a negative temperature", { temperature: "-0.1" }, ["temperature"]],
    ["two dots", { topP: "0.5.5" }, ["topP"]],
    ["a fractional top_k", { topK: "1.5" }, ["topK"]],
    ["top_k 0", { topK: "0" }, ["topK"]],
    ["a fractional max_tokens", { maxTokens: "10.5" }, ["maxTokens"]],
    ["max_tokens past u32", { maxTokens: "99999999999" }, ["maxTokens"]],
    ["exponent notation", { maxTokens: "1e3" }, ["maxTokens"]],
    [
      "a budget that is not a number",
      { thinking: true, thinkingBudget: "lots" },
      ["thinkingBudget"],
    ],
    ["both temperature and top_p", { temperature: "0.2", topP: "0.9" }, ["topP"]],
    [
      "top_p below 0.95 with thinking",
      { thinking: true, topP: "0.9", maxTokens: "8000" },
      ["topP"],
    ],
    [
      "top_p 0.95 with thinking",
      { thinking: true, topP: "0.95", maxTokens: "8000" },
      { thinking: true, topP: 0.95, maxTokens: 8000 },
    ],
    [
      "stop sequences, one per line, escapes read",
      { stopSequences: "END\n\n\\n\\nHuman:\nC:\\\\" },
      { stopSequences: ["END", "\n\nHuman:", "C:\\"] },
    ],
    ["five stop sequences", { stopSequences: "a\nb\nc\nd\ne" }, ["stopSequences"]],
    ["a stop sequence of spaces", { stopSequences: "  " }, ["stopSequences"]],
  ])("%s", (_, patch, expected) => {
    const result = checkForm(form(patch), context);
    if (Array.isArray(expected)) {
      expect(result.issues.map((i) => i.field)).toEqual(expected);
      expect(result.params, "an invalid form sends nothing").toBeNull();
    } else {
      expect(result.issues).toEqual([]);
      expect(result.params).toEqual(params(expected));
    }
  });

  it("the model's thinking support decides whether top_p must be 0.95 or more", () => {
    const f = form({ thinking: true, topP: "0.5" });
    expect(checkForm(f, { ...context, thinking: "builtin" }).issues).toEqual([]);
  });

  it("round-trips parameters through the form", () => {
    const p = params({
      maxTokens: 2000,
      temperature: 0.25,
      topK: 40,
      stopSequences: ["END", "\n\nHuman:", "tab\there", "back\\slash"],
      thinking: true,
      thinkingBudget: 1500,
    });
    expect(checkForm(formFromParams(p), context).params).toEqual(p);
  });

  it("escapes what a line cannot hold", () => {
    for (const s of ["\n\nHuman:", "a\\nb", "\t", "\\", "plain", "\r\n"]) {
      expect(unescapeStopSequence(escapeStopSequence(s))).toBe(s);
      expect(escapeStopSequence(s)).not.toContain("\n");
    }
    expect(unescapeStopSequence("\\x")).toBe("\\x");
    expect(parseStopSequences("a\n\nb\n")).toEqual(["a", "b"]);
  });

  it("joins several issues of one field", () => {
    const byField = issuesByField(
      checkForm(form({ stopSequences: "a\nb\nc\nd\n " }), context).issues,
    );
    expect(byField.stopSequences).toBe(
      "At most 4 stop sequences. A stop sequence must contain something other than spaces",
    );
  });
});

describe("which controls are disabled, and why", () => {
  it("temperature and top_p exclude each other", () => {
    expect(fieldStates(form({ temperature: "0.3" }), context).topP).toEqual({
      disabled: true,
      reason: "The API advises setting temperature or top_p, not both",
    });
    expect(fieldStates(form({ topP: "0.9" }), context).temperature.disabled).toBe(true);
    const none = fieldStates(form({}), context);
    expect(none.temperature.disabled || none.topP.disabled).toBe(false);
  });

  it("extended thinking rules out temperature and top_k, not top_p", () => {
    const states = fieldStates(form({ thinking: true }), context);
    expect(states.temperature).toEqual({
      disabled: true,
      reason: "Not used with extended thinking",
    });
    expect(states.topK.disabled).toBe(true);
    expect(states.topP.disabled).toBe(false);
    expect(states.thinkingBudget.disabled).toBe(false);
  });

  it("the thinking toggle says why a model cannot take it", () => {
    const builtin = fieldStates(form({ thinking: true }), { ...context, thinking: "builtin" });
    expect(builtin.thinking).toEqual({ disabled: true, reason: "This model thinks by itself" });
    expect(builtin.temperature.disabled, "thinking is not sent, temperature is").toBe(false);
    const unsupported = fieldStates(form({}), { ...context, thinking: "unsupported" });
    expect(unsupported.thinking.reason).toBe("This model does not support extended thinking");
    expect(unsupported.thinkingBudget.disabled).toBe(true);
  });
});

it("sameParams compares every field", () => {
  expect(sameParams(params({ stopSequences: ["a"] }), params({ stopSequences: ["a"] }))).toBe(true);
  expect(sameParams(params({ stopSequences: ["a"] }), params({ stopSequences: ["b"] }))).toBe(
    false,
  );
  expect(sameParams(params({ topK: 1 }), params({}))).toBe(false);
});

describe("the summary and messages in the UI language", () => {
  it("summarizes what is set, with one and several tools", () => {
    const tool = { name: "t", description: "", inputSchema: { type: "object" } };
    const p = params({ maxTokens: 1024, temperature: 0.2, thinking: true, handTools: [tool] });
    expect(summarize(p, "parameter")).toBe("max 1024 · temp 0.2 · thinking · 1 tool");
    const two = params({ handTools: [tool, { ...tool, name: "u" }], stopSequences: ["a"] });
    expect(summarize(two, "parameter")).toBe("1 stop · 2 tools");
    expect(summarize(params({ toolChoice: { type: "tool", name: "t" } }), "parameter")).toBe(
      "tool_choice t",
    );
  });

  it("says Rust's rules and the summary in Chinese, joining issues the Chinese way", () => {
    overwriteGetLocale(() => "zh-CN");
    expect(validate(params({ maxTokens: 70_000 }), context)[0]!.message).toBe(
      "此模型的 max_tokens 最多为 64000",
    );
    const byField = issuesByField(
      checkForm(form({ stopSequences: "a\nb\nc\nd\n " }), context).issues,
    );
    expect(byField.stopSequences).toBe("停止序列最多 4 个；停止序列不能只包含空格");
    expect(fieldStates(form({ thinking: true }), context).temperature.reason).toBe(
      "开启扩展思考时不使用",
    );
    const tool = { name: "t", description: "", inputSchema: { type: "object" } };
    expect(summarize(params({ temperature: 0.2, handTools: [tool, tool] }), "parameter")).toBe(
      "温度 0.2 · 2 个工具",
    );
  });
});
