/**
 * The tool part of a conversation's request parameters: `tool_choice` as the panel's select
 * value, and the hand-written tools the user defines (name, description, JSON schema typed as
 * text). The rules mirror `parley-core/src/params.rs` (`is_valid_tool_name` and the
 * `ParamField::HandTools` checks of `validate`) with Rust's messages word for word, so a tool
 * the panel accepts is one Rust accepts (English is Rust's text; the catalogs translate it).
 */
import { m } from "../paraglide/messages";
import type { HandTool, ToolChoiceSetting } from "./bindings";

/** A hand-written tool as the panel edits it: the schema is text until it parses. */
export type HandToolForm = { name: string; description: string; schema: string };

/** The schema a new tool starts with: an object with no properties. */
export const NEW_TOOL_SCHEMA = '{\n  "type": "object",\n  "properties": {}\n}';

/** The select's value (also its `data-value`): "auto", "any", "none" or "tool:NAME". */
export function toolChoiceValue(choice: ToolChoiceSetting | null | undefined): string {
  if (!choice) return "auto";
  if (choice.type === "tool") return `tool:${choice.name}`;
  return choice.type;
}

/** The reverse of `toolChoiceValue`; anything else is the API's default, "auto". */
export function toolChoiceFromValue(value: string): ToolChoiceSetting {
  if (value.startsWith("tool:") && value.length > 5) return { type: "tool", name: value.slice(5) };
  if (value === "any" || value === "none") return { type: value };
  return { type: "auto" };
}

/** Whether the API accepts `name` as a tool name (`^[a-zA-Z0-9_-]{1,64}$`). */
export function isValidToolName(name: string): boolean {
  return /^[a-zA-Z0-9_-]{1,64}$/.test(name);
}

/** The panel's rows for stored tools (the schema pretty-printed). */
export function handToolForms(tools: readonly HandTool[] | null | undefined): HandToolForm[] {
  return (tools ?? []).map((tool) => ({
    name: tool.name,
    description: tool.description,
    schema: JSON.stringify(tool.inputSchema, null, 2),
  }));
}

/** One reason a tool (by its index in the list) cannot be sent. */
export type HandToolIssue = { index: number; message: string };

/** Rust's checks of hand tools (`validate`, field `handTools`), same order, same messages. */
export function handToolIssues(tools: readonly HandTool[]): HandToolIssue[] {
  const issues: HandToolIssue[] = [];
  const seen = new Set<string>();
  tools.forEach((tool, index) => {
    const name = tool.name;
    if (!isValidToolName(name)) {
      issues.push({
        index,
        message: m.params_tool_name_invalid({ name }),
      });
    } else if (seen.has(name)) {
      issues.push({ index, message: m.params_tool_name_twice({ name }) });
    } else {
      seen.add(name);
    }
    const schema = tool.inputSchema as { type?: unknown } | null;
    const isObjectSchema =
      schema !== null && typeof schema === "object" && !Array.isArray(schema)
        ? schema.type === "object"
        : false;
    if (!isObjectSchema) {
      issues.push({
        index,
        message: m.params_tool_schema_not_object({ name }),
      });
    }
  });
  return issues;
}

export type HandToolsCheck = {
  /** The tools, when every one can be sent; null otherwise. */
  tools: HandTool[] | null;
  issues: HandToolIssue[];
};

/**
 * The panel's rows as `HandTool`s, and every reason they cannot be sent: a schema that is not
 * JSON (said first, as the typist needs it), then Rust's rules.
 */
export function checkHandTools(forms: readonly HandToolForm[]): HandToolsCheck {
  const issues: HandToolIssue[] = [];
  const tools: HandTool[] = forms.map((form, index) => {
    let inputSchema: unknown = null;
    try {
      inputSchema = JSON.parse(form.schema);
    } catch (e) {
      issues.push({
        index,
        message: m.params_tool_schema_not_json({ name: form.name, error: (e as Error).message }),
      });
      return { name: form.name, description: form.description, inputSchema: { type: "object" } };
    }
    return { name: form.name, description: form.description, inputSchema };
  });
  issues.push(...handToolIssues(tools));
  return { tools: issues.length === 0 ? tools : null, issues };
}

/** Whether two tool lists send the same tools (order, names, descriptions, schemas). */
export function sameHandTools(a: readonly HandTool[], b: readonly HandTool[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
