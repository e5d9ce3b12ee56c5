//! Connection settings of the client (everything except the key, which travels separately).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The Anthropic API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The classic `anthropic-version`, accepted by the API and the gateways.
pub const DEFAULT_API_VERSION: &str = "2023-06-01";

/// How the key is sent: Anthropic wants `x-api-key`, some gateways want `Authorization: Bearer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
pub enum AuthStyle {
    /// `x-api-key: <key>`.
    #[default]
    #[serde(rename = "x-api-key")]
    XApiKey,
    /// `Authorization: Bearer <key>`.
    #[serde(rename = "bearer")]
    Bearer,
}

/// Where and how to reach the Messages API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiConfig {
    /// Base URL without `/v1`, as produced by [`crate::normalize_base_url`].
    pub base_url: String,
    /// Value of the `anthropic-version` header.
    pub api_version: String,
    /// Which header carries the key.
    pub auth_style: AuthStyle,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            auth_style: AuthStyle::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_style_serializes_to_the_ipc_names() {
        assert_eq!(
            serde_json::to_string(&AuthStyle::XApiKey).unwrap(),
            "\"x-api-key\""
        );
        assert_eq!(
            serde_json::to_string(&AuthStyle::Bearer).unwrap(),
            "\"bearer\""
        );
        assert_eq!(AuthStyle::default(), AuthStyle::XApiKey);
    }
}
