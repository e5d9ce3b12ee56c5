/**
 * The MCP server form's text and the `McpServerDraft` Rust takes. Secret values (env values,
 * header values) never come back from Rust, so a stored row shows its name with an empty value
 * field, and an untouched stored value is sent as `null` ("keep what the keychain holds").
 */
import { m } from "../paraglide/messages";
import type { McpServerDraft, McpServerState, McpServerView, SecretEntry } from "./bindings";
import { formatCount } from "./format";

/** One NAME = value row; `stored`: Rust holds a value for this name (its field starts empty). */
export type SecretRow = { name: string; value: string; stored: boolean };

export type ServerForm = {
  id: string | null;
  name: string;
  kind: "stdio" | "http";
  command: string;
  /** One argument per line, as given to the program (no shell quoting). */
  args: string;
  env: SecretRow[];
  cwd: string;
  url: string;
  headers: SecretRow[];
  enabled: boolean;
};

/** The placeholder of a stored secret's value field. */
export function keepPlaceholder(): string {
  return m.tools_keep_placeholder();
}

export function emptyServerForm(): ServerForm {
  return {
    id: null,
    name: "",
    kind: "stdio",
    command: "",
    args: "",
    env: [],
    cwd: "",
    url: "",
    headers: [],
    enabled: true,
  };
}

/** The form for an existing server: its settings, secret names with empty value fields. */
export function serverForm(server: McpServerView): ServerForm {
  const stored = (names: string[]) => names.map((name) => ({ name, value: "", stored: true }));
  const form = { ...emptyServerForm(), id: server.id, name: server.name, enabled: server.enabled };
  const t = server.transport;
  if (t.type === "stdio") {
    return {
      ...form,
      kind: "stdio",
      command: t.command,
      args: t.args.join("\n"),
      env: stored(t.envNames),
      cwd: t.cwd ?? "",
    };
  }
  return { ...form, kind: "http", url: t.url, headers: stored(t.headerNames) };
}

/** The arguments of the form's text: one per line, blank lines ignored, kept verbatim. */
export function parseArgs(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/\r$/, ""))
    .filter((line) => line.trim() !== "");
}

/** Rows as `SecretEntry`s: a stored row left empty is `null` (keep), blank names are dropped. */
export function secretEntries(rows: readonly SecretRow[]): SecretEntry[] {
  return rows
    .filter((row) => row.name.trim() !== "")
    .map((row) => ({
      name: row.name.trim(),
      value: row.stored && row.value === "" ? null : row.value,
    }));
}

/** What the form sends to `save_mcp_server`. */
export function serverDraft(form: ServerForm): McpServerDraft {
  return {
    id: form.id,
    name: form.name.trim(),
    enabled: form.enabled,
    transport:
      form.kind === "stdio"
        ? {
            type: "stdio",
            command: form.command.trim(),
            args: parseArgs(form.args),
            env: secretEntries(form.env),
            cwd: form.cwd.trim() || null,
          }
        : { type: "http", url: form.url.trim(), headers: secretEntries(form.headers) },
  };
}

/** Why the form cannot be saved yet (Rust checks again), or null. */
export function formProblem(form: ServerForm): string | null {
  if (!form.name.trim()) return m.tools_problem_name();
  if (form.kind === "stdio" && !form.command.trim()) return m.tools_problem_command();
  if (form.kind === "http" && !/^https?:\/\/\S+$/.test(form.url.trim())) {
    return m.tools_problem_url();
  }
  return null;
}

/** A server's state in words: "Starting…", "Ready · 3 tools", "Failed: why", "Disabled". */
export function stateText(state: McpServerState, tools: number, error: string | null): string {
  switch (state) {
    case "starting":
      return m.tools_server_starting();
    case "ready":
      return m.tools_server_ready({ count: tools, shown: formatCount(tools) });
    case "failed":
      return m.tools_server_failed({ error: error ?? m.tools_server_stopped() });
    case "disabled":
      return m.tools_server_disabled();
  }
}
