/**
 * The request parameters panel's rules, mirroring `parley-core/src/params.rs` (validation) and
 * `models.rs` (what a model id says about its limits and thinking) so an invalid value is an
 * inline error while it is typed. Rust checks again before sending; `validate` keeps Rust's
 * messages word for word in English (the catalogs translate them; numbers stay as the user types
 * them, without grouping, as Rust writes them), and `params.test.ts` runs the same edge cases as
 * Rust's tests.
 *
 * The panel edits text (`ParamsForm`), because "empty" means "not sent" and a half-typed value
 * must be shown as the user typed it; `checkForm` turns the text into `RequestParams` or says
 * why it cannot.
 */
import { m } from "../paraglide/messages";
import type { ModelInfo, ParamField, ParamIssue, RequestParams, ThinkingSupport } from "./bindings";
import {
  checkHandTools,
  handToolForms,
  handToolIssues,
  sameHandTools,
  toolChoiceFromValue,
  toolChoiceValue,
  type HandToolForm,
} from "./toolParams";

/** The most stop sequences the API accepts. */
export const MAX_STOP_SEQUENCES = 4;
/** The smallest thinking budget the API accepts. */
export const MIN_THINKING_BUDGET = 1024;
/** The budget Rust sends when thinking is on and no budget was typed. */
export const DEFAULT_THINKING_BUDGET = 2048;
/** With thinking on, the API accepts `top_p` only from this value up. */
export const THINKING_MIN_TOP_P = 0.95;
/** Integer fields are `u32` in Rust. */
const U32_MAX = 4_294_967_295;

/** What validation needs to know besides the parameters (Rust's `ParamContext`). */
export type ParamContext = {
  /** `max_tokens` when the parameters leave it unset (the settings' default). */
  defaultMaxTokens: number;
  /** The model's output limit, when known. */
  maxOutputTokens: number | null;
  thinking: ThinkingSupport;
};

export function emptyParams(): RequestParams {
  return {
    maxTokens: null,
    temperature: null,
    topP: null,
    topK: null,
    stopSequences: [],
    thinking: false,
    thinkingBudget: null,
    toolChoice: { type: "auto" },
    handTools: [],
  };
}

/**
 * Which `ThinkingSupport` a model id has, from its name (Rust's `thinking_support`): the
 * gateway's `-thinking` ids think by themselves, the Claude 3.7 and 4 families take the
 * parameter, anything else (a custom id) is taken as not thinking.
 */
export function thinkingSupport(model: string): ThinkingSupport {
  const id = model.trim().toLowerCase();
  if (id.endsWith("-thinking")) return "builtin";
  const family = ["claude-3-7-", "claude-opus-4", "claude-sonnet-4", "claude-haiku-4"];
  return family.some((prefix) => id.startsWith(prefix)) ? "parameter" : "unsupported";
}

/** Output limits of the built-in families (Rust's `builtin_limits`). */
function builtinLimits(id: string): {
  maxOutputTokens: number | null;
  contextWindow: number | null;
} {
  if (id.startsWith("claude-opus-4-1")) return { maxOutputTokens: 32_000, contextWindow: 200_000 };
  if (id.startsWith("claude-sonnet-4-5") || id.startsWith("claude-haiku-4-5")) {
    return { maxOutputTokens: 64_000, contextWindow: 200_000 };
  }
  return { maxOutputTokens: null, contextWindow: null };
}

/**
 * What is known of `id` (Rust's `model_info`): its entry in `models`, else a bare entry for a
 * custom id, with the built-in limits when its name matches a built-in family.
 */
export function modelInfo(models: readonly ModelInfo[], id: string): ModelInfo {
  const found = models.find((m) => m.id === id);
  if (found) return found;
  return {
    id,
    displayName: null,
    ...builtinLimits(id),
    thinking: thinkingSupport(id),
    source: "builtin",
  };
}

/** The validation context for `model` with the settings' default `max_tokens`. */
export function paramContext(
  models: readonly ModelInfo[],
  model: string,
  defaultMaxTokens: number,
): ParamContext {
  const info = modelInfo(models, model);
  return { defaultMaxTokens, maxOutputTokens: info.maxOutputTokens, thinking: info.thinking };
}

/** Every reason `params` cannot be sent (Rust's `validate`, same order, same messages). */
export function validate(params: RequestParams, context: ParamContext): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const issue = (field: ParamField, message: string) => issues.push({ field, message });
  const maxTokens = params.maxTokens ?? context.defaultMaxTokens;
  if (params.maxTokens === 0) {
    issue("maxTokens", m.params_issue_max_tokens_min());
  } else if (
    params.maxTokens !== null &&
    context.maxOutputTokens !== null &&
    params.maxTokens > context.maxOutputTokens
  ) {
    issue("maxTokens", m.params_issue_max_tokens_model({ max: String(context.maxOutputTokens) }));
  }
  const inUnit = (n: number) => Number.isFinite(n) && n >= 0 && n <= 1;
  if (params.temperature !== null && !inUnit(params.temperature)) {
    issue("temperature", m.params_issue_temperature_range());
  }
  if (params.topP !== null && !inUnit(params.topP)) {
    issue("topP", m.params_issue_top_p_range());
  }
  if (params.temperature !== null && params.topP !== null) {
    issue("topP", m.params_issue_temperature_and_top_p());
  }
  if (params.topK === 0) {
    issue("topK", m.params_issue_top_k_positive());
  }
  const stops = params.stopSequences.filter((s) => s !== "");
  if (stops.length > MAX_STOP_SEQUENCES) {
    issue("stopSequences", m.params_issue_stop_max({ max: String(MAX_STOP_SEQUENCES) }));
  }
  if (stops.some((s) => s.trim() === "")) {
    issue("stopSequences", m.params_issue_stop_blank());
  }
  if (params.thinking && context.thinking === "parameter") {
    const budget = params.thinkingBudget ?? DEFAULT_THINKING_BUDGET;
    if (budget < MIN_THINKING_BUDGET) {
      issue("thinkingBudget", m.params_issue_budget_min({ min: String(MIN_THINKING_BUDGET) }));
    } else if (budget >= maxTokens) {
      issue("thinkingBudget", m.params_issue_budget_below_max({ max: String(maxTokens) }));
    }
  }
  for (const { message } of handToolIssues(params.handTools ?? [])) issue("handTools", message);
  return issues;
}

/** The panel's text fields; "" is "not set" (the API's default, or the settings' max tokens). */
export type ParamsForm = {
  maxTokens: string;
  temperature: string;
  topP: string;
  topK: string;
  /** One stop sequence per line, with `\n`, `\t`, `\r` and `\\` for characters a line cannot hold. */
  stopSequences: string;
  thinking: boolean;
  thinkingBudget: string;
  /** The tool choice select's value: "auto", "any", "none" or "tool:NAME". */
  toolChoice: string;
  handTools: HandToolForm[];
};

/** A stop sequence as one line of the form: line breaks, tabs and backslashes escaped. */
export function escapeStopSequence(sequence: string): string {
  return sequence.replace(/[\\\n\r\t]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t",
  );
}

/** The reverse of `escapeStopSequence`; an unknown escape stays as typed. */
export function unescapeStopSequence(line: string): string {
  return line.replace(/\\([\\nrt])/g, (_, c: string) =>
    c === "\\" ? "\\" : c === "n" ? "\n" : c === "r" ? "\r" : "\t",
  );
}

/** The stop sequences of the form's text: one per line, empty lines ignored. */
export function parseStopSequences(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map(unescapeStopSequence);
}

export function formFromParams(params: RequestParams): ParamsForm {
  const text = (n: number | null) => (n === null ? "" : String(n));
  return {
    maxTokens: text(params.maxTokens),
    temperature: text(params.temperature),
    topP: text(params.topP),
    topK: text(params.topK),
    stopSequences: params.stopSequences.map(escapeStopSequence).join("\n"),
    thinking: params.thinking,
    thinkingBudget: text(params.thinkingBudget),
    toolChoice: toolChoiceValue(params.toolChoice),
    handTools: handToolForms(params.handTools),
  };
}

/** A decimal as typed ("0.7", ".7", "0,7"); null when empty, NaN when not a number. */
function parseDecimal(text: string): number | null {
  const t = text.trim().replace(",", ".");
  if (t === "") return null;
  return /^\+?(\d+\.?\d*|\.\d+)$/.test(t) ? Number(t) : Number.NaN;
}

/** A whole number as typed; null when empty, NaN when not a whole number a `u32` holds. */
function parseWhole(text: string): number | null {
  const t = text.trim();
  if (t === "") return null;
  if (!/^\+?\d+$/.test(t)) return Number.NaN;
  const n = Number(t);
  return n <= U32_MAX ? n : Number.NaN;
}

export type FormCheck = {
  /** What the form says, when it can be sent; null while any issue remains. */
  params: RequestParams | null;
  issues: ParamIssue[];
};

/**
 * The form's parameters and every reason they cannot be sent: what cannot be read as a number,
 * Rust's rules (`validate`), and one rule Rust applies silently that the panel says out loud:
 * with extended thinking on, a `top_p` below 0.95 would be dropped from the request.
 */
export function checkForm(form: ParamsForm, context: ParamContext): FormCheck {
  const issues: ParamIssue[] = [];
  const read = (
    field: ParamField,
    value: number | null,
    message: string,
    check: (n: number) => boolean = () => true,
  ): number | null => {
    if (value === null) return null;
    if (Number.isNaN(value) || !check(value)) {
      issues.push({ field, message });
      return null;
    }
    return value;
  };
  const params: RequestParams = {
    maxTokens: read("maxTokens", parseWhole(form.maxTokens), m.params_issue_max_tokens_whole()),
    temperature: read(
      "temperature",
      parseDecimal(form.temperature),
      m.params_issue_temperature_range(),
    ),
    topP: read("topP", parseDecimal(form.topP), m.params_issue_top_p_range()),
    topK: read("topK", parseWhole(form.topK), m.params_issue_top_k_positive()),
    stopSequences: parseStopSequences(form.stopSequences),
    thinking: form.thinking,
    thinkingBudget: read(
      "thinkingBudget",
      parseWhole(form.thinkingBudget),
      m.params_issue_budget_whole(),
    ),
    toolChoice: toolChoiceFromValue(form.toolChoice),
    handTools: [],
  };
  // A schema that is not JSON yet is said here; the tools that parse go through `validate`.
  const tools = checkHandTools(form.handTools);
  if (tools.tools) params.handTools = tools.tools;
  else for (const { message } of tools.issues) issues.push({ field: "handTools", message });
  issues.push(...validate(params, context));
  if (
    params.thinking &&
    context.thinking === "parameter" &&
    params.topP !== null &&
    params.topP >= 0 &&
    params.topP < THINKING_MIN_TOP_P
  ) {
    issues.push({
      field: "topP",
      message: m.params_issue_thinking_top_p({ min: String(THINKING_MIN_TOP_P) }),
    });
  }
  return { params: issues.length === 0 ? params : null, issues };
}

/** Several issue messages as one text ("a. b" in English), for an inline error. */
export function joinIssues(messages: readonly string[]): string {
  return messages.reduce(
    (first, next) => (first ? m.params_issues_join({ first, next }) : next),
    "",
  );
}

/** The issues' messages by field (several for one field joined), for inline errors. */
export function issuesByField(issues: readonly ParamIssue[]): Partial<Record<ParamField, string>> {
  const byField: Partial<Record<ParamField, string[]>> = {};
  for (const { field, message } of issues) (byField[field] ??= []).push(message);
  const out: Partial<Record<ParamField, string>> = {};
  for (const [field, messages] of Object.entries(byField) as [ParamField, string[]][]) {
    out[field] = joinIssues(messages);
  }
  return out;
}

/** Whether a control can be used, and if not, why (shown beside it). */
export type FieldState = { disabled: boolean; reason: string | null };

/** The hint under top_p while extended thinking is on. */
export function thinkingTopPHint(): string {
  return m.params_hint_top_p_thinking({ min: String(THINKING_MIN_TOP_P) });
}

/** Why `support` rules the thinking toggle out, or null when the model takes the parameter. */
export function thinkingUnavailableReason(support: ThinkingSupport): string | null {
  if (support === "builtin") return m.params_reason_thinking_builtin();
  if (support === "unsupported") return m.params_reason_thinking_unsupported();
  return null;
}

/** Whether extended thinking will be asked for: on, and the model takes the parameter. */
export function thinkingActive(form: Pick<ParamsForm, "thinking">, context: ParamContext): boolean {
  return form.thinking && context.thinking === "parameter";
}

/**
 * Which controls are disabled and why: temperature and top_p exclude each other (the one typed
 * first wins until it is cleared); extended thinking rules out temperature and top_k; the
 * thinking toggle needs a model that takes the parameter.
 */
export function fieldStates(
  form: ParamsForm,
  context: ParamContext,
): Record<"temperature" | "topP" | "topK" | "thinking" | "thinkingBudget", FieldState> {
  const on = thinkingActive(form, context);
  const ok: FieldState = { disabled: false, reason: null };
  const off = (reason: string): FieldState => ({ disabled: true, reason });
  const unavailable = thinkingUnavailableReason(context.thinking);
  const exclusive = m.params_reason_exclusive();
  const excluded = m.params_reason_thinking_excludes();
  return {
    temperature: on ? off(excluded) : form.topP.trim() !== "" ? off(exclusive) : ok,
    topP: form.temperature.trim() !== "" ? off(exclusive) : ok,
    topK: on ? off(excluded) : ok,
    thinking: unavailable ? off(unavailable) : ok,
    thinkingBudget: on ? ok : off(unavailable ?? m.params_reason_turn_on_thinking()),
  };
}

/** Whether two parameter sets send the same request (stop sequences in order). */
export function sameParams(a: RequestParams, b: RequestParams): boolean {
  return (
    a.maxTokens === b.maxTokens &&
    a.temperature === b.temperature &&
    a.topP === b.topP &&
    a.topK === b.topK &&
    a.thinking === b.thinking &&
    a.thinkingBudget === b.thinkingBudget &&
    a.stopSequences.length === b.stopSequences.length &&
    a.stopSequences.every((s, i) => s === b.stopSequences[i]) &&
    toolChoiceValue(a.toolChoice) === toolChoiceValue(b.toolChoice) &&
    sameHandTools(a.handTools ?? [], b.handTools ?? [])
  );
}

/**
 * A short summary of what is set ("max 1024 · temp 0.2 · thinking"), for the panel button. The
 * values are written as they are typed and sent (no grouping), like the fields show them.
 */
export function summarize(params: RequestParams, thinking: ThinkingSupport): string {
  const parts: string[] = [];
  const value = (n: number) => ({ value: String(n) });
  if (params.maxTokens !== null) parts.push(m.params_summary_max(value(params.maxTokens)));
  if (params.temperature !== null) {
    parts.push(m.params_summary_temperature(value(params.temperature)));
  }
  if (params.topP !== null) parts.push(m.params_summary_top_p(value(params.topP)));
  if (params.topK !== null) parts.push(m.params_summary_top_k(value(params.topK)));
  const stops = params.stopSequences.length;
  if (stops > 0) parts.push(m.params_summary_stop({ count: String(stops) }));
  if (params.thinking && thinking === "parameter") parts.push(m.params_summary_thinking());
  const handTools = params.handTools?.length ?? 0;
  if (handTools > 0) parts.push(m.params_summary_tools({ count: handTools }));
  const choice = toolChoiceValue(params.toolChoice);
  if (choice !== "auto") {
    parts.push(m.params_summary_tool_choice({ choice: choice.replace(/^tool:/, "") }));
  }
  return parts.join(" · ");
}
