//! User settings other than the key: stored as one JSON document in the `settings` table.

use parley_claude::{ApiConfig, AuthStyle, normalize_base_url};
use parley_store::Store;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::params::RequestParams;
use crate::pricing::{self, ModelPrice};

/// The gateway the product was specified against; the default base URL.
pub const APIMART_BASE_URL: &str = "https://api.apimart.ai";
/// Anthropic's own API.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// The classic `anthropic-version`, accepted by Anthropic and by the gateway.
pub const DEFAULT_API_VERSION: &str = "2023-06-01";
/// The `anthropic-version` used in the gateway's examples.
pub const GATEWAY_API_VERSION: &str = "2025-10-01";
/// The models the gateway documents, cheapest first.
pub const BUILTIN_MODELS: [&str; 5] = [
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-1-20250805",
    "claude-opus-4-1-20250805-thinking",
    "claude-sonnet-4-5-20250929-thinking",
];
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5-20250929";
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

const SETTINGS_KEY: &str = "app_settings";

/// What the user chooses in the settings dialog (except the key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub base_url: String,
    pub api_version: String,
    #[ts(type = "\"x-api-key\" | \"bearer\"")]
    pub auth_style: AuthStyle,
    pub default_model: String,
    pub default_max_tokens: u32,
    /// Send images up to the API's hard limits (8000 px, 5 MB) instead of downscaling them to
    /// the 1568 px / 1.15 MP the API recommends. Costs more tokens and time.
    #[serde(default)]
    pub image_full_resolution: bool,
    /// The model that writes a conversation's title after its first reply; `None` turns
    /// automatic titles off. Defaults to the cheapest built-in model.
    #[serde(default = "default_title_model")]
    pub title_model: Option<String>,
    /// The parameters a new conversation starts with (when no preset gives them).
    #[serde(default)]
    pub default_params: RequestParams,
    /// Sent as `metadata.user_id` with every request when set: an opaque id for the end user,
    /// which the API uses to detect abuse. Never an e-mail address or name.
    #[serde(default)]
    pub metadata_user_id: Option<String>,
    /// Mark the stable prefix of each request with `cache_control` (prompt caching).
    #[serde(default = "default_true")]
    pub prompt_caching: bool,
    /// Show the input tokens of the next request under the composer (one `count_tokens`
    /// request per pause in typing; the endpoint's rate limits count it).
    #[serde(default = "default_true")]
    pub token_counting: bool,
    /// Prices per model, in micro-dollars per million tokens (see [`crate::pricing`]).
    #[serde(default = "pricing::default_prices")]
    pub prices: Vec<ModelPrice>,
    /// How long one tool call may run before it ends as an error result.
    #[serde(default = "default_tool_timeout_secs")]
    pub tool_timeout_secs: u32,
    /// How many tool rounds run in a row before the loop stops and asks.
    #[serde(default = "default_tool_round_cap")]
    pub tool_round_cap: u32,
    /// How requests reach the network (Settings → Network).
    #[serde(default)]
    pub proxy: crate::proxy::ProxySettings,
}

/// The default per-call timeout.
pub const DEFAULT_TOOL_TIMEOUT_SECS: u32 = 60;
/// The default cap on tool rounds in a row.
pub const DEFAULT_TOOL_ROUND_CAP: u32 = 25;

fn default_tool_timeout_secs() -> u32 {
    DEFAULT_TOOL_TIMEOUT_SECS
}

fn default_tool_round_cap() -> u32 {
    DEFAULT_TOOL_ROUND_CAP
}

fn default_true() -> bool {
    true
}

/// The cheapest built-in model: titles are short and should cost next to nothing.
pub const DEFAULT_TITLE_MODEL: &str = BUILTIN_MODELS[0];

fn default_title_model() -> Option<String> {
    Some(DEFAULT_TITLE_MODEL.to_owned())
}

impl Settings {
    /// Defaults; `env_base_url` is `ANTHROPIC_BASE_URL`, used when nothing is saved yet.
    pub fn defaults(env_base_url: Option<&str>) -> Self {
        let base_url = env_base_url
            .and_then(|url| normalize_base_url(url).ok())
            .unwrap_or_else(|| APIMART_BASE_URL.to_owned());
        Self {
            base_url,
            api_version: DEFAULT_API_VERSION.to_owned(),
            auth_style: AuthStyle::XApiKey,
            default_model: DEFAULT_MODEL.to_owned(),
            default_max_tokens: DEFAULT_MAX_TOKENS,
            image_full_resolution: false,
            title_model: default_title_model(),
            default_params: RequestParams::default(),
            metadata_user_id: None,
            prompt_caching: true,
            token_counting: true,
            prices: pricing::default_prices(),
            tool_timeout_secs: DEFAULT_TOOL_TIMEOUT_SECS,
            tool_round_cap: DEFAULT_TOOL_ROUND_CAP,
            proxy: crate::proxy::ProxySettings::System,
        }
    }

    /// Checks and normalises what the user typed; the error names the field.
    pub fn validated(mut self) -> CoreResult<Self> {
        self.base_url = normalize_base_url(&self.base_url)
            .map_err(|error| CoreError::InvalidInput(format!("Base URL: {error}")))?;
        self.api_version = self.api_version.trim().to_owned();
        if self.api_version.is_empty() {
            return Err(CoreError::InvalidInput(
                "anthropic-version must not be empty".into(),
            ));
        }
        self.default_model = self.default_model.trim().to_owned();
        if self.default_model.is_empty() {
            return Err(CoreError::InvalidInput(
                "Default model must not be empty".into(),
            ));
        }
        self.title_model = self
            .title_model
            .map(|model| model.trim().to_owned())
            .filter(|model| !model.is_empty());
        self.metadata_user_id = self
            .metadata_user_id
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        self.default_params = self.default_params.normalized();
        let issues = crate::params::validate(
            &self.default_params,
            crate::params::ParamContext {
                default_max_tokens: self.default_max_tokens.max(1),
                max_output_tokens: None,
                thinking: crate::params::ThinkingSupport::Parameter,
            },
        );
        if !issues.is_empty() {
            return Err(CoreError::InvalidInput(format!(
                "Default parameters: {}",
                crate::params::describe(&issues)
            )));
        }
        for price in &mut self.prices {
            price.model = price.model.trim().to_owned();
        }
        self.prices.retain(|price| !price.model.is_empty());
        if self.default_max_tokens == 0 {
            return Err(CoreError::InvalidInput(
                "max_tokens must be at least 1".into(),
            ));
        }
        self.proxy = self.proxy.validated()?;
        if !(1..=3600).contains(&self.tool_timeout_secs) {
            return Err(CoreError::InvalidInput(
                "The tool call timeout must be between 1 and 3600 seconds".into(),
            ));
        }
        if !(1..=1000).contains(&self.tool_round_cap) {
            return Err(CoreError::InvalidInput(
                "The tool rounds in a row must be between 1 and 1000".into(),
            ));
        }
        Ok(self)
    }

    pub fn api_config(&self) -> ApiConfig {
        ApiConfig {
            base_url: self.base_url.clone(),
            api_version: self.api_version.clone(),
            auth_style: self.auth_style,
        }
    }
}

/// Loads the saved settings, or the defaults when none are saved. A saved document that no longer
/// parses (say, after a downgrade) falls back to the defaults field by field rather than failing.
pub async fn load(store: &Store, env_base_url: Option<&str>) -> CoreResult<Settings> {
    let defaults = Settings::defaults(env_base_url);
    let Some(saved) = store.get_setting(SETTINGS_KEY).await? else {
        return Ok(defaults);
    };
    let mut value = serde_json::to_value(&defaults)
        .map_err(|error| CoreError::Internal(format!("settings: {error}")))?;
    if let (Some(target), Ok(serde_json::Value::Object(saved))) = (
        value.as_object_mut(),
        serde_json::from_str::<serde_json::Value>(&saved),
    ) {
        for (field, saved_value) in saved {
            target.insert(field, saved_value);
        }
    }
    Ok(serde_json::from_value(value).unwrap_or(defaults))
}

/// Validates and saves; returns what was saved.
pub async fn save(store: &Store, settings: Settings) -> CoreResult<Settings> {
    let settings = settings.validated()?;
    let json = serde_json::to_string(&settings)
        .map_err(|error| CoreError::Internal(format!("settings: {error}")))?;
    store.set_setting(SETTINGS_KEY, &json).await?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_the_gateway_unless_the_environment_names_another_url() {
        assert_eq!(Settings::defaults(None).base_url, APIMART_BASE_URL);
        assert_eq!(
            Settings::defaults(Some("http://127.0.0.1:9999/v1/")).base_url,
            "http://127.0.0.1:9999"
        );
        assert_eq!(
            Settings::defaults(Some("not a url")).base_url,
            APIMART_BASE_URL
        );
    }

    #[test]
    fn validation_normalises_the_url_and_names_the_bad_field() {
        let mut settings = Settings::defaults(None);
        settings.base_url = " https://api.anthropic.com/v1/ ".into();
        assert_eq!(
            settings.clone().validated().unwrap().base_url,
            ANTHROPIC_BASE_URL
        );
        settings.base_url = "ftp://x".into();
        let error = settings.clone().validated().unwrap_err();
        assert!(error.to_string().starts_with("Base URL"), "{error}");
        settings.base_url = ANTHROPIC_BASE_URL.into();
        settings.default_max_tokens = 0;
        assert!(
            settings
                .validated()
                .unwrap_err()
                .to_string()
                .contains("max_tokens")
        );
    }

    #[tokio::test]
    async fn settings_survive_a_round_trip_through_the_store() {
        let store = Store::open_in_memory().await.unwrap();
        assert_eq!(load(&store, None).await.unwrap(), Settings::defaults(None));
        let mut settings = Settings::defaults(None);
        settings.auth_style = AuthStyle::Bearer;
        settings.api_version = GATEWAY_API_VERSION.into();
        settings.default_max_tokens = 123;
        let saved = save(&store, settings.clone()).await.unwrap();
        assert_eq!(load(&store, None).await.unwrap(), saved);
    }

    #[tokio::test]
    async fn a_partial_saved_document_keeps_the_other_defaults() {
        let store = Store::open_in_memory().await.unwrap();
        store
            .set_setting(SETTINGS_KEY, r#"{"defaultMaxTokens":77}"#)
            .await
            .unwrap();
        let settings = load(&store, None).await.unwrap();
        assert_eq!(settings.default_max_tokens, 77);
        assert_eq!(settings.base_url, APIMART_BASE_URL);
        assert_eq!(
            settings.title_model.as_deref(),
            Some(DEFAULT_TITLE_MODEL),
            "settings saved before titles existed get the default title model"
        );
    }

    #[tokio::test]
    async fn the_title_model_can_be_turned_off_and_a_blank_one_means_off() {
        let store = Store::open_in_memory().await.unwrap();
        assert_eq!(DEFAULT_TITLE_MODEL, "claude-haiku-4-5-20251001");
        let mut settings = Settings::defaults(None);
        settings.title_model = None;
        save(&store, settings.clone()).await.unwrap();
        assert_eq!(load(&store, None).await.unwrap().title_model, None);
        settings.title_model = Some("  ".into());
        assert_eq!(
            save(&store, settings.clone()).await.unwrap().title_model,
            None
        );
        settings.title_model = Some(" claude-x ".into());
        save(&store, settings).await.unwrap();
        assert_eq!(
            load(&store, None).await.unwrap().title_model.as_deref(),
            Some("claude-x")
        );
        // A document without the field (an older UI) gets the default.
        let parsed: Settings = serde_json::from_str(
            r#"{"baseUrl":"https://x","apiVersion":"v","authStyle":"x-api-key","defaultModel":"m","defaultMaxTokens":1}"#,
        )
        .unwrap();
        assert_eq!(parsed.title_model.as_deref(), Some(DEFAULT_TITLE_MODEL));
    }
}
