//! The models list and token counts against the mock Claude server: paging, the cache, the
//! silent fallback for a gateway without `/v1/models` or `count_tokens`, and what is remembered.

// A test crate: `unwrap` is how its helpers fail a test (see chat_against_mock_server.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use parley_claude::{Message, MessagesRequest};
use parley_core::models::{ModelSource, builtin_models};
use parley_core::tokens::{TokenSource, estimate_tokens};
use parley_core::{Environment, ErrorKind, Parley, Settings};
use parley_mock_claude::{MockServer, NotFoundStyle, WRONG_KEY};
use parley_secrets::MemorySecretStore;

const KEY: &str = "sk-ant-test-key-0123456789";

struct Harness {
    parley: Parley,
    server: MockServer,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Self {
        Self::with_key(KEY).await
    }

    async fn with_key(key: &str) -> Self {
        let server = MockServer::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let parley = open(&server, &dir, key).await;
        let mut settings = Settings::defaults(None);
        settings.base_url = server.base_url();
        settings.title_model = None;
        parley.save_settings(settings).await.unwrap();
        Self {
            parley,
            server,
            dir,
        }
    }

    /// Quits and starts Parley again on the same data folder.
    async fn restart(self) -> Self {
        let Self {
            parley,
            server,
            dir,
        } = self;
        // The data folder is one process's at a time: the old core lets go of it first.
        drop(parley);
        let parley = open(&server, &dir, KEY).await;
        Self {
            parley,
            server,
            dir,
        }
    }

    /// Requests the mock received on `path`.
    fn hits(&self, path: &str) -> Vec<parley_mock_claude::RecordedRequest> {
        self.server
            .requests()
            .into_iter()
            .filter(|request| request.path == path)
            .collect()
    }
}

async fn open(server: &MockServer, dir: &tempfile::TempDir, key: &str) -> Parley {
    let secrets = Arc::new(MemorySecretStore::with_key_for(&server.base_url(), key).unwrap());
    Parley::open(dir.path(), secrets, Environment::default())
        .await
        .unwrap()
}

fn listed(count: usize) -> Vec<parley_mock_claude::ModelInfo> {
    (0..count)
        .map(|n| parley_mock_claude::ModelInfo::new(format!("claude-test-{n:03}")))
        .collect()
}

fn request(text: &str) -> MessagesRequest {
    MessagesRequest {
        model: "claude-haiku-4-5-20251001".into(),
        max_tokens: 256,
        messages: vec![Message::user(text)],
        ..Default::default()
    }
}

#[tokio::test]
async fn the_models_list_is_read_across_its_pages_and_cached() {
    let h = Harness::start().await;
    h.server.set_models(listed(250));

    let before = h.parley.settings_view().await.unwrap();
    assert_eq!(before.models, builtin_models(), "nothing fetched yet");
    assert_eq!(before.models_fetched_at, None);
    assert!(h.hits("/v1/models").is_empty(), "opening fetches nothing");

    h.parley.refresh_models(false).await.unwrap();
    let pages = h.hits("/v1/models");
    let queries: Vec<_> = pages.iter().map(|r| r.query.clone().unwrap()).collect();
    assert_eq!(
        queries,
        [
            "limit=100",
            "limit=100&after_id=claude-test-099",
            "limit=100&after_id=claude-test-199"
        ]
    );
    let view = h.parley.settings_view().await.unwrap();
    assert_eq!(view.models.len(), 250);
    assert_eq!(view.models[0].id, "claude-test-000");
    assert_eq!(view.models[249].id, "claude-test-249");
    assert!(view.models.iter().all(|m| m.source == ModelSource::Api));
    assert!(view.models_fetched_at.is_some());
    assert_eq!(view.capabilities.models, Some(true));

    h.parley.refresh_models(false).await.unwrap();
    assert_eq!(
        h.hits("/v1/models").len(),
        3,
        "a list younger than a day is not fetched again"
    );
    let h = h.restart().await;
    h.parley.refresh_models(false).await.unwrap();
    assert_eq!(h.hits("/v1/models").len(), 3, "nor after a restart");
    assert_eq!(h.parley.settings_view().await.unwrap().models.len(), 250);

    h.server.set_models(listed(2));
    h.parley.refresh_models(true).await.unwrap();
    assert_eq!(h.hits("/v1/models").len(), 4, "a forced refresh fetches");
    assert_eq!(h.parley.settings_view().await.unwrap().models.len(), 2);
}

#[tokio::test]
async fn a_day_old_list_is_fetched_again() {
    let h = Harness::start().await;
    let day_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 24 * 60 * 60 * 1000;
    let stale = serde_json::json!({"fetchedAt": day_ago, "models": builtin_models()});
    h.parley
        .store()
        .set_setting(
            &format!("models_cache {}", h.server.base_url()),
            &stale.to_string(),
        )
        .await
        .unwrap();
    assert_eq!(
        h.parley.settings_view().await.unwrap().models_fetched_at,
        Some(day_ago),
        "the cached list is shown until then"
    );
    h.parley.refresh_models(false).await.unwrap();
    assert_eq!(h.hits("/v1/models").len(), 1);
    assert!(h.parley.settings_view().await.unwrap().models_fetched_at > Some(day_ago));
}

#[tokio::test]
async fn the_listed_limits_win_and_missing_ones_come_from_the_builtin_list() {
    let h = Harness::start().await;
    let mut long = parley_mock_claude::ModelInfo::new("claude-sonnet-4-5-20250929");
    long.max_tokens = Some(128_000);
    long.max_input_tokens = Some(1_000_000);
    let mut quiet = parley_mock_claude::ModelInfo::new("claude-opus-4-1-20250805");
    quiet.max_tokens = None;
    quiet.max_input_tokens = None;
    h.server.set_models(vec![long, quiet]);
    h.parley.refresh_models(false).await.unwrap();

    let sonnet = h.parley.model_info_for("claude-sonnet-4-5-20250929").await;
    assert_eq!(sonnet.source, ModelSource::Api);
    assert_eq!(
        (sonnet.max_output_tokens, sonnet.context_window),
        (Some(128_000), Some(1_000_000))
    );
    let opus = h.parley.model_info_for(" claude-opus-4-1-20250805 ").await;
    assert_eq!(
        (opus.max_output_tokens, opus.context_window),
        (Some(32_000), Some(200_000)),
        "the API gave none: the built-in limits"
    );
    let haiku = h.parley.model_info_for("claude-haiku-4-5-20251001").await;
    assert_eq!(haiku.source, ModelSource::Builtin, "not listed: built-in");
    assert_eq!(haiku.max_output_tokens, Some(64_000));
    let custom = h.parley.model_info_for("my-model").await;
    assert_eq!(
        (custom.max_output_tokens, custom.display_name),
        (None, None)
    );
}

#[tokio::test]
async fn an_endpoint_without_models_gets_the_builtin_list_silently_and_is_not_asked_again() {
    for style in [NotFoundStyle::Api, NotFoundStyle::Gateway] {
        let h = Harness::start().await;
        h.server.set_models_enabled(false);
        h.server.set_not_found_style(style);

        h.parley
            .refresh_models(false)
            .await
            .unwrap_or_else(|error| panic!("{style:?}: a missing list is no error: {error}"));
        let view = h.parley.settings_view().await.unwrap();
        assert_eq!(view.models, builtin_models(), "{style:?}");
        assert_eq!(view.models_fetched_at, None);
        assert_eq!(view.capabilities.models, Some(false), "{style:?}");

        let h = h.restart().await;
        h.parley.refresh_models(false).await.unwrap();
        assert_eq!(
            h.hits("/v1/models").len(),
            1,
            "{style:?}: remembered across a restart, not asked again"
        );

        // The user asks: the endpoint is tried again, and when it now lists models, they show.
        h.server.set_models_enabled(true);
        h.parley.refresh_models(true).await.unwrap();
        let view = h.parley.settings_view().await.unwrap();
        assert_eq!(view.capabilities.models, Some(true));
        assert!(view.models.iter().all(|m| m.source == ModelSource::Api));
    }
}

#[tokio::test]
async fn a_refresh_that_fails_otherwise_is_an_error_and_remembers_nothing() {
    let h = Harness::with_key(WRONG_KEY).await;
    let error = h.parley.refresh_models(true).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    let view = h.parley.settings_view().await.unwrap();
    assert_eq!(
        view.capabilities.models, None,
        "a wrong key says nothing of the endpoint"
    );
    assert_eq!(view.models, builtin_models());
}

#[tokio::test]
async fn a_token_count_comes_from_the_api_once_per_request() {
    let h = Harness::start().await;
    let draft = request("How many tokens is this sentence?");
    let count = h.parley.count_request_tokens(&draft).await.unwrap();
    assert_eq!(count.source, TokenSource::Api);
    assert!(count.tokens > 0);
    let sent = h.hits("/v1/messages/count_tokens");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].json().unwrap()["messages"],
        serde_json::to_value(&draft.messages).unwrap()
    );

    assert_eq!(h.parley.count_request_tokens(&draft).await.unwrap(), count);
    assert_eq!(
        h.hits("/v1/messages/count_tokens").len(),
        1,
        "the same request is answered from the cache"
    );
    let longer = request("How many tokens is this longer sentence, then?");
    let other = h.parley.count_request_tokens(&longer).await.unwrap();
    assert_eq!(h.hits("/v1/messages/count_tokens").len(), 2);
    assert!(other.tokens > count.tokens, "{other:?} vs {count:?}");
    assert_eq!(
        h.parley
            .settings_view()
            .await
            .unwrap()
            .capabilities
            .count_tokens,
        Some(true)
    );
}

#[tokio::test]
async fn without_count_tokens_the_estimate_is_used_and_the_endpoint_not_asked_again() {
    for style in [NotFoundStyle::Api, NotFoundStyle::Gateway] {
        let h = Harness::start().await;
        h.server.set_count_tokens_enabled(false);
        h.server.set_not_found_style(style);
        let draft = request("Count me, roughly.");
        let count = h.parley.count_request_tokens(&draft).await.unwrap();
        assert_eq!(count.source, TokenSource::Estimate, "{style:?}");
        assert_eq!(count.tokens, estimate_tokens(&draft));
        assert_eq!(
            h.parley
                .settings_view()
                .await
                .unwrap()
                .capabilities
                .count_tokens,
            Some(false),
            "{style:?}"
        );

        let h = h.restart().await;
        let other = request("Another draft.");
        let count = h.parley.count_request_tokens(&other).await.unwrap();
        assert_eq!(count.source, TokenSource::Estimate);
        assert_eq!(
            h.hits("/v1/messages/count_tokens").len(),
            1,
            "{style:?}: remembered across a restart, not asked again"
        );
    }
}

#[tokio::test]
async fn a_count_that_fails_otherwise_is_estimated_and_asked_again_next_time() {
    let h = Harness::with_key(WRONG_KEY).await;
    let draft = request("Count me.");
    for attempt in 1..=2 {
        let count = h.parley.count_request_tokens(&draft).await.unwrap();
        assert_eq!(count.source, TokenSource::Estimate);
        assert_eq!(h.hits("/v1/messages/count_tokens").len(), attempt);
    }
    assert_eq!(
        h.parley
            .settings_view()
            .await
            .unwrap()
            .capabilities
            .count_tokens,
        None,
        "a wrong key says nothing of the endpoint"
    );
}
