//! What an endpoint (a base URL) has shown it can do, remembered across restarts, so Parley
//! stops asking for what a gateway does not serve and says so once.
//!
//! The memory is one JSON document in the settings table (key [`CAPABILITIES_KEY`]), an object
//! from normalised base URL to [`EndpointCapabilities`]. It holds a few booleans per base URL a
//! user has saved, so it is read and written whole.

use std::collections::BTreeMap;

use parley_claude::normalize_base_url;
use parley_store::Store;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};

/// The settings-table key of the memory.
pub const CAPABILITIES_KEY: &str = "endpoint_capabilities";

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

/// The capabilities of every base URL Parley has talked to, by normalised base URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapabilityMemory {
    by_base_url: BTreeMap<String, EndpointCapabilities>,
}

impl CapabilityMemory {
    /// Reads the memory from the store. A document that does not parse (written by a later
    /// Parley, or damaged) is forgotten rather than failing: the worst outcome is asking an
    /// endpoint once more.
    pub async fn load(store: &Store) -> CoreResult<Self> {
        let Some(json) = store.get_setting(CAPABILITIES_KEY).await? else {
            return Ok(Self::default());
        };
        match serde_json::from_str(&json) {
            Ok(by_base_url) => Ok(Self { by_base_url }),
            Err(error) => {
                tracing::warn!(%error, "forgetting an unreadable endpoint capabilities document");
                Ok(Self::default())
            }
        }
    }

    /// What is known of `base_url` (all `None` for a base URL never tried).
    pub fn get(&self, base_url: &str) -> EndpointCapabilities {
        self.by_base_url
            .get(&memory_key(base_url))
            .copied()
            .unwrap_or_default()
    }

    /// Applies `change` to what is known of `base_url` and stores the memory when that changed
    /// anything. Returns the capabilities as they are now.
    ///
    /// On a store error the memory keeps the change for this session; it is written with the
    /// next change.
    pub async fn record(
        &mut self,
        store: &Store,
        base_url: &str,
        change: impl FnOnce(&mut EndpointCapabilities),
    ) -> CoreResult<EndpointCapabilities> {
        let entry = self.by_base_url.entry(memory_key(base_url)).or_default();
        let before = *entry;
        change(entry);
        let after = *entry;
        if after != before {
            let json = serde_json::to_string(&self.by_base_url)
                .map_err(|error| CoreError::Internal(format!("endpoint capabilities: {error}")))?;
            store.set_setting(CAPABILITIES_KEY, &json).await?;
        }
        Ok(after)
    }
}

/// The key of a base URL in the memory: the URL as the settings normalise it, so
/// `https://host/v1/` and `https://host` share their entry. A URL that does not normalise
/// (the settings never save one) is kept as typed.
fn memory_key(base_url: &str) -> String {
    normalize_base_url(base_url).unwrap_or_else(|_| base_url.trim().to_owned())
}

/// The memory as [`Parley`](crate::Parley) holds it: read from the store on first use (so
/// `Parley::with_store` stays synchronous), then kept. The lock is held while a change is
/// written, so two changes cannot reach the store in the opposite order.
#[derive(Debug, Default)]
pub(crate) struct SharedCapabilities(Mutex<Option<CapabilityMemory>>);

impl SharedCapabilities {
    /// What is known of `base_url`.
    pub(crate) async fn get(
        &self,
        store: &Store,
        base_url: &str,
    ) -> CoreResult<EndpointCapabilities> {
        let mut memory = self.0.lock().await;
        Ok(loaded(&mut memory, store).await?.get(base_url))
    }

    /// See [`CapabilityMemory::record`].
    pub(crate) async fn record(
        &self,
        store: &Store,
        base_url: &str,
        change: impl FnOnce(&mut EndpointCapabilities),
    ) -> CoreResult<EndpointCapabilities> {
        let mut memory = self.0.lock().await;
        loaded(&mut memory, store)
            .await?
            .record(store, base_url, change)
            .await
    }
}

async fn loaded<'a>(
    memory: &'a mut Option<CapabilityMemory>,
    store: &Store,
) -> CoreResult<&'a mut CapabilityMemory> {
    if memory.is_none() {
        *memory = Some(CapabilityMemory::load(store).await?);
    }
    memory
        .as_mut()
        .ok_or_else(|| CoreError::Internal("endpoint capabilities were not loaded".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn what_is_recorded_survives_a_restart_per_base_url() {
        let store = Store::open_in_memory().await.unwrap();
        let mut memory = CapabilityMemory::load(&store).await.unwrap();
        assert_eq!(
            memory.get("https://gw.example"),
            EndpointCapabilities::default(),
            "an endpoint never tried is assumed to work"
        );
        let now = memory
            .record(&store, "https://gw.example/v1/", |c| c.models = Some(false))
            .await
            .unwrap();
        assert_eq!(now.models, Some(false));
        memory
            .record(&store, "https://api.anthropic.com", |c| {
                c.count_tokens = Some(true)
            })
            .await
            .unwrap();

        let reloaded = CapabilityMemory::load(&store).await.unwrap();
        assert_eq!(reloaded, memory);
        assert_eq!(
            reloaded.get("https://gw.example").models,
            Some(false),
            "a trailing /v1/ names the same endpoint"
        );
        assert_eq!(reloaded.get("https://gw.example").count_tokens, None);
        assert_eq!(
            reloaded.get("https://api.anthropic.com"),
            EndpointCapabilities {
                count_tokens: Some(true),
                ..Default::default()
            }
        );
    }

    #[tokio::test]
    async fn the_document_is_keyed_by_normalised_base_url_in_camel_case() {
        let store = Store::open_in_memory().await.unwrap();
        let mut memory = CapabilityMemory::default();
        memory
            .record(&store, " https://gw.example/v1 ", |c| {
                c.count_tokens = Some(false)
            })
            .await
            .unwrap();
        let json = store.get_setting(CAPABILITIES_KEY).await.unwrap().unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            serde_json::json!({"https://gw.example": {
                "models": null, "countTokens": false, "cacheControl": null
            }})
        );
    }

    #[tokio::test]
    async fn an_unreadable_document_is_forgotten_and_an_older_one_keeps_its_fields() {
        let store = Store::open_in_memory().await.unwrap();
        store
            .set_setting(CAPABILITIES_KEY, "{not json")
            .await
            .unwrap();
        assert_eq!(
            CapabilityMemory::load(&store).await.unwrap(),
            CapabilityMemory::default()
        );
        // Written before `cacheControl` existed, with a field from the future.
        store
            .set_setting(
                CAPABILITIES_KEY,
                r#"{"https://gw.example":{"models":false,"streaming":true}}"#,
            )
            .await
            .unwrap();
        let memory = CapabilityMemory::load(&store).await.unwrap();
        assert_eq!(
            memory.get("https://gw.example"),
            EndpointCapabilities {
                models: Some(false),
                ..Default::default()
            }
        );
    }

    #[tokio::test]
    async fn a_change_that_changes_nothing_is_not_written() {
        let store = Store::open_in_memory().await.unwrap();
        let mut memory = CapabilityMemory::default();
        memory
            .record(&store, "https://gw.example", |_| {})
            .await
            .unwrap();
        assert_eq!(store.get_setting(CAPABILITIES_KEY).await.unwrap(), None);
    }

    #[tokio::test]
    async fn the_shared_memory_reads_the_store_once_and_writes_through() {
        let store = Store::open_in_memory().await.unwrap();
        let mut earlier = CapabilityMemory::default();
        earlier
            .record(&store, "https://gw.example", |c| c.models = Some(false))
            .await
            .unwrap();
        let shared = SharedCapabilities::default();
        assert_eq!(
            shared
                .get(&store, "https://gw.example")
                .await
                .unwrap()
                .models,
            Some(false),
            "what an earlier run remembered"
        );
        shared
            .record(&store, "https://gw.example", |c| {
                c.count_tokens = Some(true)
            })
            .await
            .unwrap();
        let reloaded = CapabilityMemory::load(&store).await.unwrap();
        assert_eq!(
            reloaded.get("https://gw.example"),
            EndpointCapabilities {
                models: Some(false),
                count_tokens: Some(true),
                cache_control: None,
            }
        );
    }
}
