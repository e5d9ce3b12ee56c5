//! Tokens before sending: what the next request will cost in input tokens, from the endpoint's
//! `count_tokens` or, where it is missing, a local estimate.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::images::ComposerImage;
use crate::params::RequestParams;

/// The next request as the composer would send it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenCountRequest {
    /// `None`: a new conversation.
    pub conversation_id: Option<String>,
    pub text: String,
    #[serde(default)]
    pub images: Vec<ComposerImage>,
    pub model: String,
    /// For a new conversation (an existing one uses its own).
    pub system_prompt: Option<String>,
    /// For a new conversation (an existing one uses its own).
    pub params: Option<RequestParams>,
    pub prefill: Option<String>,
}

/// Where a count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// `POST /v1/messages/count_tokens`.
    Api,
    /// A local estimate (shown with "≈"): the endpoint has no `count_tokens`.
    Estimate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenCount {
    #[ts(type = "number")]
    pub tokens: u64,
    pub source: TokenSource,
}
