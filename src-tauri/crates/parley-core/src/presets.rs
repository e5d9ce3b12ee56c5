//! Presets: named bundles of model, system prompt and parameters (thinking included) that a
//! new conversation can start from.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::params::RequestParams;

/// A saved preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    pub id: String,
    pub name: String,
    pub model: String,
    pub system_prompt: Option<String>,
    pub params: RequestParams,
    /// `Ctrl+N` starts a conversation from the default preset (at most one is).
    pub is_default: bool,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// A preset to create (`id` unset) or to replace (`id` set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresetDraft {
    pub id: Option<String>,
    pub name: String,
    pub model: String,
    pub system_prompt: Option<String>,
    pub params: RequestParams,
}
