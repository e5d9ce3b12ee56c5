//! The models a user can pick: the built-in list (the seeds' five ids) and what the endpoint's
//! `GET /v1/models` lists, with their output limits where known.
//!
//! The endpoint's list is cached per base URL in the settings table (key
//! `models_cache <base_url>`, a [`ModelsCache`] document) and fetched again when a day old, or
//! when the user asks. The UI asks for a refresh after its first paint; opening Parley never
//! waits for the network. An endpoint without `/v1/models` (a gateway) is remembered as such in
//! the [capabilities](crate::capabilities) and gets the built-in list without an error.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use parley_claude::{ApiErrorKind, ApiModel, ClaudeClient, ClaudeError, normalize_base_url};
use parley_store::Store;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::params::{ThinkingSupport, thinking_support};
use crate::settings::{BUILTIN_MODELS, Settings};

/// The prefix of the settings-table key of a base URL's models cache.
const MODELS_CACHE_PREFIX: &str = "models_cache ";
/// How old a cached list may be before a refresh that is not forced fetches it again (one day,
/// in ms): model lists change with releases, a few times a year.
const MODELS_MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;
/// Models asked for per page (the API allows up to 1000; 100 keeps each reply small).
const MODELS_PAGE_LIMIT: u32 = 100;
/// Pages fetched at most: 2,000 models, so an endpoint whose `has_more` never ends cannot keep
/// Parley asking.
const MODELS_MAX_PAGES: usize = 20;

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

/// What a base URL listed, and when (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModelsCache {
    pub(crate) fetched_at: i64,
    pub(crate) models: Vec<ModelInfo>,
}

impl ModelsCache {
    /// The cache of `base_url`, if one is stored and readable (an unreadable one, say from a
    /// later Parley, counts as none: it is fetched again).
    pub(crate) async fn load(store: &Store, base_url: &str) -> CoreResult<Option<Self>> {
        let Some(json) = store.get_setting(&models_cache_key(base_url)).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&json)
            .inspect_err(|error| tracing::warn!(%error, "ignoring an unreadable models cache"))
            .ok())
    }

    async fn save(&self, store: &Store, base_url: &str) -> CoreResult<()> {
        let json = serde_json::to_string(self)
            .map_err(|error| CoreError::Internal(format!("models cache: {error}")))?;
        store
            .set_setting(&models_cache_key(base_url), &json)
            .await?;
        Ok(())
    }

    /// Younger than a day at `now`. A time in the future (the clock was set back) is stale, so
    /// a wrong clock cannot freeze the list.
    fn is_fresh(&self, now: i64) -> bool {
        (0..MODELS_MAX_AGE_MS).contains(&(now - self.fetched_at))
    }
}

/// `models_cache <normalised base URL>`.
fn models_cache_key(base_url: &str) -> String {
    let base_url = normalize_base_url(base_url).unwrap_or_else(|_| base_url.trim().to_owned());
    format!("{MODELS_CACHE_PREFIX}{base_url}")
}

/// An entry of the endpoint's list as the pickers show it: the endpoint's limits, else the
/// built-in ones of its family; the endpoint's display name, else the built-in one.
fn model_from_api(model: ApiModel, builtin: &[ModelInfo]) -> ModelInfo {
    let known = model_info(builtin, &model.id);
    ModelInfo {
        display_name: model.display_name.or(known.display_name),
        max_output_tokens: model.max_tokens.or(known.max_output_tokens),
        context_window: model.max_input_tokens.or(known.context_window),
        thinking: thinking_support(&model.id),
        source: ModelSource::Api,
        id: model.id,
    }
}

/// Every page of the endpoint's list, each model once, in the endpoint's order.
async fn fetch_all_models(client: &ClaudeClient) -> Result<Vec<ApiModel>, ClaudeError> {
    let mut models = Vec::new();
    let mut seen = HashSet::new();
    let mut after_id: Option<String> = None;
    for _ in 0..MODELS_MAX_PAGES {
        let page = client
            .list_models(MODELS_PAGE_LIMIT, after_id.as_deref())
            .await?;
        models.extend(
            page.data
                .into_iter()
                .filter(|model| seen.insert(model.id.clone())),
        );
        match page.last_id {
            // A cursor that does not move would fetch the same page again.
            Some(last_id) if page.has_more && after_id.as_deref() != Some(last_id.as_str()) => {
                after_id = Some(last_id);
            }
            _ => return Ok(models),
        }
    }
    tracing::warn!(
        pages = MODELS_MAX_PAGES,
        "the models list has more pages than Parley reads; keeping the first ones"
    );
    Ok(models)
}

/// Whether `error` says the endpoint serves no models list. Besides a missing route, a 200 that
/// is not a models list counts: many gateways answer unknown paths with their web page.
fn serves_no_models_list(error: &ClaudeError) -> bool {
    error.is_endpoint_missing() || error.kind == ApiErrorKind::BadResponse
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Parley {
    /// Fetches the models the saved base URL lists and caches them for the pickers.
    ///
    /// Without `force` nothing is fetched while the cache is younger than a day, or when the
    /// endpoint is remembered not to serve `/v1/models`. An endpoint that turns out not to
    /// serve it is remembered so and this returns `Ok` (the pickers keep the built-in list);
    /// other failures (network, key) are returned, for the UI to show when the user asked.
    /// The UI calls this after its first paint: nothing at start-up waits for it.
    pub async fn refresh_models(&self, force: bool) -> CoreResult<()> {
        if !force {
            let settings = self.settings().await?;
            let capabilities = self
                .capabilities
                .get(&self.store, &settings.base_url)
                .await?;
            if capabilities.models == Some(false) {
                return Ok(());
            }
            let cache = ModelsCache::load(&self.store, &settings.base_url).await?;
            if cache.is_some_and(|cache| cache.is_fresh(now_ms())) {
                return Ok(());
            }
        }
        // The client's settings name the base URL the list really comes from.
        let (client, settings) = self.client().await?;
        let listed = match fetch_all_models(&client).await {
            Ok(listed) => listed,
            Err(error) if serves_no_models_list(&error) => {
                tracing::info!(%error, "the endpoint lists no models; using the built-in list");
                self.capabilities
                    .record(&self.store, &settings.base_url, |c| c.models = Some(false))
                    .await?;
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        let builtin = builtin_models();
        let cache = ModelsCache {
            fetched_at: now_ms(),
            models: listed
                .into_iter()
                .map(|model| model_from_api(model, &builtin))
                .collect(),
        };
        cache.save(&self.store, &settings.base_url).await?;
        self.capabilities
            .record(&self.store, &settings.base_url, |c| c.models = Some(true))
            .await?;
        Ok(())
    }

    /// The models for the pickers and when they were fetched: the cached list of `settings`'
    /// base URL when there is one (and the endpoint is not remembered to have stopped serving
    /// it), else the built-in list. Never fails: a store error leaves the built-in list.
    pub(crate) async fn models_view(&self, settings: &Settings) -> (Vec<ModelInfo>, Option<i64>) {
        let base_url = &settings.base_url;
        let cache = match self.capabilities.get(&self.store, base_url).await {
            Ok(capabilities) if capabilities.models == Some(false) => Ok(None),
            Ok(_) => ModelsCache::load(&self.store, base_url).await,
            Err(error) => Err(error),
        };
        match cache {
            Ok(Some(cache)) if !cache.models.is_empty() => (cache.models, Some(cache.fetched_at)),
            // An endpoint that listed nothing still has its fetch time, so the UI can say so.
            Ok(Some(cache)) => (builtin_models(), Some(cache.fetched_at)),
            Ok(None) => (builtin_models(), None),
            Err(error) => {
                tracing::warn!(%error, "could not read the models cache");
                (builtin_models(), None)
            }
        }
    }

    /// What is known of `model` for checking a request: its entry in the endpoint's list, else
    /// in the built-in list, else a bare entry with the limits of its family (see
    /// [`model_info`]).
    pub async fn model_info_for(&self, model: &str) -> ModelInfo {
        let model = model.trim();
        let mut models = match self.settings().await {
            Ok(settings) => self.models_view(&settings).await.0,
            Err(error) => {
                tracing::warn!(%error, "could not read the settings for the models list");
                Vec::new()
            }
        };
        // Searched in order: the endpoint's entries win over the built-in ones.
        models.extend(builtin_models());
        model_info(&models, model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_entry_falls_back_to_the_builtin_limits_and_name() {
        let builtin = builtin_models();
        let bare = |id: &str| ApiModel {
            id: id.into(),
            display_name: None,
            created_at: None,
            max_tokens: None,
            max_input_tokens: None,
        };
        let opus = model_from_api(bare("claude-opus-4-1-20250805"), &builtin);
        assert_eq!(opus.max_output_tokens, Some(32_000));
        assert_eq!(opus.context_window, Some(200_000));
        assert_eq!(opus.display_name.as_deref(), Some("Claude Opus 4.1"));
        assert_eq!(opus.source, ModelSource::Api);
        assert_eq!(opus.thinking, ThinkingSupport::Parameter);

        let listed = ApiModel {
            display_name: Some("Sonnet, long context".into()),
            max_tokens: Some(128_000),
            max_input_tokens: Some(1_000_000),
            ..bare("claude-sonnet-4-5-20250929")
        };
        let sonnet = model_from_api(listed, &builtin);
        assert_eq!(
            (sonnet.max_output_tokens, sonnet.context_window),
            (Some(128_000), Some(1_000_000)),
            "the endpoint knows its own limits best"
        );
        assert_eq!(sonnet.display_name.as_deref(), Some("Sonnet, long context"));

        let custom = model_from_api(bare("my-gateway-model-thinking"), &builtin);
        assert_eq!(
            (custom.max_output_tokens, custom.context_window),
            (None, None)
        );
        assert_eq!(custom.display_name, None);
        assert_eq!(custom.thinking, ThinkingSupport::Builtin);
    }

    #[test]
    fn a_cache_is_fresh_for_a_day_and_never_from_the_future() {
        let cache = ModelsCache {
            fetched_at: 1_000_000,
            models: Vec::new(),
        };
        assert!(cache.is_fresh(1_000_000));
        assert!(cache.is_fresh(1_000_000 + MODELS_MAX_AGE_MS - 1));
        assert!(!cache.is_fresh(1_000_000 + MODELS_MAX_AGE_MS));
        assert!(
            !cache.is_fresh(999_999),
            "a clock set back must not keep the list forever"
        );
    }

    #[test]
    fn the_cache_key_names_the_normalised_base_url() {
        assert_eq!(
            models_cache_key(" https://api.anthropic.com/v1/ "),
            "models_cache https://api.anthropic.com"
        );
    }

    #[tokio::test]
    async fn the_cache_round_trips_and_an_unreadable_one_counts_as_none() {
        let store = Store::open_in_memory().await.unwrap();
        let base = "https://gw.example";
        assert_eq!(ModelsCache::load(&store, base).await.unwrap(), None);
        let cache = ModelsCache {
            fetched_at: 42,
            models: builtin_models(),
        };
        cache.save(&store, base).await.unwrap();
        assert_eq!(
            ModelsCache::load(&store, "https://gw.example/v1")
                .await
                .unwrap(),
            Some(cache)
        );
        store
            .set_setting(&models_cache_key(base), "[1, 2")
            .await
            .unwrap();
        assert_eq!(ModelsCache::load(&store, base).await.unwrap(), None);
    }
}
