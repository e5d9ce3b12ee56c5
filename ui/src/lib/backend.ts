/**
 * The only module that talks to the Rust side: every `invoke` and every `Channel` lives here, so
 * components and stores stay testable and the IPC surface is visible in one place.
 * Every function rejects with an `ErrorPayload` (see `normalizeError`).
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import { openUrl } from "@tauri-apps/plugin-opener";
import type {
  ChatEvent,
  ConnectionReport,
  ConversationMeta,
  ConversationSummary,
  ConversationView,
  KeyStatus,
  SendRequest,
  SendStarted,
  Settings,
  SettingsView,
} from "./bindings";
import { normalizeError } from "./errors";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw normalizeError(error);
  }
}

function channel(onEvent: (event: ChatEvent) => void): Channel<ChatEvent> {
  return new Channel<ChatEvent>(onEvent);
}

export function getSettings(): Promise<SettingsView> {
  return call("get_settings");
}

export function saveSettings(settings: Settings): Promise<SettingsView> {
  return call("save_settings", { settings });
}

/** Stores the key in the OS keychain; the key never comes back over IPC. */
export function setApiKey(key: string): Promise<KeyStatus> {
  return call("set_api_key", { key });
}

export function clearApiKey(): Promise<KeyStatus> {
  return call("clear_api_key");
}

export function testConnection(): Promise<ConnectionReport> {
  return call("test_connection");
}

export function listConversations(): Promise<ConversationSummary[]> {
  return call("list_conversations");
}

export function openConversation(id: string): Promise<ConversationView> {
  return call("open_conversation", { id });
}

/** `null` leaves a field unchanged; an empty system prompt clears it. */
export function updateConversation(
  id: string,
  model: string | null,
  systemPrompt: string | null,
): Promise<ConversationMeta> {
  return call("update_conversation", { id, model, systemPrompt });
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

export function cancelStream(messageId: string): Promise<null> {
  return call("cancel_stream", { messageId });
}

export function selectBranch(messageId: string): Promise<ConversationView> {
  return call("select_branch", { messageId });
}

/** Opens an http(s) or mailto link in the system browser; the webview itself never navigates. */
export async function openExternal(url: string): Promise<void> {
  if (!/^(https?:|mailto:)/i.test(url)) return;
  try {
    await openUrl(url);
  } catch (error) {
    throw normalizeError(error);
  }
}
