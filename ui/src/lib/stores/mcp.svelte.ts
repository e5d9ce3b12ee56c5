import * as backend from "../backend";
import type { ErrorPayload, McpServerView, ToolPermission } from "../bindings";

/** MCP servers as Rust reports them (state, tools, stderr) and the "always allow" decisions. */
class McpStore {
  servers = $state<McpServerView[]>([]);
  permissions = $state<ToolPermission[]>([]);
  /** The list was read at least once. */
  loaded = $state(false);
  /** Why the last read failed (shown in settings), or null. */
  error = $state<ErrorPayload | null>(null);

  /** API names of the tools Claude is offered: enabled tools of enabled, ready servers. */
  offeredTools: string[] = $derived(
    this.servers
      .filter((s) => s.enabled && s.state === "ready")
      .flatMap((s) => s.tools.filter((t) => t.enabled).map((t) => t.apiName)),
  );

  async refresh(): Promise<void> {
    try {
      this.servers = await backend.listMcpServers();
      this.error = null;
    } catch (e) {
      this.error = e as ErrorPayload;
    } finally {
      this.loaded = true;
    }
  }

  async refreshPermissions(): Promise<void> {
    try {
      this.permissions = await backend.listToolPermissions();
    } catch (e) {
      this.error = e as ErrorPayload;
    }
  }
}

export const mcp = new McpStore();
