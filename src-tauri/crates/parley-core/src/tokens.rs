//! Tokens before sending: what the next request will cost in input tokens, from the endpoint's
//! `count_tokens` or, where it is missing, a local estimate.
//!
//! Counts are cached by content (a SHA-256 of the base URL and the serialised request), so the
//! composer can ask as often as it likes and the endpoint sees one request per distinct draft.
//! An endpoint without `count_tokens` is remembered in the [capabilities](crate::capabilities)
//! and never asked again; any other failure falls back to the estimate for this call only.
//!
//! Without a count from the endpoint, [`estimate_tokens`] (see [`estimate`]) stands in.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Mutex;

use parley_claude::MessagesRequest;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::app::Parley;
use crate::error::CoreResult;
use crate::images::ComposerImage;
use crate::params::RequestParams;

pub mod estimate;

pub use estimate::estimate_tokens;

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

impl TokenCount {
    fn api(tokens: u64) -> Self {
        Self {
            tokens,
            source: TokenSource::Api,
        }
    }

    fn estimate(request: &MessagesRequest) -> Self {
        Self {
            tokens: estimate_tokens(request),
            source: TokenSource::Estimate,
        }
    }
}

impl Parley {
    /// The input tokens `request` would use: the body the next `/v1/messages` would get, its
    /// stored images still named by their `parley-attachment:` content hash. They are read and
    /// encoded only when the endpoint is asked or the estimate needs their size, never for a
    /// count the cache answers (the hash names the content as well as the bytes would).
    ///
    /// Asks the saved endpoint's `count_tokens` once per distinct request (see the
    /// [module documentation](crate::tokens)). Where it cannot answer, the result is the local
    /// [`estimate_tokens`] with [`TokenSource::Estimate`], silently: an endpoint without
    /// `count_tokens` is remembered and not asked again; a failure of one call (no key, the
    /// network, a rate limit) is not. Fails only when the store cannot be read.
    pub async fn count_request_tokens(&self, request: &MessagesRequest) -> CoreResult<TokenCount> {
        let (client, settings) = match self.client().await {
            Ok(client) => client,
            Err(error) => {
                tracing::debug!(%error, "no client to count tokens with; estimating");
                return Ok(TokenCount::estimate(&self.with_images(request).await?));
            }
        };
        let base_url = &settings.base_url;
        let capabilities = self.capabilities.get(&self.store, base_url).await?;
        if capabilities.count_tokens == Some(false) {
            return Ok(TokenCount::estimate(&self.with_images(request).await?));
        }
        let key = request_key(base_url, request);
        if let Some(tokens) = self.token_counts.get(&key) {
            return Ok(TokenCount::api(tokens));
        }
        let request = &self.with_images(request).await?;
        match client.count_tokens(request).await {
            Ok(tokens) => {
                self.token_counts.insert(key, tokens);
                if capabilities.count_tokens != Some(true) {
                    self.remember_count_tokens(base_url, true).await;
                }
                Ok(TokenCount::api(tokens))
            }
            Err(error) if error.is_endpoint_missing() => {
                tracing::info!(%error, "the endpoint has no count_tokens; estimating from now on");
                self.remember_count_tokens(base_url, false).await;
                Ok(TokenCount::estimate(request))
            }
            Err(error) => {
                tracing::debug!(%error, "count_tokens failed; estimating this once");
                Ok(TokenCount::estimate(request))
            }
        }
    }

    /// `request` with its stored images as the base64 the API takes.
    async fn with_images(&self, request: &MessagesRequest) -> CoreResult<MessagesRequest> {
        let mut request = request.clone();
        self.images
            .resolve_request_images(&mut request.messages)
            .await?;
        Ok(request)
    }

    /// Records whether `base_url` serves `count_tokens`. A store error costs only a question
    /// asked again later, so it is logged, not returned over a count that is ready.
    async fn remember_count_tokens(&self, base_url: &str, served: bool) {
        let recorded = self
            .capabilities
            .record(&self.store, base_url, |c| c.count_tokens = Some(served))
            .await;
        if let Err(error) = recorded {
            tracing::warn!(%error, "could not remember whether the endpoint counts tokens");
        }
    }
}

/// How many counts [`TokenCountCache`] keeps: enough for the drafts of a few conversations.
const TOKEN_COUNT_CACHE_ENTRIES: usize = 64;

/// SHA-256 of a base URL and a serialised request.
type RequestKey = [u8; 32];

/// The most recent `count_tokens` answers by [`RequestKey`], least recently used first.
/// A linear scan of 64 keys costs less than hashing the request that produced the key.
#[derive(Debug, Default)]
pub(crate) struct TokenCountCache(Mutex<VecDeque<(RequestKey, u64)>>);

impl TokenCountCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, VecDeque<(RequestKey, u64)>> {
        // The data is plain numbers: a panic elsewhere cannot leave it half-changed.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, key: &RequestKey) -> Option<u64> {
        let mut entries = self.entries();
        let position = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(position)?;
        entries.push_back(entry);
        Some(entry.1)
    }

    fn insert(&self, key: RequestKey, tokens: u64) {
        let mut entries = self.entries();
        entries.retain(|(k, _)| *k != key);
        if entries.len() >= TOKEN_COUNT_CACHE_ENTRIES {
            entries.pop_front();
        }
        entries.push_back((key, tokens));
    }
}

/// The cache key of `request` sent to `base_url`. The request is serialised straight into the
/// hash: with images it can be megabytes, which need not be copied once more.
fn request_key(base_url: &str, request: &MessagesRequest) -> RequestKey {
    struct HashWriter(Sha256);
    impl Write for HashWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hash = HashWriter(Sha256::new());
    hash.0.update(base_url.as_bytes());
    // A separator no URL contains, so URL and body cannot be shifted into each other.
    hash.0.update([0]);
    if let Err(error) = serde_json::to_writer(&mut hash, request) {
        // Only a map with non-string keys fails, which a request cannot hold; the key is then
        // that of the URL alone plus the error, which is still a stable key.
        hash.0.update(error.to_string().as_bytes());
    }
    hash.0.finalize().into()
}

#[cfg(test)]
mod tests {
    use parley_claude::Message;

    use super::*;

    fn request(messages: Vec<Message>) -> MessagesRequest {
        MessagesRequest {
            model: "claude-haiku-4-5-20251001".into(),
            max_tokens: 16,
            messages,
            ..Default::default()
        }
    }

    #[test]
    fn the_request_key_follows_content_and_base_url() {
        let a = request(vec![Message::user("a")]);
        let b = request(vec![Message::user("b")]);
        let base = "https://gw.example";
        assert_eq!(request_key(base, &a), request_key(base, &a.clone()));
        assert_ne!(request_key(base, &a), request_key(base, &b));
        assert_ne!(
            request_key(base, &a),
            request_key("https://other.example", &a)
        );
    }

    #[test]
    fn the_count_cache_keeps_the_most_recently_used_counts() {
        let cache = TokenCountCache::default();
        let key = |n: usize| {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(n as u64).to_le_bytes());
            key
        };
        for n in 0..TOKEN_COUNT_CACHE_ENTRIES {
            cache.insert(key(n), n as u64);
        }
        assert_eq!(cache.get(&key(0)), Some(0), "now the most recently used");
        cache.insert(key(1000), 1000);
        assert_eq!(cache.get(&key(1)), None, "the least recently used went");
        assert_eq!(cache.get(&key(0)), Some(0));
        assert_eq!(cache.get(&key(1000)), Some(1000));
        cache.insert(key(0), 7);
        assert_eq!(cache.get(&key(0)), Some(7), "a new count replaces the old");
        assert_eq!(cache.entries().len(), TOKEN_COUNT_CACHE_ENTRIES);
    }
}
