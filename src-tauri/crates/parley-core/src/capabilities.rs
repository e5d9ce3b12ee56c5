//! What an endpoint (a base URL) has shown it can do, remembered across restarts, so Parley
//! stops asking for what a gateway does not serve and says so once.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What is known of one base URL. `None`: not tried yet (assume it works).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointCapabilities {
    /// `GET /v1/models` answers.
    pub models: Option<bool>,
    /// `POST /v1/messages/count_tokens` answers.
    pub count_tokens: Option<bool>,
    /// Requests with `cache_control` are accepted.
    pub cache_control: Option<bool>,
}
