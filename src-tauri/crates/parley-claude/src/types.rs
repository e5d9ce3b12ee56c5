//! Wire types of the Messages API, mirroring the JSON exactly.
//!
//! Anything the API may extend later (block types, stop reasons, event types, delta types) is kept
//! open: unknown content blocks round-trip unchanged as [`ContentBlock::Unknown`], stop reasons are
//! plain strings, and unknown events and deltas deserialize to an `Unknown` variant that callers
//! ignore.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The person using the app (and tool results sent back to the model).
    User,
    /// The model. A trailing assistant message in a request is a prefill that the reply continues.
    Assistant,
}

/// One turn of the conversation sent to the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Author of the turn.
    pub role: Role,
    /// A plain string or a list of content blocks.
    pub content: MessageContent,
}

impl Message {
    /// A user turn holding plain text.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: MessageContent::Text(text.into()),
        }
    }

    /// An assistant turn made of content blocks, e.g. a previous reply being sent back.
    pub fn assistant(blocks: Vec<ContentBlock>) -> Self {
        Self {
            role: Role::Assistant,
            content: MessageContent::Blocks(blocks),
        }
    }
}

/// The content of a [`Message`]: the API accepts a bare string as shorthand for one text block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Shorthand for a single text block.
    Text(String),
    /// Full content blocks.
    Blocks(Vec<ContentBlock>),
}

/// A content block, exactly as on the wire (`{"type": "text", ...}`).
///
/// Block types this crate does not know (server tools, documents, ...) are kept verbatim in
/// [`ContentBlock::Unknown`] so they survive a save/load/send round trip unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text written by the model or the user.
    Text {
        /// The text itself.
        text: String,
        /// Citations attached to this text, when the request enabled them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        citations: Option<Vec<Value>>,
    },
    /// An image sent by the user.
    Image {
        /// Where the image bytes come from.
        source: ImageSource,
    },
    /// A tool call made by the model.
    ToolUse {
        /// Id that the matching `tool_result` refers to.
        id: String,
        /// Tool name.
        name: String,
        /// Tool arguments (a JSON object).
        #[serde(default = "empty_object")]
        input: Value,
    },
    /// The result of a tool call, sent back by the user side.
    ToolResult {
        /// Id of the `tool_use` block this answers.
        tool_use_id: String,
        /// A string or a list of blocks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        content: Option<Value>,
        /// True when the tool failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        is_error: Option<bool>,
    },
    /// Extended thinking. Must be sent back unchanged (with its signature) in a tool-use exchange.
    Thinking {
        /// The model's reasoning text.
        #[serde(default)]
        thinking: String,
        /// Opaque signature that lets the API verify the block on the next turn.
        #[serde(default)]
        signature: String,
    },
    /// Thinking that was encrypted by the API; must be sent back unchanged.
    RedactedThinking {
        /// Opaque encrypted payload.
        data: String,
    },
    /// Any block type this crate does not model, kept as the raw JSON object.
    // Typed as an object with a `type` for TypeScript, so the UI can still narrow on `type`.
    #[serde(untagged)]
    Unknown(#[ts(type = "{ type: string; [key: string]: unknown }")] Value),
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl ContentBlock {
    /// A text block without citations.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text {
            text: text.into(),
            citations: None,
        }
    }

    /// The wire `type` of this block (`"text"`, `"tool_use"`, ... or the unknown block's own type).
    pub fn type_name(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Image { .. } => "image",
            Self::ToolUse { .. } => "tool_use",
            Self::ToolResult { .. } => "tool_result",
            Self::Thinking { .. } => "thinking",
            Self::RedactedThinking { .. } => "redacted_thinking",
            Self::Unknown(value) => value.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

/// The text of all text blocks, concatenated in order; other blocks are skipped.
///
/// Blocks are joined without a separator because the API splits one passage into several text
/// blocks when it attaches citations.
pub fn plain_text(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// Where an image block's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    /// Inline image data.
    Base64 {
        /// `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
        media_type: String,
        /// Base64 of the file (no `data:` prefix).
        data: String,
    },
    /// An image the API downloads itself.
    Url {
        /// Public URL of the image.
        url: String,
    },
}

/// The `system` field: a string, or text blocks (which can carry `cache_control`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    /// A plain system prompt.
    Text(String),
    /// System prompt blocks.
    Blocks(Vec<SystemBlock>),
}

/// One block of a structured system prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemBlock {
    /// Always `"text"` today; a string so new block types pass through.
    #[serde(rename = "type")]
    pub kind: String,
    /// The prompt text.
    pub text: String,
    /// e.g. `{"type": "ephemeral"}` to mark a prompt-caching breakpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

impl SystemBlock {
    /// A `{"type": "text"}` block without cache control.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            kind: "text".to_owned(),
            text: text.into(),
            cache_control: None,
        }
    }
}

/// Body of `POST /v1/messages`. Optional fields are omitted from the JSON when unset, so the API
/// applies its own defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MessagesRequest {
    /// Model id, e.g. `claude-sonnet-4-5-20250929`.
    pub model: String,
    /// Upper bound on generated tokens (>= 1).
    pub max_tokens: u32,
    /// The conversation, starting with a user turn.
    pub messages: Vec<Message>,
    /// System prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    /// Sampling temperature, 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Nucleus sampling, 0..=1 (use this or `temperature`, not both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Top-k sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Custom stop sequences (at most 4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    /// Request metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// How the model must use the tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Extended thinking configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<ThinkingConfig>,
    /// Server-sent events instead of one JSON reply. The client sets this itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
}

/// The request's `metadata` object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Metadata {
    /// An opaque id of the end user, for abuse detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// A tool definition.
///
/// Serialized untagged: a custom tool is written without a `type` field, exactly as the API
/// documents it, and a typed tool (`bash_20241022`, ...) is written as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tool {
    /// A tool implemented by the client, described by a JSON Schema.
    Custom {
        /// Tool name the model uses to call it.
        name: String,
        /// What the tool does; the model relies on this heavily.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// JSON Schema of the tool's input.
        input_schema: Value,
        /// Prompt-caching breakpoint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<Value>,
    },
    /// A versioned Anthropic-defined tool such as `{"type": "bash_20241022", "name": "bash"}`,
    /// or any other object with a `type`.
    Typed(Value),
}

/// The request's `tool_choice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides whether to use a tool.
    Auto,
    /// The model must use some tool.
    Any,
    /// The model must use the named tool.
    Tool {
        /// Name of the tool to call.
        name: String,
    },
    /// The model must not use tools.
    None,
}

/// The request's `thinking` object, e.g. `{"type": "enabled", "budget_tokens": 2048}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThinkingConfig {
    /// `"enabled"`; a string so newer modes pass through.
    #[serde(rename = "type")]
    pub kind: String,
    /// Token budget for thinking: >= 1024 and below `max_tokens`.
    pub budget_tokens: u32,
}

impl ThinkingConfig {
    /// `{"type": "enabled", "budget_tokens": budget_tokens}`.
    pub fn enabled(budget_tokens: u32) -> Self {
        Self {
            kind: "enabled".to_owned(),
            budget_tokens,
        }
    }
}

/// Token counts of a reply.
///
/// Every field defaults (and `null` reads as 0) because gateways and stream events often send
/// only some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct Usage {
    // Counts are JSON numbers, far below 2^53; ts-rs would map u64 to `bigint`.
    /// Input tokens that were not read from or written to the prompt cache.
    #[serde(default, deserialize_with = "null_as_zero")]
    #[ts(type = "number")]
    pub input_tokens: u64,
    /// Generated tokens.
    #[serde(default, deserialize_with = "null_as_zero")]
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// Input tokens written to the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub cache_read_input_tokens: Option<u64>,
}

fn null_as_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.unwrap_or(0))
}

/// The `usage` of a `message_delta` event: cumulative counts, any of which may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeltaUsage {
    /// Cumulative input tokens, when the event reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Cumulative output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Cumulative cache-write tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Cumulative cache-read tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
}

impl Usage {
    /// Overwrites the counts that `delta` reports; the API sends cumulative totals, not increments.
    pub fn merge(&mut self, delta: &DeltaUsage) {
        if let Some(n) = delta.input_tokens {
            self.input_tokens = n;
        }
        if let Some(n) = delta.output_tokens {
            self.output_tokens = n;
        }
        if let Some(n) = delta.cache_creation_input_tokens {
            self.cache_creation_input_tokens = Some(n);
        }
        if let Some(n) = delta.cache_read_input_tokens {
            self.cache_read_input_tokens = Some(n);
        }
    }
}

/// A complete (non-streamed) reply, and the `message` of a `message_start` event.
///
/// Serializes with `"type": "message"` like the API; reading tolerates its absence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "message")]
pub struct MessageResponse {
    /// Message id (`msg_...`).
    #[serde(default)]
    pub id: String,
    /// The model that actually answered.
    #[serde(default)]
    pub model: String,
    /// Always assistant.
    #[serde(default = "assistant_role")]
    pub role: Role,
    /// Reply content (empty in `message_start`).
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    /// `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, ... (kept as a string so unknown
    /// values survive).
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the reply, if any.
    #[serde(default)]
    pub stop_sequence: Option<String>,
    /// Token counts.
    #[serde(default)]
    pub usage: Usage,
}

fn assistant_role() -> Role {
    Role::Assistant
}

/// One server-sent event of a streamed reply (the JSON in its `data:` line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// First event: the message shell with empty content and the input token count.
    MessageStart {
        /// Id, model and initial usage.
        message: MessageResponse,
    },
    /// A content block begins (text empty, tool input `{}`).
    ContentBlockStart {
        /// Position of the block in the final content.
        index: usize,
        /// The block's initial state.
        content_block: ContentBlock,
    },
    /// A piece of a content block.
    ContentBlockDelta {
        /// Which block it belongs to.
        index: usize,
        /// The piece.
        delta: ContentDelta,
    },
    /// A content block is complete.
    ContentBlockStop {
        /// Which block ended.
        index: usize,
    },
    /// Top-level changes: stop reason and cumulative usage.
    MessageDelta {
        /// Stop reason and stop sequence.
        delta: MessageDeltaBody,
        /// Cumulative token counts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<DeltaUsage>,
    },
    /// Last event of a complete reply.
    MessageStop,
    /// Keep-alive; carries nothing.
    Ping,
    /// An error that arrived after the HTTP 200, e.g. `overloaded_error`.
    Error {
        /// Error type and message.
        error: ApiErrorBody,
    },
    /// An event type this crate does not know; ignored.
    #[serde(other)]
    Unknown,
}

/// The `delta` of a `content_block_delta` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentDelta {
    /// More text for a text block.
    TextDelta {
        /// The new text.
        text: String,
    },
    /// A piece of a tool call's JSON input; the pieces only parse once concatenated.
    InputJsonDelta {
        /// The piece of JSON text.
        partial_json: String,
    },
    /// More thinking text.
    ThinkingDelta {
        /// The new thinking text.
        thinking: String,
    },
    /// The thinking block's signature (or a piece of it).
    SignatureDelta {
        /// The signature text.
        signature: String,
    },
    /// A citation to attach to a text block.
    CitationsDelta {
        /// The citation object.
        citation: Value,
    },
    /// A delta type this crate does not know; ignored.
    #[serde(other)]
    Unknown,
}

/// The `delta` of a `message_delta` event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessageDeltaBody {
    /// Why generation stopped.
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// The stop sequence hit, if any.
    #[serde(default)]
    pub stop_sequence: Option<String>,
}

/// The `error` object of an error response or stream event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// e.g. `overloaded_error`, `invalid_request_error`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Human-readable explanation from the server.
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(value: Value) -> Value {
        let typed: T = serde_json::from_value(value).expect("deserializes");
        serde_json::to_value(&typed).expect("serializes")
    }

    #[test]
    fn known_content_blocks_round_trip_unchanged() {
        for block in [
            json!({"type": "text", "text": "hi"}),
            json!({"type": "text", "text": "hi", "citations": [{"type": "char_location"}]}),
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}),
            json!({"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}),
            json!({"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"a": [1, 2]}}),
            json!({"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"}),
            json!({"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "x"}], "is_error": true}),
            json!({"type": "thinking", "thinking": "hmm", "signature": "sig"}),
            json!({"type": "redacted_thinking", "data": "opaque"}),
        ] {
            assert_eq!(round_trip::<ContentBlock>(block.clone()), block);
        }
    }

    #[test]
    fn unknown_content_blocks_round_trip_unchanged() {
        let block = json!({
            "type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
            "input": {"query": "rust"}, "extra": [1, {"nested": null}]
        });
        let parsed: ContentBlock = serde_json::from_value(block.clone()).unwrap();
        assert!(
            matches!(parsed, ContentBlock::Unknown(_)),
            "must not be forced into a known type"
        );
        assert_eq!(parsed.type_name(), "server_tool_use");
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            block,
            "saved blocks are sent back as-is"
        );
    }

    #[test]
    fn an_image_with_an_unknown_source_is_kept_as_an_unknown_block() {
        let block = json!({"type": "image", "source": {"type": "file", "file_id": "f_1"}});
        assert_eq!(round_trip::<ContentBlock>(block.clone()), block);
    }

    #[test]
    fn plain_text_joins_text_blocks_only() {
        let blocks = vec![
            ContentBlock::text("Hello, "),
            ContentBlock::Thinking {
                thinking: "t".into(),
                signature: "s".into(),
            },
            ContentBlock::text("world"),
        ];
        assert_eq!(plain_text(&blocks), "Hello, world");
    }

    #[test]
    fn request_omits_unset_fields() {
        let req = MessagesRequest {
            model: "claude-haiku-4-5-20251001".into(),
            max_tokens: 16,
            messages: vec![Message::user("Hi")],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({"model": "claude-haiku-4-5-20251001", "max_tokens": 16,
                   "messages": [{"role": "user", "content": "Hi"}]})
        );
    }

    #[test]
    fn request_serializes_every_field_in_wire_form() {
        let req = MessagesRequest {
            model: "m".into(),
            max_tokens: 4096,
            messages: vec![
                Message::user("Hi"),
                Message::assistant(vec![ContentBlock::text("Sure:")]),
            ],
            system: Some(SystemPrompt::Blocks(vec![SystemBlock {
                cache_control: Some(json!({"type": "ephemeral"})),
                ..SystemBlock::text("Be brief")
            }])),
            temperature: Some(0.5),
            top_p: None,
            top_k: Some(5),
            stop_sequences: vec!["\n\nHuman:".into()],
            metadata: Some(Metadata {
                user_id: Some("u1".into()),
            }),
            tools: vec![
                Tool::Custom {
                    name: "get_stock_price".into(),
                    description: Some("price".into()),
                    input_schema: json!({"type": "object"}),
                    cache_control: None,
                },
                Tool::Typed(json!({"type": "bash_20241022", "name": "bash"})),
            ],
            tool_choice: Some(ToolChoice::Tool {
                name: "get_stock_price".into(),
            }),
            thinking: Some(ThinkingConfig::enabled(2048)),
            stream: true,
        };
        let expected = json!({
            "model": "m", "max_tokens": 4096,
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": [{"type": "text", "text": "Sure:"}]}
            ],
            "system": [{"type": "text", "text": "Be brief", "cache_control": {"type": "ephemeral"}}],
            "temperature": 0.5, "top_k": 5,
            "stop_sequences": ["\n\nHuman:"],
            "metadata": {"user_id": "u1"},
            "tools": [
                {"name": "get_stock_price", "description": "price", "input_schema": {"type": "object"}},
                {"type": "bash_20241022", "name": "bash"}
            ],
            "tool_choice": {"type": "tool", "name": "get_stock_price"},
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "stream": true
        });
        assert_eq!(serde_json::to_value(&req).unwrap(), expected);
        let back: MessagesRequest = serde_json::from_value(expected).unwrap();
        assert_eq!(
            back, req,
            "a mock server can read requests back with the same types"
        );
    }

    #[test]
    fn tool_choice_variants_use_the_type_tag() {
        assert_eq!(
            serde_json::to_value(ToolChoice::Auto).unwrap(),
            json!({"type": "auto"})
        );
        assert_eq!(
            serde_json::to_value(ToolChoice::Any).unwrap(),
            json!({"type": "any"})
        );
        assert_eq!(
            serde_json::to_value(ToolChoice::None).unwrap(),
            json!({"type": "none"})
        );
    }

    #[test]
    fn system_prompt_accepts_string_or_blocks() {
        assert_eq!(
            serde_json::to_value(SystemPrompt::Text("x".into())).unwrap(),
            json!("x")
        );
        let blocks: SystemPrompt =
            serde_json::from_value(json!([{"type": "text", "text": "y"}])).unwrap();
        assert_eq!(blocks, SystemPrompt::Blocks(vec![SystemBlock::text("y")]));
    }

    #[test]
    fn message_response_parses_the_documented_example() {
        let msg: MessageResponse = serde_json::from_value(json!({
            "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": "Hello! I'm Claude. Nice to meet you."}],
            "model": "claude-sonnet-4-5-20250929", "stop_reason": "end_turn",
            "stop_sequence": null, "usage": {"input_tokens": 12, "output_tokens": 18}
        }))
        .unwrap();
        assert_eq!(msg.id, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
        assert_eq!(msg.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(
            msg.usage,
            Usage {
                input_tokens: 12,
                output_tokens: 18,
                ..Usage::default()
            }
        );
        assert_eq!(serde_json::to_value(&msg).unwrap()["type"], "message");
    }

    #[test]
    fn message_response_tolerates_missing_type_and_null_usage_fields() {
        let msg: MessageResponse = serde_json::from_value(json!({
            "id": "m", "content": [], "model": "x",
            "usage": {"input_tokens": null, "output_tokens": 3, "cache_read_input_tokens": null}
        }))
        .unwrap();
        assert_eq!(msg.role, Role::Assistant);
        assert_eq!(msg.usage.input_tokens, 0);
        assert_eq!(msg.usage.output_tokens, 3);
    }

    #[test]
    fn stream_events_parse_including_unknown_types() {
        let ev: StreamEvent = serde_json::from_value(json!({
            "type": "content_block_delta", "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": "{\"a\""}
        }))
        .unwrap();
        assert_eq!(
            ev,
            StreamEvent::ContentBlockDelta {
                index: 2,
                delta: ContentDelta::InputJsonDelta {
                    partial_json: "{\"a\"".into()
                }
            }
        );
        let unknown: StreamEvent =
            serde_json::from_value(json!({"type": "brand_new_event", "x": 1})).unwrap();
        assert_eq!(unknown, StreamEvent::Unknown);
        let unknown_delta: StreamEvent = serde_json::from_value(json!({
            "type": "content_block_delta", "index": 0, "delta": {"type": "new_delta", "y": 2}
        }))
        .unwrap();
        assert_eq!(
            unknown_delta,
            StreamEvent::ContentBlockDelta {
                index: 0,
                delta: ContentDelta::Unknown
            }
        );
        let delta: StreamEvent = serde_json::from_value(json!({
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": 15}
        }))
        .unwrap();
        assert_eq!(
            delta,
            StreamEvent::MessageDelta {
                delta: MessageDeltaBody {
                    stop_reason: Some("end_turn".into()),
                    stop_sequence: None
                },
                usage: Some(DeltaUsage {
                    output_tokens: Some(15),
                    ..DeltaUsage::default()
                })
            }
        );
    }

    #[test]
    fn usage_merge_overwrites_only_reported_counts() {
        let mut usage = Usage {
            input_tokens: 10,
            output_tokens: 1,
            cache_read_input_tokens: Some(4),
            ..Usage::default()
        };
        usage.merge(&DeltaUsage {
            output_tokens: Some(30),
            ..DeltaUsage::default()
        });
        assert_eq!(
            usage,
            Usage {
                input_tokens: 10,
                output_tokens: 30,
                cache_read_input_tokens: Some(4),
                ..Usage::default()
            }
        );
    }
}
