// Generated from the Rust types in parley-core by ts-rs. Do not edit by hand:
// run `PARLEY_UPDATE_BINDINGS=1 cargo test -p parley-core bindings`.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type ErrorKind = "invalid_request" | "auth" | "permission" | "not_found" | "request_too_large" | "rate_limit" | "api_error" | "overloaded" | "network" | "stream_interrupted" | "bad_response" | "cancelled" | "redirect" | "response_too_large" | "no_api_key" | "keychain_unavailable" | "keychain" | "database" | "invalid_input" | "missing" | "image_empty" | "image_not_image" | "image_corrupt" | "image_unsupported" | "image_too_many_pixels" | "image_too_large" | "image_too_many" | "image_missing" | "data_folder_in_use" | "internal";

export type ErrorPayload = { kind: ErrorKind, message: string, 
/**
 * The HTTP status, when the error came from an HTTP response.
 */
status: number | null, 
/**
 * The API's `request-id`, for support requests.
 */
requestId: string | null, };

export type ContentBlock = { "type": "text", 
/**
 * The text itself.
 */
text: string, 
/**
 * Citations attached to this text, when the request enabled them.
 */
citations?: Array<JsonValue>, } | { "type": "image", 
/**
 * Where the image bytes come from.
 */
source: ImageSource, } | { "type": "tool_use", 
/**
 * Id that the matching `tool_result` refers to.
 */
id: string, 
/**
 * Tool name.
 */
name: string, 
/**
 * Tool arguments (a JSON object).
 */
input: JsonValue, } | { "type": "tool_result", 
/**
 * Id of the `tool_use` block this answers.
 */
tool_use_id: string, 
/**
 * A string or a list of blocks.
 */
content?: JsonValue, 
/**
 * True when the tool failed.
 */
is_error?: boolean, } | { "type": "thinking", 
/**
 * The model's reasoning text.
 */
thinking: string, 
/**
 * Opaque signature that lets the API verify the block on the next turn.
 */
signature: string, } | { "type": "redacted_thinking", 
/**
 * Opaque encrypted payload.
 */
data: string, } | { type: string; [key: string]: unknown };

export type ImageSource = { "type": "base64", 
/**
 * `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
 */
media_type: string, 
/**
 * Base64 of the file (no `data:` prefix).
 */
data: string, } | { "type": "url", 
/**
 * Public URL of the image.
 */
url: string, };

export type MessageRole = "user" | "assistant";

export type MessageStatus = "streaming" | "done" | "error" | "cancelled";

export type Usage = { inputTokens: number, outputTokens: number, cacheCreationInputTokens: number | null, cacheReadInputTokens: number | null, };

export type ToolChoiceSetting = { "type": "auto" } | { "type": "any" } | { "type": "tool", name: string, } | { "type": "none" };

export type HandTool = { name: string, description: string, 
/**
 * A JSON Schema of `"type": "object"`.
 */
inputSchema: unknown, };

export type RequestParams = { 
/**
 * `None`: the default from settings.
 */
maxTokens: number | null, temperature: number | null, topP: number | null, topK: number | null, stopSequences: Array<string>, 
/**
 * Extended thinking (`thinking: {type: "enabled"}`), for models that take the parameter.
 */
thinking: boolean, 
/**
 * `None` with thinking on: [`DEFAULT_THINKING_BUDGET`].
 */
thinkingBudget: number | null, 
/**
 * Which tools the model may or must use; sent only when the request has tools.
 */
toolChoice: ToolChoiceSetting, 
/**
 * Tools the user answers by hand (the workbench's custom tools), sent with the MCP tools.
 */
handTools: Array<HandTool>, };

export type CallState = "pending" | "approved" | "running" | "done" | "error" | "denied" | "cancelled";

export type CallOutcome = { 
/**
 * The `tool_result` content: a string or content blocks, as the API takes them.
 */
content: unknown, isError: boolean, };

export type ToolSource = { "type": "mcp", serverName: string, toolName: string, } | { "type": "hand" } | { "type": "unknown" };

export type ToolCallView = { id: string, name: string, input: unknown, state: CallState, outcome: CallOutcome | null, source: ToolSource, };

export type Decision = "deny" | "allow_once" | "always_allow";

export type SecretEntry = { name: string, value: string | null, };

export type TransportDraft = { "type": "stdio", command: string, args: Array<string>, env: Array<SecretEntry>, cwd: string | null, } | { "type": "http", url: string, headers: Array<SecretEntry>, };

export type McpServerDraft = { id: string | null, name: string, transport: TransportDraft, enabled: boolean, };

export type TransportView = { "type": "stdio", command: string, args: Array<string>, envNames: Array<string>, cwd: string | null, } | { "type": "http", url: string, headerNames: Array<string>, };

export type McpServerState = "starting" | "ready" | "failed" | "disabled";

export type McpToolView = { 
/**
 * The server's name for it.
 */
name: string, 
/**
 * The name the API sees.
 */
apiName: string, description: string | null, inputSchema: unknown, enabled: boolean, 
/**
 * An "always allow" decision holds for its current description and schema.
 */
alwaysAllowed: boolean, };

export type McpServerView = { id: string, name: string, transport: TransportView, enabled: boolean, state: McpServerState, 
/**
 * Why it failed.
 */
error: string | null, 
/**
 * The last lines of its stderr (secret values masked).
 */
stderrTail: Array<string>, 
/**
 * Its tools when ready (also the disabled ones).
 */
tools: Array<McpToolView>, };

export type ToolPermission = { serverId: string, 
/**
 * The server's name now (its id when it was removed).
 */
serverName: string, toolName: string, 
/**
 * The tool's fingerprint when it was allowed; a changed tool asks again.
 */
fingerprint: string, grantedAt: number, 
/**
 * The tool changed since (or is not offered now): the decision no longer applies.
 */
stale: boolean, };

export type McpImportReport = { 
/**
 * The names of the servers added.
 */
added: Array<string>, };

export type ThinkingSupport = "parameter" | "builtin" | "unsupported";

export type ParamField = "maxTokens" | "temperature" | "topP" | "topK" | "stopSequences" | "thinkingBudget" | "handTools";

export type ParamIssue = { field: ParamField, message: string, };

export type MessageView = { id: string, conversationId: string, parentId: string | null, role: MessageRole, blocks: Array<ContentBlock>, status: MessageStatus, error: ErrorPayload | null, model: string | null, 
/**
 * Why the reply stopped, verbatim from the API (`end_turn`, `max_tokens`, ...).
 */
stopReason: string | null, 
/**
 * The stop sequence that ended the reply, when `stop_reason` is `stop_sequence`.
 */
stopSequence: string | null, 
/**
 * The text the user started this reply with; `blocks` begin with it.
 */
prefill: string | null, usage: Usage | null, 
/**
 * What the reply cost in micro-dollars; `None` without usage or without a price for
 * its model (see [`MessageView::priced`]).
 */
costMicroUsd: number | null, 
/**
 * Every alternative of this turn (same parent, same role), oldest first.
 */
siblingIds: Array<string>, 
/**
 * This message's index in `sibling_ids`.
 */
siblingIndex: number, 
/**
 * Milliseconds since the Unix epoch.
 */
createdAt: number, };

export type ConversationMeta = { id: string, title: string, model: string, systemPrompt: string | null, 
/**
 * The conversation's request parameters (`params_json`).
 */
params: RequestParams, createdAt: number, updatedAt: number, };

export type TitleSource = "auto" | "user";

export type ConversationSummary = { id: string, title: string, model: string, 
/**
 * Milliseconds since the Unix epoch; the UI groups by it in local time.
 */
updatedAt: number, createdAt: number, pinned: boolean, folderId: string | null, titleSource: TitleSource, 
/**
 * The first image of the conversation, if any (`read_image` with `thumbnail`).
 */
thumbnailSha256: string | null, };

export type ConversationView = { conversation: ConversationMeta, messages: Array<MessageView>, 
/**
 * How many messages of the branch come before `messages` (0: the branch is whole).
 */
earlier: number, 
/**
 * Tokens and cost of every reply in the conversation, on every branch.
 */
totals: UsageTotals, };

export type BranchPage = { messages: Array<MessageView>, 
/**
 * How many messages of the branch come before these (0: its root is the first).
 */
earlier: number, };

export type Folder = { id: string, name: string, createdAt: number, };

export type HistoryIndex = { conversations: Array<ConversationSummary>, folders: Array<Folder>, };

export type SearchHit = { messageId: string, conversationId: string, conversationTitle: string, 
/**
 * The match is between "\u0002" and "\u0003"; "…" where text was cut.
 */
snippet: string, createdAt: number, };

export type GalleryImage = { sha256: string, mediaType: string, width: number | null, height: number | null, messageId: string, 
/**
 * Its order among the message's images, from 0.
 */
position: number, conversationId: string, conversationTitle: string, 
/**
 * When the message was sent (ms since the epoch).
 */
createdAt: number, };

export type GalleryCursor = { createdAt: number, messageId: string, position: number, };

export type GalleryPage = { 
/**
 * Newest message first, then in the order the images were attached.
 */
images: Array<GalleryImage>, 
/**
 * Pass as `before` for the next page; `null` when this page is the last.
 */
next: GalleryCursor | null, };

export type ModelPrice = { model: string, input: number, output: number, 
/**
 * Writing to the prompt cache (5-minute cache).
 */
cacheWrite: number, 
/**
 * Reading from the prompt cache.
 */
cacheRead: number, };

export type UsageTotals = { replies: number, inputTokens: number, outputTokens: number, cacheWriteTokens: number, cacheReadTokens: number, 
/**
 * The cost of the replies whose model has a price, in micro-dollars.
 */
microUsd: number, 
/**
 * Replies whose model has no price: their tokens are counted, their cost is not.
 */
unpricedReplies: number, };

export type ModelSpend = { model: string, totals: UsageTotals, 
/**
 * Whether the price table has this model (else `totals.micro_usd` is 0 and means nothing).
 */
priced: boolean, };

export type SpendView = { today: Array<ModelSpend>, month: Array<ModelSpend>, };

export type ModelSource = "builtin" | "api";

export type ModelInfo = { id: string, displayName: string | null, 
/**
 * The largest `max_tokens` the model accepts, when known.
 */
maxOutputTokens: number | null, 
/**
 * The context window in tokens, when known.
 */
contextWindow: number | null, thinking: ThinkingSupport, source: ModelSource, };

export type EndpointCapabilities = { 
/**
 * `GET /v1/models` answers.
 */
models: boolean | null, 
/**
 * `POST /v1/messages/count_tokens` answers.
 */
countTokens: boolean | null, 
/**
 * Requests with `cache_control` are accepted.
 */
cacheControl: boolean | null, };

export type Preset = { id: string, name: string, model: string, systemPrompt: string | null, params: RequestParams, 
/**
 * `Ctrl+N` starts a conversation from the default preset (at most one is).
 */
isDefault: boolean, createdAt: number, updatedAt: number, };

export type PresetDraft = { id: string | null, name: string, model: string, systemPrompt: string | null, params: RequestParams, };

export type TokenCountRequest = { 
/**
 * `None`: a new conversation.
 */
conversationId: string | null, text: string, images: Array<ComposerImage>, model: string, 
/**
 * For a new conversation (an existing one uses its own).
 */
systemPrompt: string | null, 
/**
 * For a new conversation (an existing one uses its own).
 */
params: RequestParams | null, prefill: string | null, };

export type TokenSource = "api" | "estimate";

export type TokenCount = { tokens: number, source: TokenSource, };

export type ProxySettings = { "mode": "system" } | { "mode": "none" } | { "mode": "custom", url: string, username: string | null, noProxy: string, };

export type Settings = { baseUrl: string, apiVersion: string, authStyle: "x-api-key" | "bearer", defaultModel: string, defaultMaxTokens: number, 
/**
 * Send images up to the API's hard limits (8000 px, 5 MB) instead of downscaling them to
 * the 1568 px / 1.15 MP the API recommends. Costs more tokens and time.
 */
imageFullResolution: boolean, 
/**
 * The model that writes a conversation's title after its first reply; `None` turns
 * automatic titles off. Defaults to the cheapest built-in model.
 */
titleModel: string | null, 
/**
 * The parameters a new conversation starts with (when no preset gives them).
 */
defaultParams: RequestParams, 
/**
 * Sent as `metadata.user_id` with every request when set: an opaque id for the end user,
 * which the API uses to detect abuse. Never an e-mail address or name.
 */
metadataUserId: string | null, 
/**
 * Mark the stable prefix of each request with `cache_control` (prompt caching).
 */
promptCaching: boolean, 
/**
 * Show the input tokens of the next request under the composer (one `count_tokens`
 * request per pause in typing; the endpoint's rate limits count it).
 */
tokenCounting: boolean, 
/**
 * Prices per model, in micro-dollars per million tokens (see [`crate::pricing`]).
 */
prices: Array<ModelPrice>, 
/**
 * How long one tool call may run before it ends as an error result.
 */
toolTimeoutSecs: number, 
/**
 * How many tool rounds run in a row before the loop stops and asks.
 */
toolRoundCap: number, 
/**
 * How requests reach the network (Settings → Network).
 */
proxy: ProxySettings, };

export type KeyStatus = "set" | "unset" | "env";

export type KeyView = { 
/**
 * `scheme://host[:port]`: the only place this key is ever sent.
 */
origin: string, status: KeyStatus, 
/**
 * Whom the key is for: the UI names the key field after it, in its own language, and
 * shows the usual shape of the provider's keys.
 */
provider: KeyProvider, 
/**
 * Why the keychain could not be read, when it could not.
 */
keychainError: ErrorPayload | null, };

export type KeyOrigin = { origin: string, provider: KeyProvider, };

export type KeyProvider = { "kind": "anthropic" } | { "kind": "apimart" } | { "kind": "local" } | { "kind": "host", host: string, };

export type Provider = "anthropic" | "apimart";

export type BaseUrlPreset = { provider: Provider, label: string, url: string, };

export type SettingsView = { settings: Settings, 
/**
 * The key of the saved base URL's origin.
 */
key: KeyView, 
/**
 * The origins that have a key in the keychain.
 */
keyOrigins: Array<KeyOrigin>, 
/**
 * The models for the pickers: the endpoint's `/v1/models` when it has one, else the
 * built-in list.
 */
models: Array<ModelInfo>, 
/**
 * When the models were last fetched from the endpoint (ms since the epoch), if ever.
 */
modelsFetchedAt: number | null, 
/**
 * What the saved base URL has shown it can do.
 */
capabilities: EndpointCapabilities, 
/**
 * The keychain holds a password for the custom proxy.
 */
proxyPasswordSet: boolean, baseUrlPresets: Array<BaseUrlPreset>, apiVersions: Array<string>, };

export type ConnectionReport = { model: string, latencyMs: number, };

export type ImageDraft = { 
/**
 * Hex SHA-256 of the encoded bytes: the image's id from now on.
 */
sha256: string, mediaType: string, 
/**
 * As sent.
 */
width: number, height: number, 
/**
 * As the file had it, after EXIF orientation.
 */
originalWidth: number, originalHeight: number, 
/**
 * Encoded bytes; the base64 sent is about 4/3 of this.
 */
byteLen: number, 
/**
 * `width * height / 750`, rounded up.
 */
estimatedTokens: number, 
/**
 * The file name, for display.
 */
name: string, 
/**
 * A `data:` URL of a small preview.
 */
thumbnail: string, };

export type ComposerImage = { "type": "stored", sha256: string, } | { "type": "url", url: string, };

export type ImagePlacement = "beforeText" | "afterText";

export type ImageVariant = "thumbnail" | "full";

export type SendRequest = { 
/**
 * `None` starts a new conversation.
 */
conversationId: string | null, text: string, model: string, systemPrompt: string | null, 
/**
 * Images in the order the user arranged them.
 */
images: Array<ComposerImage>, imagePlacement: ImagePlacement, 
/**
 * The parameters panel as shown: stored on the conversation before the request is built.
 * `None` keeps the conversation's (a new conversation gets the settings' defaults).
 */
params: RequestParams | null, 
/**
 * "Start Claude's reply with…": the reply continues this text.
 */
prefill: string | null, };

export type SendStarted = { conversation: ConversationMeta, userMessage: MessageView | null, assistantMessage: MessageView, };

export type ExportFormat = "json" | "markdown";

export type ExportReport = { 
/**
 * The file written, or the folder the Markdown files were written into.
 */
path: string, conversations: number, 
/**
 * Messages written: every branch for JSON, the visible branch for Markdown.
 */
messages: number, 
/**
 * Image files embedded (JSON) or saved beside the Markdown.
 */
images: number, };

export type ImportReport = { 
/**
 * Conversations added.
 */
imported: number, 
/**
 * Conversations left out because they are already here (same id).
 */
skipped: number, 
/**
 * Messages added.
 */
messages: number, 
/**
 * Images of the added conversations that the file carried.
 */
images: number, 
/**
 * Presets added (those already here, by id, are left as they are).
 */
presets: number, };

export type TransferProgress = { done: number, total: number, };

export type UpgradeStep = { "step": "backingUp" } | { "step": "migrating" } | { "step": "indexing", done: number, total: number, } | { "step": "compacting" };

export type StartupStatus = { 
/**
 * The history is open and every command works.
 */
ready: boolean, 
/**
 * The upgrade's latest step, if an upgrade ran.
 */
step: UpgradeStep | null, };

export type ChatEvent = { "type": "retrying", messageId: string, attempt: number, delayMs: number, error: ErrorPayload, } | { "type": "blockStart", messageId: string, index: number, block: ContentBlock, } | { "type": "textDelta", messageId: string, index: number, text: string, } | { "type": "thinkingDelta", messageId: string, index: number, text: string, } | { "type": "toolInputDelta", messageId: string, index: number, partialJson: string, } | { "type": "blockStop", messageId: string, index: number, block: ContentBlock, textStreamed: boolean, } | { "type": "usage", messageId: string, usage: Usage, } | { "type": "finished", message: MessageView, blocksStreamed: boolean, } | { "type": "toolCalls", messageId: string, conversationId: string, calls: ToolCallView[], awaiting: boolean, } | { "type": "toolResults", message: MessageView, } | { "type": "nextReply", message: MessageView, } | { "type": "toolLoopPaused", messageId: string, rounds: number, } | { "type": "titleUpdated", conversationId: string, title: string, };
