//! The models a user can pick: the built-in list (the seeds' five ids) and what the endpoint's
//! `GET /v1/models` lists, with their output limits where known.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::params::{ThinkingSupport, thinking_support};
use crate::settings::BUILTIN_MODELS;

/// Where a model entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// Parley's built-in list (used when the endpoint has no `/v1/models`).
    Builtin,
    /// The endpoint's `/v1/models`.
    Api,
}

/// One model in the pickers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    pub id: String,
    pub display_name: Option<String>,
    /// The largest `max_tokens` the model accepts, when known.
    pub max_output_tokens: Option<u32>,
    /// The context window in tokens, when known.
    pub context_window: Option<u32>,
    pub thinking: ThinkingSupport,
    pub source: ModelSource,
}

/// Output limits of the built-in models (Anthropic's models overview, October 2025): Haiku 4.5
/// and Sonnet 4.5 write up to 64,000 tokens, Opus 4.1 up to 32,000; all read 200,000.
fn builtin_limits(id: &str) -> (Option<u32>, Option<u32>) {
    if id.starts_with("claude-opus-4-1") {
        (Some(32_000), Some(200_000))
    } else if id.starts_with("claude-sonnet-4-5") || id.starts_with("claude-haiku-4-5") {
        (Some(64_000), Some(200_000))
    } else {
        (None, None)
    }
}

/// The built-in list, with the seeds' descriptions as display names.
pub fn builtin_models() -> Vec<ModelInfo> {
    BUILTIN_MODELS
        .iter()
        .map(|id| {
            let (max_output_tokens, context_window) = builtin_limits(id);
            ModelInfo {
                id: (*id).to_owned(),
                display_name: Some(builtin_display_name(id)),
                max_output_tokens,
                context_window,
                thinking: thinking_support(id),
                source: ModelSource::Builtin,
            }
        })
        .collect()
}

fn builtin_display_name(id: &str) -> String {
    let family = if id.contains("haiku") {
        "Claude Haiku 4.5"
    } else if id.contains("sonnet") {
        "Claude Sonnet 4.5"
    } else {
        "Claude Opus 4.1"
    };
    if id.ends_with("-thinking") {
        format!("{family} (thinking)")
    } else {
        family.to_owned()
    }
}

/// What is known of `id`: its entry in `models`, else a bare entry (a custom id) with the
/// built-in limits when its name matches a built-in family.
pub fn model_info(models: &[ModelInfo], id: &str) -> ModelInfo {
    if let Some(found) = models.iter().find(|m| m.id == id) {
        return found.clone();
    }
    let (max_output_tokens, context_window) = builtin_limits(id);
    ModelInfo {
        id: id.to_owned(),
        display_name: None,
        max_output_tokens,
        context_window,
        thinking: thinking_support(id),
        source: ModelSource::Builtin,
    }
}
