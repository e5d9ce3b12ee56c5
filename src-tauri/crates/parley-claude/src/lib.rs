//! A client for the Claude Messages API, independent of Tauri and of the UI.
//!
//! The base URL, the key and the `reqwest::Client` are passed in; serde types mirror the wire
//! format; a streamed reply comes out as typed [`StreamEvent`]s that [`MessageAccumulator`] folds
//! into the final message. Errors are classified into the [`ApiErrorKind`]s the UI tells apart,
//! and [`RetryPolicy`] decides, as a pure function, whether and when to try again.
//!
//! # Server-sent events
//!
//! The SSE framing is parsed by the small, exhaustively tested [`SseParser`] in this crate rather
//! than by the `eventsource-stream` crate (0.2.3), which was evaluated against our edge cases and
//! falls short on them: its UTF-8 layer keeps an invalid byte in its buffer forever, so a single
//! bad byte stalls the stream until EOF and then fails it (we decode lines lossily instead); its
//! nom parser re-scans the whole buffered text for every chunk, which is quadratic in a long line;
//! it only offers a `Stream` adapter, so neither byte-level pushing nor "was the body cut inside
//! an event?" can be asked; and it pulls in `nom` for about 150 lines of logic.
//!
//! # Architecture invariants
//!
//! - The API key lives in [`ApiKey`], which prints as `<redacted>` and cannot be serialized; no
//!   error message contains it or any request header.
//! - Nothing here knows about Tauri, IPC or storage.
//! - Unknown content blocks, stop reasons, events and deltas are kept or skipped, never fatal.
//! - No redirect is followed (see [`http_client`]); every response is read within
//!   [`ResponseLimits`]; every error message built from a server's words goes through
//!   [`sanitize_error_text`] (keys redacted, at most [`MAX_ERROR_TEXT`] bytes).

pub mod accumulate;
pub mod base_url;
pub mod client;
pub mod config;
pub mod error;
pub mod http;
pub mod key;
pub mod models;
pub mod origin;
pub mod retry;
pub mod sanitize;
pub mod sse;
pub mod types;

pub use accumulate::{AppliedDelta, MessageAccumulator, message_to_events};
pub use base_url::{InvalidBaseUrl, normalize_base_url};
pub use client::{ClaudeClient, EventStream};
pub use config::{ApiConfig, AuthStyle, DEFAULT_API_VERSION, DEFAULT_BASE_URL};
pub use error::{ApiErrorKind, ClaudeError, parse_retry_after};
pub use http::{ResponseLimits, USER_AGENT, http_client, http_client_builder};
pub use key::ApiKey;
pub use models::{ApiModel, ModelPage};
pub use origin::{ANTHROPIC_ORIGIN, APIMART_ORIGIN, ApiOrigin, Provider, is_loopback_host};
pub use retry::{MAX_RETRY_AFTER, RetryPolicy};
pub use sanitize::{MAX_ERROR_TEXT, sanitize_error_text};
pub use sse::{DEFAULT_MAX_EVENT, SseEvent, SseParser};
pub use types::{
    ApiErrorBody, ContentBlock, ContentDelta, DeltaUsage, ImageSource, Message, MessageContent,
    MessageDeltaBody, MessageResponse, MessagesRequest, Metadata, Role, StreamEvent, SystemBlock,
    SystemPrompt, ThinkingConfig, Tool, ToolChoice, Usage, plain_text,
};

#[cfg(test)]
mod tests {
    use ts_rs::TS;

    use super::*;

    /// The UI's TypeScript types are generated from these; pin the parts the IPC contract names.
    #[test]
    fn typescript_declarations_match_the_ipc_contract() {
        let kinds = ApiErrorKind::decl();
        for kind in [
            "\"rate_limit\"",
            "\"api_error\"",
            "\"stream_interrupted\"",
            "\"bad_response\"",
        ] {
            assert!(kinds.contains(kind), "{kinds}");
        }
        assert!(
            AuthStyle::decl().contains("\"x-api-key\" | \"bearer\""),
            "{}",
            AuthStyle::decl()
        );
        let blocks = ContentBlock::decl();
        assert!(blocks.contains("\"type\": \"tool_use\""), "{blocks}");
        assert!(blocks.contains("citations?: Array<JsonValue>"), "{blocks}");
        assert!(
            blocks.ends_with("{ type: string; [key: string]: unknown };"),
            "unknown blocks keep a `type` the UI can narrow on: {blocks}"
        );
        let usage = Usage::decl();
        assert!(
            usage.contains("input_tokens: number"),
            "token counts are numbers, not bigint: {usage}"
        );
        assert!(
            usage.contains("cache_read_input_tokens?: number"),
            "{usage}"
        );
    }
}
