/**
 * The only module that talks to the Rust side: every `invoke` and every `Channel` lives here, so
 * components and stores stay testable and the IPC surface is visible in one place.
 * Every function rejects with an `ErrorPayload` (see `normalizeError`).
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import { openUrl } from "@tauri-apps/plugin-opener";
import type {
  ConnectionReport,
  ProxySettings,
  ConversationMeta,
  ConversationSummary,
  BranchPage,
  ConversationView,
  KeyView,
  SendStarted,
} from "./bindings";
import { normalizeError } from "./errors";
import { externalUrl } from "./links";
import type { ChatEvent, Folder, HistoryIndex, SearchHit } from "./bindings";
import type { ImageDraft, ImageVariant, SendRequest, Settings, SettingsView } from "./bindings";
import type { ExportFormat, ExportReport, ImportReport, TransferProgress } from "./bindings";
import type { GalleryCursor, GalleryPage } from "./bindings";
import type { Preset, PresetDraft, RequestParams, SpendView, TokenCount } from "./bindings";
import type { TokenCountRequest, UsageTotals } from "./bindings";
import type { Decision, McpImportReport, McpServerDraft, McpServerView } from "./bindings";
import type { StartupStatus, ToolPermission } from "./bindings";

async function call<T>(
  command: string,
  args?: Record<string, unknown> | Uint8Array,
  options?: { headers: Record<string, string> },
): Promise<T> {
  try {
    return await (options ? invoke<T>(command, args, options) : invoke<T>(command, args));
  } catch (error) {
    throw normalizeError(error);
  }
}

function channel(onEvent: (event: ChatEvent) => void): Channel<ChatEvent> {
  return new Channel<ChatEvent>(onEvent);
}

/** Whether the history is open yet, polled while an upgrade of it runs (see `main.ts`). */
export function startupStatus(): Promise<StartupStatus> {
  return call("startup_status");
}

export function getSettings(): Promise<SettingsView> {
  return call("get_settings");
}

export function saveSettings(settings: Settings): Promise<SettingsView> {
  return call("save_settings", { settings });
}

/**
 * The key of the origin of `baseUrl` (typed in the settings, saved or not): the origin it is for,
 * whether one is stored, and how to label the key field.
 */
export function apiKeyStatus(baseUrl: string): Promise<KeyView> {
  return call("api_key_status", { baseUrl });
}

/**
 * Stores the key in the OS keychain for the origin of `baseUrl`; Rust sends it to that origin
 * only. The key never comes back over IPC.
 */
export function setApiKey(baseUrl: string, key: string): Promise<KeyView> {
  return call("set_api_key", { baseUrl, key });
}

/** Removes the key of the origin of `baseUrl` from the keychain. */
export function clearApiKey(baseUrl: string): Promise<KeyView> {
  return call("clear_api_key", { baseUrl });
}

export function testConnection(): Promise<ConnectionReport> {
  return call("test_connection");
}

/** Stores the custom proxy's password in the keychain (empty removes it); it never comes back. */
export function setProxyPassword(password: string): Promise<void> {
  return call("set_proxy_password", { password });
}

/**
 * One cheap request through `proxy` as typed (not saved): `password` typed now, or null for the
 * stored one. A failure says whether the proxy or the API failed.
 */
export function testProxy(
  proxy: ProxySettings,
  password: string | null,
): Promise<ConnectionReport> {
  return call("test_proxy", { proxy, password });
}

/** Every conversation (pinned first, then newest first) and every folder, for the sidebar. */
export function listHistory(): Promise<HistoryIndex> {
  return call("list_history");
}

/** One conversation's sidebar row, to patch it after a send, a reply or a new title. */
export function conversationSummary(id: string): Promise<ConversationSummary> {
  return call("conversation_summary", { id });
}

/** The title becomes the user's: automatic titles never overwrite it. */
export function renameConversation(id: string, title: string): Promise<ConversationSummary> {
  return call("rename_conversation", { id, title });
}

export function setPinned(id: string, pinned: boolean): Promise<ConversationSummary> {
  return call("set_pinned", { id, pinned });
}

export function createFolder(name: string): Promise<Folder> {
  return call("create_folder", { name });
}

export function renameFolder(id: string, name: string): Promise<Folder> {
  return call("rename_folder", { id, name });
}

/** Its conversations move out of it; none is deleted. */
export function deleteFolder(id: string): Promise<null> {
  return call("delete_folder", { id });
}

export function moveToFolder(ids: string[], folderId: string | null): Promise<null> {
  return call("move_to_folder", { ids, folderId });
}

/** Hidden at once from the list and search; restorable until `purgeTrash`. */
export function trashConversations(ids: string[]): Promise<null> {
  return call("trash_conversations", { ids });
}

export function restoreConversations(ids: string[]): Promise<null> {
  return call("restore_conversations", { ids });
}

/** Deletes trashed conversations for good. */
export function purgeTrash(): Promise<null> {
  return call("purge_trash");
}

/** Any input is literal text; newest first. */
export function searchHistory(query: string, limit: number): Promise<SearchHit[]> {
  return call("search_history", { query, limit });
}

/** The conversation with the branch that holds `messageId` made active. */
export function openSearchHit(messageId: string): Promise<ConversationView> {
  return call("open_search_hit", { messageId });
}

/** A page of the images gallery: from the newest (`before` null) or after the given cursor. */
export function listGallery(before: GalleryCursor | null, limit: number): Promise<GalleryPage> {
  return call("list_gallery", { before, limit });
}

/**
 * Exports `ids` (`null`: every conversation not in the trash) through the native save dialog
 * (or a folder dialog for several as Markdown). `null` when the user cancels the dialog.
 */
export function exportConversations(
  ids: string[] | null,
  format: ExportFormat,
  onProgress: (progress: TransferProgress) => void,
): Promise<ExportReport | null> {
  return call("export_conversations", {
    ids,
    format,
    onProgress: new Channel<TransferProgress>(onProgress),
  });
}

/** Imports a Parley JSON export chosen in the native open dialog; `null` when cancelled. */
export function importConversations(
  onProgress: (progress: TransferProgress) => void,
): Promise<ImportReport | null> {
  return call("import_conversations", { onProgress: new Channel<TransferProgress>(onProgress) });
}

export function openConversation(id: string): Promise<ConversationView> {
  return call("open_conversation", { id });
}

/** Up to `limit` messages of a branch before `messageId` (its nearest ancestors), oldest first. */
export function branchBefore(messageId: string, limit: number): Promise<BranchPage> {
  return call("branch_before", { messageId, limit });
}

/** The HTML of a long finished text kept in an earlier launch as `key`, or `null`. */
export async function readRendered(key: string): Promise<string | null> {
  // Raw bytes, empty when nothing is kept: a megabyte of HTML is not sent as a JSON string.
  const bytes = await call<ArrayBuffer>("read_rendered", { key });
  return bytes.byteLength === 0 ? null : new TextDecoder().decode(bytes);
}

/** Keeps the rendered HTML of a long finished text as `key` for the next launches. */
export function writeRendered(key: string, html: string): Promise<null> {
  return call("write_rendered", { key, html });
}

/** `null` leaves a field unchanged; an empty system prompt clears it. */
export function updateConversation(
  id: string,
  model: string | null,
  systemPrompt: string | null,
): Promise<ConversationMeta> {
  return call("update_conversation", { id, model, systemPrompt });
}

/** Stores the conversation's request parameters (validated again in Rust). */
export function updateConversationParams(
  id: string,
  params: RequestParams,
): Promise<ConversationMeta> {
  return call("update_conversation_params", { id, params });
}

export function sendMessage(
  request: SendRequest,
  onEvent: (event: ChatEvent) => void,
): Promise<SendStarted> {
  return call("send_message", { request, onEvent: channel(onEvent) });
}

export function regenerateReply(
  messageId: string,
  onEvent: (event: ChatEvent) => void,
): Promise<SendStarted> {
  return call("regenerate_reply", { messageId, onEvent: channel(onEvent) });
}

export function editAndResend(
  messageId: string,
  text: string,
  onEvent: (event: ChatEvent) => void,
): Promise<SendStarted> {
  return call("edit_and_resend", { messageId, text, onEvent: channel(onEvent) });
}

/**
 * Continues a reply that stopped at `max_tokens`: the reply keeps its id and goes back to
 * `streaming`; new blocks take the indices after its existing ones, and text continuing its
 * last text block arrives at that block's index.
 */
export function continueReply(
  messageId: string,
  onEvent: (event: ChatEvent) => void,
): Promise<SendStarted> {
  return call("continue_reply", { messageId, onEvent: channel(onEvent) });
}

/** Tokens of the next request (the API's count, or Rust's estimate when it has none). */
export function countTokens(request: TokenCountRequest): Promise<TokenCount> {
  return call("count_tokens", { request });
}

/**
 * Fetches the endpoint's `/v1/models` (`force`: even when the list is recent) and returns the
 * settings view with the new list.
 */
export function refreshModels(force: boolean): Promise<SettingsView> {
  return call("refresh_models", { force });
}

export function listPresets(): Promise<Preset[]> {
  return call("list_presets");
}

/** Creates a preset (`draft.id` null) or replaces one. */
export function savePreset(draft: PresetDraft): Promise<Preset> {
  return call("save_preset", { draft });
}

/** Resolves with the presets left. */
export function deletePreset(id: string): Promise<Preset[]> {
  return call("delete_preset", { id });
}

/** Makes `id` the preset Ctrl+N starts from (`null`: none); resolves with every preset. */
export function setDefaultPreset(id: string | null): Promise<Preset[]> {
  return call("set_default_preset", { id });
}

/** Tokens and cost of every reply of a conversation, on every branch. */
export function conversationTotals(id: string): Promise<UsageTotals> {
  return call("conversation_totals", { id });
}

/**
 * Spend per model since `todayStartMs` (local midnight) and since `monthStartMs` (local first
 * of the month), both in ms since the epoch.
 */
export function spendSummary(todayStartMs: number, monthStartMs: number): Promise<SpendView> {
  return call("spend_summary", { todayStartMs, monthStartMs });
}

/** Stops a reply's stream, or the tool round of that reply (its running calls too). */
export function cancelStream(messageId: string): Promise<null> {
  return call("cancel_stream", { messageId });
}

/** Starts the configured MCP servers; called once after the first paint. */
export function startMcpServers(): Promise<null> {
  return call("start_mcp_servers");
}

/** Every MCP server with its state and tools; env and header values never come back, only names. */
export function listMcpServers(): Promise<McpServerView[]> {
  return call("list_mcp_servers");
}

/**
 * Adds (`draft.id` null) or replaces a server. Secret values go to the OS keychain; a
 * `SecretEntry` whose value is null keeps the value stored for that name.
 */
export function saveMcpServer(draft: McpServerDraft): Promise<McpServerView> {
  return call("save_mcp_server", { draft });
}

export function deleteMcpServer(serverId: string): Promise<null> {
  return call("delete_mcp_server", { serverId });
}

/** Adds the servers of a Claude Desktop document (`{"mcpServers": {...}}`). */
export function importMcpServers(document: string): Promise<McpImportReport> {
  return call("import_mcp_servers", { document });
}

export function restartMcpServer(serverId: string): Promise<null> {
  return call("restart_mcp_server", { serverId });
}

export function setMcpServerEnabled(serverId: string, enabled: boolean): Promise<null> {
  return call("set_mcp_server_enabled", { serverId, enabled });
}

export function setMcpToolEnabled(
  serverId: string,
  toolName: string,
  enabled: boolean,
): Promise<null> {
  return call("set_mcp_tool_enabled", { serverId, toolName, enabled });
}

/** The "always allow" decisions, each with whether the tool changed since. */
export function listToolPermissions(): Promise<ToolPermission[]> {
  return call("list_tool_permissions");
}

export function revokeToolPermission(serverId: string, toolName: string): Promise<null> {
  return call("revoke_tool_permission", { serverId, toolName });
}

/** The user's answer to a pending MCP tool call; Rust decides what runs. */
export function decideToolCall(
  messageId: string,
  callId: string,
  decision: Decision,
): Promise<null> {
  return call("decide_tool_call", { messageId, callId, decision });
}

/** The result the user typed for a call of a hand-written tool. */
export function submitToolResult(
  messageId: string,
  callId: string,
  text: string,
  isError: boolean,
): Promise<null> {
  return call("submit_tool_result", { messageId, callId, text, isError });
}

/** The `toolCalls` events of every round waiting or running now (any conversation). */
export function liveToolCalls(): Promise<ChatEvent[]> {
  return call("live_tool_calls");
}

/**
 * Runs the calls of a `tool_use` reply that has no results yet (after the round cap paused the
 * loop, or after a restart) and continues the loop on `onEvent`; `assistantMessage` is that
 * reply.
 */
export function resumeToolLoop(
  messageId: string,
  onEvent: (event: ChatEvent) => void,
): Promise<SendStarted> {
  return call("resume_tool_loop", { messageId, onEvent: channel(onEvent) });
}

export function selectBranch(messageId: string): Promise<ConversationView> {
  return call("select_branch", { messageId });
}

/** Paths chosen in the native open dialog (several, image types); `[]` when cancelled. */
export function pickImageFiles(): Promise<string[]> {
  return call("pick_image_files");
}

/** Decodes, orients, strips, downscales and stores one image file (in Rust, off the UI thread). */
export function prepareImageFile(path: string): Promise<ImageDraft> {
  return call("prepare_image_file", { path });
}

/** The same for bytes the webview already holds (a pasted file); sent as a raw IPC body. */
export function prepareImageBytes(name: string, bytes: Uint8Array): Promise<ImageDraft> {
  return call("prepare_image_bytes", bytes, {
    headers: { "x-parley-name": encodeURIComponent(name) },
  });
}

/** The image on the OS clipboard, read in Rust; `null` when the clipboard holds none. */
export function pasteClipboardImage(): Promise<ImageDraft | null> {
  return call("paste_clipboard_image");
}

/** A stored image as a `data:` URL. */
export function readImage(sha256: string, variant: ImageVariant): Promise<string> {
  return call("read_image", { sha256, variant });
}

export type DragDrop =
  | { type: "enter"; paths: string[] }
  | { type: "over" }
  | { type: "drop"; paths: string[] }
  | { type: "leave" };

/**
 * Listens to Tauri's native drag and drop on this webview (files dragged from the OS give paths).
 * Resolves with the function that stops listening; without Tauri (a plain browser) it does nothing.
 */
export async function onDragDrop(handler: (event: DragDrop) => void): Promise<() => void> {
  const internals = (window as { __TAURI_INTERNALS__?: { metadata?: unknown } })
    .__TAURI_INTERNALS__;
  if (!internals?.metadata) return () => {};
  try {
    const { getCurrentWebview } = await import("@tauri-apps/api/webview");
    const unlisten = await getCurrentWebview().onDragDropEvent(({ payload }) => {
      if (payload.type === "enter" || payload.type === "drop") {
        handler({ type: payload.type, paths: payload.paths });
      } else {
        handler({ type: payload.type });
      }
    });
    return () => {
      // Typed as returning void, but Tauri's unlisten is async: ignore a late rejection.
      Promise.resolve(unlisten() as unknown).catch(() => {});
    };
  } catch (error) {
    throw normalizeError(error);
  }
}

/**
 * Opens an http(s) or mailto link in the system browser or mail client (a mailto link without its
 * query, see `externalUrl`); the webview itself never navigates.
 */
export async function openExternal(href: string): Promise<void> {
  const url = externalUrl(href);
  if (url === null) return;
  try {
    await openUrl(url);
  } catch (error) {
    throw normalizeError(error);
  }
}
