// Types shared with the Rust side (source of truth: `parley-core`, see docs/ipc-contract.md).
// Written by hand in ts-rs style until ts-rs regenerates this file; keep names and shapes identical.

export type ErrorKind =
  | "invalid_request"
  | "auth"
  | "permission"
  | "not_found"
  | "request_too_large"
  | "rate_limit"
  | "api_error"
  | "overloaded"
  | "network"
  | "stream_interrupted"
  | "bad_response"
  | "cancelled"
  | "no_api_key"
  | "keychain_unavailable"
  | "keychain"
  | "database"
  | "invalid_input"
  | "missing"
  | "internal";

export type ErrorPayload = {
  kind: ErrorKind;
  message: string;
  status: number | null;
  requestId: string | null;
};

export type ContentBlock =
  | { type: "text"; text: string; citations?: unknown[] }
  | {
      type: "image";
      source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
    }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content?: unknown; is_error?: boolean }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: string; [k: string]: unknown };

export type MessageStatus = "streaming" | "done" | "error" | "cancelled";

export type Usage = {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number | null;
  cacheReadInputTokens: number | null;
};

export type MessageView = {
  id: string;
  conversationId: string;
  parentId: string | null;
  role: "user" | "assistant";
  blocks: ContentBlock[];
  status: MessageStatus;
  error: ErrorPayload | null;
  model: string | null;
  stopReason: string | null;
  usage: Usage | null;
  siblingIds: string[];
  siblingIndex: number;
  createdAt: number;
};

export type ConversationMeta = {
  id: string;
  title: string;
  model: string;
  systemPrompt: string | null;
  createdAt: number;
  updatedAt: number;
};

export type ConversationSummary = { id: string; title: string; model: string; updatedAt: number };

export type ConversationView = { conversation: ConversationMeta; messages: MessageView[] };

export type AuthStyle = "x-api-key" | "bearer";

export type Settings = {
  baseUrl: string;
  apiVersion: string;
  authStyle: AuthStyle;
  defaultModel: string;
  defaultMaxTokens: number;
};

export type KeyStatus = "set" | "unset" | "env";

export type SettingsView = {
  settings: Settings;
  keyStatus: KeyStatus;
  models: string[];
  baseUrlPresets: { label: string; url: string }[];
  apiVersions: string[];
};

export type ConnectionReport = { model: string; latencyMs: number; requestId: string | null };

export type SendRequest = {
  conversationId: string | null;
  text: string;
  model: string;
  systemPrompt: string | null;
};

export type SendStarted = {
  conversation: ConversationMeta;
  userMessage: MessageView | null;
  assistantMessage: MessageView;
};

export type ChatEvent =
  | { type: "retrying"; messageId: string; attempt: number; delayMs: number; error: ErrorPayload }
  | { type: "blockStart"; messageId: string; index: number; block: ContentBlock }
  | { type: "textDelta"; messageId: string; index: number; text: string }
  | { type: "thinkingDelta"; messageId: string; index: number; text: string }
  | { type: "toolInputDelta"; messageId: string; index: number; partialJson: string }
  | { type: "blockStop"; messageId: string; index: number; block: ContentBlock }
  | { type: "usage"; messageId: string; usage: Usage }
  | { type: "finished"; message: MessageView };
