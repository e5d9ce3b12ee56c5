//! [`Parley`]: the application core that `src-tauri` adapts, one method per user action.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use parley_claude::{ApiKey, ApiOrigin, ClaudeClient};
use parley_secrets::{API_KEY_ENV_VAR, SecretStore};
use parley_store::{MessageLink, Store};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::capabilities::EndpointCapabilities;
use crate::data_folder::{self, DataLock};
use crate::error::{CoreError, CoreResult};
use crate::images::{IMAGES_FOLDER, ImageDraft, ImageStore, ImageVariant};
use crate::keys::{KeyOrigin, KeyView, Keys};
use crate::models::ModelInfo;
use crate::settings::{self, Settings};
use crate::stream::{StreamHandle, StreamTuning};
use crate::view::{BranchPage, ConversationMeta, ConversationView, MessageView, SiblingIndex};

/// The file name of the database inside the data directory.
pub const DATABASE_FILE: &str = "parley.sqlite3";

/// Messages of the visible branch sent when a conversation opens: more than the UI renders at
/// first (8) plus the page it adds on the first scroll up (15). Earlier ones cost nothing until
/// the user scrolls up to them (issue 13: a 2,000-message branch sent whole took 55-68 ms of
/// IPC and JSON on every open).
pub const OPEN_WINDOW: usize = 30;

/// Messages before the one a branch switch or a search hit opens at that are sent with it.
pub const WINDOW_MARGIN: usize = 8;

/// The most messages one [`Parley::branch_before`] page holds, whatever the UI asks for.
pub const MAX_BRANCH_PAGE: u32 = 500;

/// What the process environment contributes (read once at start-up, injectable for tests).
#[derive(Clone, Default)]
pub struct Environment {
    /// `ANTHROPIC_API_KEY`: used only with `https://api.anthropic.com`, and only while the
    /// keychain holds no key for it.
    pub api_key: Option<String>,
    /// `ANTHROPIC_BASE_URL`: the base URL until the user saves another.
    pub base_url: Option<String>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Environment {
    /// Reads the environment and removes `ANTHROPIC_API_KEY` from it, so that no child process
    /// (the link opener, tool servers) inherits the key.
    ///
    /// # Safety
    ///
    /// Changing the environment races with any other thread reading it: call this at the start
    /// of `main`, before any thread is spawned.
    pub unsafe fn take_from_process() -> Self {
        let env = Self {
            api_key: std::env::var(API_KEY_ENV_VAR).ok(),
            base_url: std::env::var("ANTHROPIC_BASE_URL").ok(),
        };
        // SAFETY: the caller guarantees no other thread exists yet.
        unsafe { std::env::remove_var(API_KEY_ENV_VAR) };
        env
    }
}

/// Who a base URL preset reaches, so the UI can name and choose it without reading its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Provider {
    /// Anthropic's own API.
    Anthropic,
    /// The APIMart gateway, which serves the same API.
    Apimart,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BaseUrlPreset {
    pub provider: Provider,
    pub label: String,
    pub url: String,
}

/// Everything the settings dialog shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub settings: Settings,
    /// The key of the saved base URL's origin.
    pub key: KeyView,
    /// The origins that have a key in the keychain.
    pub key_origins: Vec<KeyOrigin>,
    /// The models for the pickers: the endpoint's `/v1/models` when it has one, else the
    /// built-in list.
    pub models: Vec<ModelInfo>,
    /// When the models were last fetched from the endpoint (ms since the epoch), if ever.
    #[ts(type = "number | null")]
    pub models_fetched_at: Option<i64>,
    /// What the saved base URL has shown it can do.
    pub capabilities: EndpointCapabilities,
    /// The keychain holds a password for the custom proxy.
    pub proxy_password_set: bool,
    pub base_url_presets: Vec<BaseUrlPreset>,
    pub api_versions: Vec<String>,
}

/// The result of "Test connection".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub model: String,
    #[ts(type = "number")]
    pub latency_ms: u64,
}

/// The application core: store, keychain, HTTP client and the streams in flight.
pub struct Parley {
    pub(crate) store: Store,
    pub(crate) images: ImageStore,
    pub(crate) keys: Keys,
    /// The HTTP client for the saved proxy setting and the proxy's label for errors, built on
    /// first use (resolving "system" may ask `gsettings`) and again after the setting changes.
    http: tokio::sync::Mutex<Option<(reqwest::Client, Option<String>)>>,
    env: Environment,
    /// The running streams by reply id.
    pub(crate) streams: Arc<Mutex<HashMap<String, StreamHandle>>>,
    pub(crate) tuning: StreamTuning,
    /// What each base URL has shown it can do, read from the store on first use.
    pub(crate) capabilities: Arc<crate::capabilities::SharedCapabilities>,
    /// Recent `count_tokens` answers by request content.
    pub(crate) token_counts: crate::tokens::TokenCountCache,
    /// The MCP servers and their tools.
    pub(crate) tools: crate::tools::Tools,
    /// The tool rounds in flight, by reply id.
    pub(crate) tool_rounds: crate::tool_loop::LiveRounds,
    /// Long replies' rendered HTML, kept across launches; none without a data folder (tests).
    render_cache: Option<crate::render_cache::RenderCache>,
    /// Held from [`Parley::open`] until this is dropped: the data folder is this process's alone.
    _data_lock: Option<DataLock>,
}

impl Parley {
    /// Opens (or creates) the database in `data_dir` and marks replies that were streaming when
    /// the app last stopped as interrupted, keeping their text.
    ///
    /// The folder becomes this process's alone first (see [`DataLock`]): while another process
    /// holds it, this fails with [`CoreError::DataFolderInUse`] having opened nothing, since
    /// every step below would harm the other one (its live replies, its trash, its unsent
    /// images). The folder is created, or narrowed, to owner-only permissions.
    pub async fn open(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        env: Environment,
    ) -> CoreResult<Self> {
        Self::open_reporting(data_dir, secrets, env, &|_| {}).await
    }

    /// [`Parley::open`], telling `progress` each step of upgrading the history, if it needs one
    /// (see [`Store::open_reporting`]), so that the app can show an upgrade that takes long.
    pub async fn open_reporting(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        env: Environment,
        progress: &(dyn Fn(crate::upgrade::UpgradeStep) + Send + Sync),
    ) -> CoreResult<Self> {
        data_folder::create_private_dir_all(data_dir).map_err(|source| {
            CoreError::Store(parley_store::StoreError::Io {
                context: format!("could not create the data folder {}", data_dir.display()),
                source,
            })
        })?;
        let data_lock = DataLock::acquire(data_dir)?;
        let store = Store::open_reporting(&data_dir.join(DATABASE_FILE), &|step| {
            progress(step.into());
        })
        .await?;
        let recovered = store.recover_interrupted_streams().await?;
        if recovered > 0 {
            tracing::warn!(recovered, "marked replies interrupted by the last shutdown");
        }
        let images = ImageStore::new(data_dir.join(IMAGES_FOLDER));
        // What a previous run left in the trash (its undo toast never expired) goes for good now;
        // the garbage collection below then removes the image files it used.
        let render_cache = crate::render_cache::RenderCache::new(
            data_dir.join(crate::render_cache::RENDER_CACHE_FOLDER),
        );
        match store.purge_trash().await {
            Ok(purged) => {
                images.remove(&purged.orphaned_images).await;
                // The purged messages' rendered text goes with them.
                if purged.conversations > 0 {
                    render_cache.clear().await;
                }
            }
            // The conversations stay in the trash (hidden) until the next try.
            Err(error) => tracing::warn!(%error, "could not empty the trash"),
        }
        match images.collect_garbage(&store).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed image files no message uses"),
            // Only disk space is at stake: start anyway.
            Err(error) => tracing::warn!(%error, "could not clean up the image folder"),
        }
        let mut parley = Self::with_store(store, images, secrets, env)?;
        parley._data_lock = Some(data_lock);
        parley.render_cache = Some(render_cache);
        Ok(parley)
    }

    pub fn with_store(
        store: Store,
        images: ImageStore,
        secrets: Arc<dyn SecretStore>,
        mut env: Environment,
    ) -> CoreResult<Self> {
        // The key moves into `Keys` (which zeroes it when dropped); `env` keeps the rest.
        let keys = Keys::new(secrets, env.api_key.take());
        Ok(Self {
            store,
            images,
            keys,
            http: tokio::sync::Mutex::default(),
            env,
            streams: Arc::default(),
            tuning: StreamTuning::default(),
            capabilities: Default::default(),
            token_counts: Default::default(),
            tools: crate::tools::Tools::new(None),
            tool_rounds: Arc::default(),
            render_cache: None,
            _data_lock: None,
        })
    }

    /// Gives MCP servers this `PATH` and backoff instead of the login shell's `PATH` and the
    /// default backoff (tests). Call before any tool is used.
    pub fn set_mcp_options(&mut self, options: parley_tools::HostOptions) {
        self.tools = crate::tools::Tools::new(Some(options));
    }

    /// Stops every MCP server and waits for their processes (the app is closing).
    pub async fn shutdown_mcp_servers(&self) {
        self.tools.shutdown().await;
    }

    /// The rendered HTML the UI kept as `key` in an earlier launch (see [`crate::render_cache`]).
    pub async fn read_rendered(&self, key: &str) -> Option<String> {
        self.render_cache.as_ref()?.read(key).await
    }

    /// Keeps the UI's rendered HTML of a long finished text as `key`, for the next launches.
    pub async fn write_rendered(&self, key: &str, html: String) {
        if let Some(cache) = &self.render_cache {
            cache.write(key, html).await;
        }
    }

    /// Empties the render cache (the trash was emptied).
    pub(crate) async fn forget_rendered(&self) {
        if let Some(cache) = &self.render_cache {
            cache.clear().await;
        }
    }

    /// Changes how streams retry, persist and coalesce (tests use short delays).
    pub fn set_stream_tuning(&mut self, tuning: StreamTuning) {
        self.tuning = tuning;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn settings(&self) -> CoreResult<Settings> {
        settings::load(&self.store, self.env.base_url.as_deref()).await
    }

    pub async fn settings_view(&self) -> CoreResult<SettingsView> {
        let settings = self.settings().await?;
        let origin = self.saved_origin(&settings).await?;
        let key = self.keys.view(&origin).await;
        // A keychain that cannot be read is already reported in `key`; the list stays empty.
        let key_origins = match key.keychain_error {
            None => self.keys.origins(&self.store).await?,
            Some(_) => Vec::new(),
        };
        let (models, models_fetched_at) = self.models_view(&settings).await;
        let capabilities = self
            .capabilities
            .get(&self.store, &settings.base_url)
            .await?;
        // Asked of the keychain only when a password could matter: the settings view is read
        // at start-up, where a D-Bus round trip for nothing would cost.
        let proxy_password_set =
            matches!(settings.proxy, crate::proxy::ProxySettings::Custom { .. })
                && matches!(
                    self.keys
                        .read_secret(crate::proxy::PROXY_PASSWORD_ACCOUNT)
                        .await,
                    Ok(Some(_))
                );
        Ok(SettingsView {
            settings,
            key,
            key_origins,
            models,
            models_fetched_at,
            capabilities,
            proxy_password_set,
            base_url_presets: vec![
                BaseUrlPreset {
                    provider: Provider::Apimart,
                    label: "apimart gateway".into(),
                    url: settings::APIMART_BASE_URL.into(),
                },
                BaseUrlPreset {
                    provider: Provider::Anthropic,
                    label: "Anthropic".into(),
                    url: settings::ANTHROPIC_BASE_URL.into(),
                },
            ],
            api_versions: vec![
                settings::DEFAULT_API_VERSION.into(),
                settings::GATEWAY_API_VERSION.into(),
            ],
        })
    }

    pub async fn save_settings(&self, settings: Settings) -> CoreResult<SettingsView> {
        let before = self.settings().await?.proxy;
        let saved = settings::save(&self.store, settings).await?;
        if saved.proxy != before {
            // The next request builds a client for the new proxy; streams running keep theirs.
            *self.http.lock().await = None;
            self.relaunch_http_servers().await;
        }
        self.settings_view().await
    }

    /// The HTTP client for `proxy` (the keychain's password for a custom one), and the proxy's
    /// label for error messages.
    async fn build_http(
        &self,
        proxy: &crate::proxy::ProxySettings,
        password: Option<ApiKey>,
    ) -> CoreResult<(reqwest::Client, Option<String>)> {
        let password = match (proxy, password) {
            (_, Some(password)) => Some(password),
            (
                crate::proxy::ProxySettings::Custom {
                    username: Some(_), ..
                },
                None,
            ) => {
                self.keys
                    .read_secret(crate::proxy::PROXY_PASSWORD_ACCOUNT)
                    .await?
            }
            _ => None,
        };
        let proxy = proxy.clone();
        let resolved = tokio::task::spawn_blocking(move || crate::proxy::resolve(&proxy, password))
            .await
            .map_err(|error| CoreError::Internal(format!("proxy lookup: {error}")))?;
        let client = crate::proxy::build_client(&resolved)?;
        Ok((client, resolved.label()))
    }

    /// The HTTP client for the saved proxy setting (built once, again after it changes) and
    /// the proxy's label.
    pub(crate) async fn http_client(
        &self,
        settings: &Settings,
    ) -> CoreResult<(reqwest::Client, Option<String>)> {
        let mut cached = self.http.lock().await;
        match cached.as_ref() {
            Some(built) => Ok(built.clone()),
            None => {
                let built = self.build_http(&settings.proxy, None).await?;
                *cached = Some(built.clone());
                Ok(built)
            }
        }
    }

    /// A Claude client for `settings` with `key`, through the saved proxy.
    async fn claude_client(&self, settings: &Settings, key: ApiKey) -> CoreResult<ClaudeClient> {
        let (http, label) = self.http_client(settings).await?;
        Ok(ClaudeClient::new(http, settings.api_config(), key).with_proxy_label(label))
    }

    /// Stores the custom proxy's password in the keychain (empty removes it); the client is
    /// rebuilt with it.
    pub async fn set_proxy_password(&self, password: String) -> CoreResult<()> {
        self.keys
            .write_secret(crate::proxy::PROXY_PASSWORD_ACCOUNT, ApiKey::new(password))
            .await?;
        *self.http.lock().await = None;
        Ok(())
    }

    /// "Test connection" of the Network settings as typed (not saved yet): one cheap request
    /// through `proxy` (`password`: typed, else the stored one). A failure says whether the
    /// proxy could not be reached or the API failed behind it.
    pub async fn test_proxy(
        &self,
        proxy: crate::proxy::ProxySettings,
        password: Option<String>,
    ) -> CoreResult<ConnectionReport> {
        let proxy = proxy.validated()?;
        let settings = self.settings().await?;
        let key = self.saved_key(&settings).await?;
        let password = password.filter(|p| !p.is_empty()).map(ApiKey::new);
        let (http, label) = self.build_http(&proxy, password).await?;
        let client = ClaudeClient::new(http, settings.api_config(), key).with_proxy_label(label);
        let request = crate::request::ping_request(&settings.default_model);
        let started = Instant::now();
        match client.create_message(&request).await {
            Ok(response) => Ok(ConnectionReport {
                model: response.model,
                latency_ms: started.elapsed().as_millis() as u64,
            }),
            Err(error) => Err(crate::proxy::explain_failure(&proxy, error).await),
        }
    }

    /// The origin of the saved base URL; the first call of a session also moves a key stored by
    /// a Parley from before origin-bound keys to it.
    async fn saved_origin(&self, settings: &Settings) -> CoreResult<ApiOrigin> {
        let origin = origin_of(&settings.base_url)?;
        if let Err(error) = self.keys.migrate_legacy(&self.store, &origin).await {
            // Reported where the key is read; the migration is tried again next time.
            tracing::warn!(%error, "could not look for a key stored by an older Parley");
        }
        Ok(origin)
    }

    /// The key status for `base_url` (typed in the settings, maybe not saved yet): which origin
    /// a key typed now would belong to, whether it has one, and how the key field is labelled.
    pub async fn api_key_status(&self, base_url: &str) -> CoreResult<KeyView> {
        self.saved_origin(&self.settings().await?).await?;
        Ok(self.keys.view(&origin_of(base_url)?).await)
    }

    /// Stores a key in the keychain for the origin of `base_url`, replacing that origin's key.
    /// The base URL is the one in the settings form when the key was typed, saved or not: a key
    /// typed after changing the URL belongs to the new origin. The key goes in and never comes
    /// out.
    pub async fn set_api_key(&self, base_url: &str, key: String) -> CoreResult<KeyView> {
        let origin = origin_of(base_url)?;
        let key = ApiKey::new(key);
        if key.is_empty() {
            return Err(CoreError::InvalidInput("The API key is empty".into()));
        }
        self.saved_origin(&self.settings().await?).await?;
        self.keys.set(&self.store, &origin, key).await?;
        Ok(self.keys.view(&origin).await)
    }

    /// Removes the key of the origin of `base_url` from the keychain.
    pub async fn clear_api_key(&self, base_url: &str) -> CoreResult<KeyView> {
        let origin = origin_of(base_url)?;
        self.saved_origin(&self.settings().await?).await?;
        self.keys.clear(&self.store, &origin).await?;
        Ok(self.keys.view(&origin).await)
    }

    /// A client for the saved settings with the key of their origin, or
    /// [`CoreError::NoApiKey`] naming that origin. The key is looked up by the origin of the very
    /// URL the client will call, so it cannot go anywhere else.
    pub(crate) async fn client(&self) -> CoreResult<(ClaudeClient, Settings)> {
        let settings = self.settings().await?;
        let key = self.saved_key(&settings).await?;
        Ok((self.claude_client(&settings, key).await?, settings))
    }

    /// The key of the saved base URL's origin, or [`CoreError::NoApiKey`] naming that origin.
    async fn saved_key(&self, settings: &Settings) -> CoreResult<ApiKey> {
        let origin = self.saved_origin(settings).await?;
        let (key, _) = self
            .keys
            .resolve(&origin)
            .await?
            .ok_or_else(|| CoreError::NoApiKey {
                origin: origin.to_string(),
            })?;
        Ok(key)
    }

    /// One cheap real request (one output token) with the saved settings.
    pub async fn test_connection(&self) -> CoreResult<ConnectionReport> {
        let (client, settings) = self.client().await?;
        let request = crate::request::ping_request(&settings.default_model);
        let started = Instant::now();
        let response = client.create_message(&request).await?;
        Ok(ConnectionReport {
            model: response.model,
            latency_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// The conversation with the newest [`OPEN_WINDOW`] messages of its visible branch; the
    /// UI reads earlier ones with [`Parley::branch_before`] as the user scrolls up to them.
    pub async fn open_conversation(&self, id: &str) -> CoreResult<ConversationView> {
        self.branch_view(id, None).await
    }

    /// The conversation's view whose messages start at `from` (a message of its visible
    /// branch), a few before it, or at the newest [`OPEN_WINDOW`], whichever is earlier. Only
    /// the shown messages are read whole; the branch and the siblings come from the tree's
    /// links.
    async fn branch_view(&self, id: &str, from: Option<&str>) -> CoreResult<ConversationView> {
        let tree = self.store.conversation_links(id).await?;
        let path = tree.active_path();
        let mut start = path.len().saturating_sub(OPEN_WINDOW);
        if let Some(at) = from.and_then(|from| path.iter().position(|m| m.id == from)) {
            start = start.min(at.saturating_sub(WINDOW_MARGIN));
        }
        let ids: Vec<&str> = path[start..].iter().map(|m| m.id.as_str()).collect();
        let messages = self.views_of(&ids, &tree.links).await?;
        Ok(ConversationView {
            conversation: ConversationMeta::from(&tree.conversation),
            messages,
            earlier: start as u32,
            totals: self.conversation_totals(id).await?,
        })
    }

    /// Up to `limit` messages of a branch just before `message_id` (its nearest ancestors),
    /// oldest first: the page the UI adds when the user scrolls up past what it holds.
    pub async fn branch_before(&self, message_id: &str, limit: u32) -> CoreResult<BranchPage> {
        let message = self.store.get_message(message_id).await?;
        let tree = self
            .store
            .conversation_links(&message.conversation_id)
            .await?;
        let parents: HashMap<&str, Option<&str>> = tree
            .links
            .iter()
            .map(|link| (link.id.as_str(), link.parent_id.as_deref()))
            .collect();
        let mut ancestors = Vec::new();
        let mut current = message.parent_id.as_deref();
        // Bounded by the message count in case stored pointers form a cycle.
        while let Some(id) = current {
            if ancestors.len() >= tree.links.len() {
                break;
            }
            ancestors.push(id);
            current = parents.get(id).copied().flatten();
        }
        let take = ancestors
            .len()
            .min(limit.clamp(1, MAX_BRANCH_PAGE) as usize);
        let earlier = ancestors.len() - take;
        let mut page = ancestors[..take].to_vec();
        page.reverse();
        Ok(BranchPage {
            messages: self.views_of(&page, &tree.links).await?,
            earlier: earlier as u32,
        })
    }

    /// The views of the messages `ids` (in that order), priced, with their siblings from
    /// `links` (every message of their conversation).
    async fn views_of(&self, ids: &[&str], links: &[MessageLink]) -> CoreResult<Vec<MessageView>> {
        let rows = self.store.messages_by_ids(ids).await?;
        let prices = self.settings().await?.prices;
        let siblings = SiblingIndex::new(links);
        Ok(rows
            .iter()
            .map(|m| siblings.view(m).priced(&prices))
            .collect())
    }

    /// Sets the model and the system prompt; `None` leaves a field unchanged, and an empty
    /// system prompt clears it.
    pub async fn update_conversation(
        &self,
        id: &str,
        model: Option<String>,
        system_prompt: Option<String>,
    ) -> CoreResult<ConversationMeta> {
        let model = model.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        let system_prompt = system_prompt.map(|s| Some(s).filter(|s| !s.trim().is_empty()));
        let conversation = self
            .store
            .update_conversation(
                id,
                model.as_deref(),
                system_prompt.as_ref().map(|s| s.as_deref()),
            )
            .await?;
        Ok(ConversationMeta::from(&conversation))
    }

    /// Prepares the image file at `path` for sending (see [`crate::images`]).
    pub async fn prepare_image_file(&self, path: &Path) -> CoreResult<ImageDraft> {
        let options = self.image_options().await?;
        self.images.prepare_file(path.to_owned(), options).await
    }

    /// Prepares an image given as bytes (a paste) for sending.
    pub async fn prepare_image_bytes(
        &self,
        bytes: Vec<u8>,
        name: String,
    ) -> CoreResult<ImageDraft> {
        let options = self.image_options().await?;
        self.images.prepare_bytes(bytes, name, options).await
    }

    /// A stored image or its thumbnail as a `data:` URL.
    pub async fn read_image(&self, sha256: &str, variant: ImageVariant) -> CoreResult<String> {
        self.images.data_url(sha256, variant).await
    }

    async fn image_options(&self) -> CoreResult<parley_images::EncodeOptions> {
        Ok(parley_images::EncodeOptions {
            full_resolution: self.settings().await?.image_full_resolution,
        })
    }

    /// Makes `message_id` the shown alternative of its turn and returns the new active branch.
    pub async fn select_branch(&self, message_id: &str) -> CoreResult<ConversationView> {
        let message = self.store.get_message(message_id).await?;
        self.store.select_branch(message_id).await?;
        // The user is looking at that message (a branch switch, a search hit): it is sent.
        self.branch_view(&message.conversation_id, Some(message_id))
            .await
    }
}

/// The origin of a base URL, as an `invalid_input` error naming the field when it is not valid.
fn origin_of(base_url: &str) -> CoreResult<ApiOrigin> {
    ApiOrigin::of_base_url(base_url)
        .map_err(|error| CoreError::InvalidInput(format!("Base URL: {error}")))
}

#[cfg(test)]
mod tests {
    use parley_secrets::MemorySecretStore;

    use crate::keys::KeyStatus;
    use parley_store::NewConversation;

    use super::*;

    /// These tests never attach images: the folder is never created.
    fn unused_images() -> ImageStore {
        ImageStore::new(std::path::PathBuf::from("/nonexistent/parley-test-images"))
    }

    async fn parley_with_conversation() -> (Parley, String) {
        let store = Store::open_in_memory().await.unwrap();
        let conversation = store
            .create_conversation(&NewConversation {
                title: "t".into(),
                model: "claude-haiku-4-5-20251001".into(),
                system_prompt: Some("Be brief.".into()),
            })
            .await
            .unwrap();
        let secrets = Arc::new(MemorySecretStore::default());
        (
            Parley::with_store(store, unused_images(), secrets, Environment::default()).unwrap(),
            conversation.id,
        )
    }

    #[tokio::test]
    async fn update_conversation_leaves_missing_fields_alone_and_clears_an_empty_prompt() {
        let (parley, id) = parley_with_conversation().await;
        let meta = parley
            .update_conversation(&id, Some("custom-model".into()), None)
            .await
            .unwrap();
        assert_eq!(meta.model, "custom-model");
        assert_eq!(
            meta.system_prompt.as_deref(),
            Some("Be brief."),
            "None leaves the prompt"
        );
        let meta = parley
            .update_conversation(&id, None, Some("  ".into()))
            .await
            .unwrap();
        assert_eq!(meta.model, "custom-model", "None leaves the model");
        assert_eq!(meta.system_prompt, None, "an empty prompt clears it");
    }

    #[tokio::test]
    async fn key_status_follows_set_and_clear_and_the_key_is_never_in_the_view() {
        let (parley, _) = parley_with_conversation().await;
        let saved = parley.settings().await.unwrap().base_url;
        assert_eq!(
            parley.settings_view().await.unwrap().key.status,
            KeyStatus::Unset
        );
        let key = parley
            .set_api_key(&saved, " sk-ant-secret \n".into())
            .await
            .unwrap();
        assert_eq!(key.status, KeyStatus::Set);
        assert_eq!(key.origin, "https://api.apimart.ai");
        let view = parley.settings_view().await.unwrap();
        assert_eq!(view.key.status, KeyStatus::Set);
        assert_eq!(view.key_origins.len(), 1);
        assert!(
            !serde_json::to_string(&view)
                .unwrap()
                .contains("sk-ant-secret")
        );
        assert_eq!(
            parley.clear_api_key(&saved).await.unwrap().status,
            KeyStatus::Unset
        );
        assert!(parley.settings_view().await.unwrap().key_origins.is_empty());
        let error = parley.set_api_key(&saved, "   ".into()).await.unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn a_key_belongs_to_the_origin_typed_with_it_and_is_sent_nowhere_else() {
        let (parley, _) = parley_with_conversation().await;
        // The user types a new base URL and, before saving the settings, a key: the key is for
        // the new origin, and the status shown is that origin's.
        let typed = "http://127.0.0.1:8787/v1";
        let key = parley.set_api_key(typed, "sk-local".into()).await.unwrap();
        assert_eq!(key.origin, "http://127.0.0.1:8787");
        assert_eq!(key.status, KeyStatus::Set);
        let saved = parley.settings_view().await.unwrap();
        assert_eq!(
            (saved.key.origin.as_str(), saved.key.status),
            ("https://api.apimart.ai", KeyStatus::Unset),
            "the saved gateway origin still has no key"
        );
        let error = parley.client().await.err().unwrap();
        assert_eq!(error.kind(), crate::ErrorKind::NoApiKey);
        assert!(
            error.to_string().contains("https://api.apimart.ai"),
            "the error names the origin that needs a key: {error}"
        );
        // Saving the URL makes the key usable, for that origin only.
        let mut settings = parley.settings().await.unwrap();
        settings.base_url = typed.into();
        let view = parley.save_settings(settings.clone()).await.unwrap();
        assert_eq!(view.key.status, KeyStatus::Set);
        assert!(parley.client().await.is_ok());
        settings.base_url = "http://127.0.0.1:8788".into();
        parley.save_settings(settings).await.unwrap();
        assert_eq!(
            parley.client().await.err().unwrap().kind(),
            crate::ErrorKind::NoApiKey,
            "another port is another origin"
        );
    }

    #[tokio::test]
    async fn plain_http_is_refused_for_remote_hosts() {
        let (parley, _) = parley_with_conversation().await;
        let mut settings = parley.settings().await.unwrap();
        settings.base_url = "http://api.example.com".into();
        let error = parley.save_settings(settings).await.unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("https://"), "{error}");
        let error = parley
            .set_api_key("http://api.example.com", "sk-x".into())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn the_environment_key_serves_anthropic_only() {
        let store = Store::open_in_memory().await.unwrap();
        let env = Environment {
            api_key: Some("sk-ant-env".into()),
            base_url: None,
        };
        let parley = Parley::with_store(
            store,
            unused_images(),
            Arc::new(MemorySecretStore::default()),
            env,
        )
        .unwrap();
        let view = parley.settings_view().await.unwrap();
        assert_eq!(view.settings.base_url, "https://api.apimart.ai");
        assert_eq!(
            view.key.status,
            KeyStatus::Unset,
            "the default gateway must not be offered the environment's Anthropic key"
        );
        assert_eq!(
            parley.client().await.err().unwrap().kind(),
            crate::ErrorKind::NoApiKey
        );
        let anthropic = parley
            .api_key_status("https://api.anthropic.com/v1")
            .await
            .unwrap();
        assert_eq!(anthropic.status, KeyStatus::Env);
        assert_eq!(anthropic.provider, crate::keys::KeyProvider::Anthropic);
        assert!(
            view.key_origins.is_empty(),
            "the environment's key is not in the keychain"
        );
    }

    #[tokio::test]
    async fn an_unavailable_keychain_is_reported_in_settings_not_as_a_failure() {
        let store = Store::open_in_memory().await.unwrap();
        let parley = Parley::with_store(
            store,
            unused_images(),
            Arc::new(MemorySecretStore::unavailable()),
            Environment::default(),
        )
        .unwrap();
        let view = parley.settings_view().await.unwrap();
        assert_eq!(view.key.status, KeyStatus::Unset);
        assert_eq!(
            view.key.keychain_error.unwrap().kind,
            crate::ErrorKind::KeychainUnavailable
        );
    }
}
