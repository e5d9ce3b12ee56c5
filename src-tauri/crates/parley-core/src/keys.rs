//! API keys bound to the origin they were saved for: the keychain behind a session cache, a
//! timeout, and an index of the origins that have a key.
//!
//! Every send looks its key up by the origin of the URL it is about to call
//! ([`Keys::resolve`]), so a key can only ever travel to where it was saved for, whatever base URL
//! the webview saves. The Secret Service is slow (a D-Bus connection per call) and may block
//! forever on a locked keyring with nobody to answer its prompt, so:
//! - keys are cached for the session after the first read (writes update the cache);
//! - keychain calls run one at a time on a blocking thread and give up after
//!   [`KEYCHAIN_TIMEOUT`] with [`SecretError::Unavailable`]; a stuck call keeps the gate, so later
//!   calls time out as well instead of piling up blocked threads.
//!
//! The keychain cannot list entries portably, so the origins that have a key are kept in the
//! settings table (origins are not secret); the settings view shows only those the keychain
//! really holds.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use parley_claude::{ApiKey, ApiOrigin};
use parley_secrets::{KeySource, SecretError, SecretStore, migrate_legacy_key, resolve_api_key};
use parley_store::Store;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult, ErrorPayload};

/// How long a keychain call may take before Parley reports the keychain unavailable.
pub const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The settings-table entry listing the origins that have a key in the keychain.
const ORIGIN_INDEX_KEY: &str = "api_key_origins";

/// Whether a key is available for an origin, and from where. The key itself is never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    Set,
    Unset,
    Env,
}

/// The key of one origin as the settings show it: where it would be sent, whether there is one,
/// and how to ask for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    /// `scheme://host[:port]`: the only place this key is ever sent.
    pub origin: String,
    pub status: KeyStatus,
    /// Whom the key is for: the UI names the key field after it, in its own language, and
    /// shows the usual shape of the provider's keys.
    pub provider: KeyProvider,
    /// Why the keychain could not be read, when it could not.
    pub keychain_error: Option<ErrorPayload>,
}

/// An origin that has a key in the keychain (settings list these, each removable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyOrigin {
    pub origin: String,
    pub provider: KeyProvider,
}

/// Who answers at a key's origin, as far as Parley can tell ([`parley_claude::Provider`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum KeyProvider {
    Anthropic,
    Apimart,
    /// A gateway on this machine (loopback).
    Local,
    /// Any other host, by its name.
    Host {
        host: String,
    },
}

impl From<parley_claude::Provider> for KeyProvider {
    fn from(provider: parley_claude::Provider) -> Self {
        match provider {
            parley_claude::Provider::Anthropic => Self::Anthropic,
            parley_claude::Provider::Apimart => Self::Apimart,
            parley_claude::Provider::Local => Self::Local,
            parley_claude::Provider::Other(host) => Self::Host { host },
        }
    }
}

type Resolved = Option<(ApiKey, KeySource)>;

/// The keychain as Parley uses it: per-origin keys, cached, with a timeout.
pub struct Keys {
    secrets: Arc<dyn SecretStore>,
    /// `ANTHROPIC_API_KEY` as read at start-up; offered to Anthropic's origin only.
    env_key: Option<ApiKey>,
    cache: Mutex<HashMap<ApiOrigin, Resolved>>,
    /// One keychain call at a time (see the module comment).
    gate: Arc<Semaphore>,
    timeout: Duration,
    /// Set once the pre-origin single key has been looked for (and moved).
    legacy_migrated: tokio::sync::OnceCell<()>,
}

impl Keys {
    pub fn new(secrets: Arc<dyn SecretStore>, env_key: Option<String>) -> Self {
        Self {
            secrets,
            env_key: env_key.map(ApiKey::new).filter(|key| !key.is_empty()),
            cache: Mutex::default(),
            gate: Arc::new(Semaphore::new(1)),
            timeout: KEYCHAIN_TIMEOUT,
            legacy_migrated: tokio::sync::OnceCell::new(),
        }
    }

    /// Changes the keychain timeout (tests use a short one).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The key to send to `origin`, from the cache or the keychain.
    pub async fn resolve(&self, origin: &ApiOrigin) -> CoreResult<Resolved> {
        if let Some(cached) = self.cached(origin) {
            return Ok(cached);
        }
        let secrets = Arc::clone(&self.secrets);
        let env_key = self.env_key.clone();
        let lookup = origin.clone();
        let resolved = self
            .keychain(move || resolve_api_key(secrets.as_ref(), &lookup, env_key.as_ref()))
            .await?;
        self.remember(origin, resolved.clone());
        Ok(resolved)
    }

    /// Stores `key` for `origin` in the keychain and records the origin in the index.
    pub async fn set(&self, store: &Store, origin: &ApiOrigin, key: ApiKey) -> CoreResult<()> {
        let secrets = Arc::clone(&self.secrets);
        let account = origin.keychain_account();
        let stored = key.clone();
        self.keychain(move || secrets.set(&account, &stored))
            .await?;
        self.remember(origin, Some((key, KeySource::Keychain)));
        update_index(store, |origins| {
            origins.insert(origin.as_str().to_owned());
        })
        .await
    }

    /// Another secret of Parley's under `account` (an MCP server's env values and headers),
    /// through the same gate and timeout as keys.
    pub(crate) async fn read_secret(&self, account: &str) -> CoreResult<Option<ApiKey>> {
        let secrets = Arc::clone(&self.secrets);
        let account = account.to_owned();
        self.keychain(move || secrets.get(&account)).await
    }

    /// Stores a secret of Parley's under `account`; an empty one removes it.
    pub(crate) async fn write_secret(&self, account: &str, secret: ApiKey) -> CoreResult<()> {
        let secrets = Arc::clone(&self.secrets);
        let account = account.to_owned();
        if secret.is_empty() {
            self.keychain(move || secrets.clear(&account)).await
        } else {
            self.keychain(move || secrets.set(&account, &secret)).await
        }
    }

    /// Removes the key of `origin` from the keychain and the index.
    pub async fn clear(&self, store: &Store, origin: &ApiOrigin) -> CoreResult<()> {
        let secrets = Arc::clone(&self.secrets);
        let account = origin.keychain_account();
        self.keychain(move || secrets.clear(&account)).await?;
        self.forget(origin);
        update_index(store, |origins| {
            origins.remove(origin.as_str());
        })
        .await
    }

    /// Moves the single key of Parley versions before origin-bound keys to `saved_origin` (the
    /// origin of the saved base URL), once per session. A keychain that cannot be read is tried
    /// again next time.
    pub async fn migrate_legacy(&self, store: &Store, saved_origin: &ApiOrigin) -> CoreResult<()> {
        self.legacy_migrated
            .get_or_try_init(|| async {
                let secrets = Arc::clone(&self.secrets);
                let origin = saved_origin.clone();
                let moved = self
                    .keychain(move || migrate_legacy_key(secrets.as_ref(), &origin))
                    .await?;
                if moved {
                    tracing::info!(origin = %saved_origin, "moved the stored API key to its origin");
                    self.forget(saved_origin);
                    update_index(store, |origins| {
                        origins.insert(saved_origin.as_str().to_owned());
                    })
                    .await?;
                }
                Ok::<(), CoreError>(())
            })
            .await
            .map(|_| ())
    }

    /// The origins that have a key in the keychain, in order. An origin in the index whose key
    /// is gone (removed with another tool) is left out.
    pub async fn origins(&self, store: &Store) -> CoreResult<Vec<KeyOrigin>> {
        let mut listed = Vec::new();
        for origin in read_index(store).await? {
            let Ok(origin) = ApiOrigin::parse(&origin) else {
                continue;
            };
            if let Some((_, KeySource::Keychain)) = self.resolve(&origin).await? {
                listed.push(KeyOrigin {
                    origin: origin.as_str().to_owned(),
                    provider: origin.provider().into(),
                });
            }
        }
        Ok(listed)
    }

    /// What the settings show for `origin`; a keychain error is reported, not returned.
    pub async fn view(&self, origin: &ApiOrigin) -> KeyView {
        let (status, keychain_error) = match self.resolve(origin).await {
            Ok(Some((_, KeySource::Keychain))) => (KeyStatus::Set, None),
            Ok(Some((_, KeySource::Environment))) => (KeyStatus::Env, None),
            Ok(None) => (KeyStatus::Unset, None),
            Err(error) => (KeyStatus::Unset, Some(error.to_payload())),
        };
        KeyView {
            origin: origin.as_str().to_owned(),
            status,
            provider: origin.provider().into(),
            keychain_error,
        }
    }

    fn cached(&self, origin: &ApiOrigin) -> Option<Resolved> {
        self.cache.lock().ok()?.get(origin).cloned()
    }

    fn remember(&self, origin: &ApiOrigin, resolved: Resolved) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(origin.clone(), resolved);
        }
    }

    fn forget(&self, origin: &ApiOrigin) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(origin);
        }
    }

    /// Runs blocking keychain work on a blocking thread, one call at a time, within the timeout.
    async fn keychain<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
    ) -> CoreResult<T> {
        let timed_out = || {
            CoreError::Secret(SecretError::Unavailable(format!(
                "it did not answer within {} s; it may be locked and waiting for a password \
                 prompt that cannot be shown",
                self.timeout.as_secs_f32()
            )))
        };
        let call = async {
            let permit = Arc::clone(&self.gate)
                .acquire_owned()
                .await
                .map_err(|_| CoreError::Internal("the keychain gate was closed".into()))?;
            // The permit moves into the blocking call, so a call that never returns keeps it.
            let task = tokio::task::spawn_blocking(move || {
                let result = work();
                drop(permit);
                result
            });
            task.await
                .map_err(|error| CoreError::Internal(format!("keychain task failed: {error}")))?
                .map_err(CoreError::from)
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| timed_out())?
    }
}

async fn read_index(store: &Store) -> CoreResult<BTreeSet<String>> {
    Ok(store
        .get_setting(ORIGIN_INDEX_KEY)
        .await?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

async fn update_index(store: &Store, change: impl FnOnce(&mut BTreeSet<String>)) -> CoreResult<()> {
    let mut origins = read_index(store).await?;
    change(&mut origins);
    let json = serde_json::to_string(&origins)
        .map_err(|error| CoreError::Internal(format!("key index: {error}")))?;
    store.set_setting(ORIGIN_INDEX_KEY, &json).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use parley_secrets::{LEGACY_KEYCHAIN_ACCOUNT, MemorySecretStore};

    use super::*;
    use crate::ErrorKind;

    fn origin(url: &str) -> ApiOrigin {
        ApiOrigin::of_base_url(url).unwrap()
    }

    /// A keychain that counts its calls and can be made to hang like a locked keyring.
    #[derive(Default)]
    struct CountingStore {
        inner: MemorySecretStore,
        gets: std::sync::atomic::AtomicUsize,
        hang: bool,
    }

    impl SecretStore for CountingStore {
        fn get(&self, account: &str) -> Result<Option<ApiKey>, SecretError> {
            self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if self.hang {
                std::thread::sleep(Duration::from_secs(2));
            }
            self.inner.get(account)
        }
        fn set(&self, account: &str, secret: &ApiKey) -> Result<(), SecretError> {
            self.inner.set(account, secret)
        }
        fn clear(&self, account: &str) -> Result<(), SecretError> {
            self.inner.clear(account)
        }
    }

    #[tokio::test]
    async fn a_key_is_read_from_the_keychain_once_per_session() {
        let secrets = Arc::new(CountingStore::default());
        let store = Store::open_in_memory().await.unwrap();
        let keys = Keys::new(secrets.clone(), None);
        let gateway = origin("https://api.apimart.ai");
        keys.set(&store, &gateway, ApiKey::new("sk-gw"))
            .await
            .unwrap();
        for _ in 0..5 {
            let (key, _) = keys.resolve(&gateway).await.unwrap().unwrap();
            assert_eq!(key.expose(), "sk-gw");
        }
        assert_eq!(
            secrets.gets.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "a key just saved is served from the cache"
        );
        let other = origin("https://gw.example.com");
        for _ in 0..3 {
            assert!(keys.resolve(&other).await.unwrap().is_none());
        }
        assert_eq!(secrets.gets.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_keychain_that_never_answers_times_out_as_unavailable() {
        let secrets = Arc::new(CountingStore {
            hang: true,
            ..CountingStore::default()
        });
        let keys = Keys::new(secrets, None).with_timeout(Duration::from_millis(200));
        let started = Instant::now();
        let error = keys
            .resolve(&origin("https://api.apimart.ai"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::KeychainUnavailable, "{error}");
        assert!(error.to_string().contains("did not answer"), "{error}");
        // The stuck call keeps the gate: the next one also gives up on time, no second thread.
        let error = keys
            .resolve(&origin("https://gw.example.com"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::KeychainUnavailable);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn the_index_lists_origins_with_keys_and_forgets_removed_ones() {
        let store = Store::open_in_memory().await.unwrap();
        let secrets = Arc::new(MemorySecretStore::default());
        let keys = Keys::new(secrets.clone(), Some("sk-env".into()));
        let gateway = origin("https://api.apimart.ai");
        let local = origin("http://127.0.0.1:8787");
        keys.set(&store, &local, ApiKey::new("sk-l")).await.unwrap();
        keys.set(&store, &gateway, ApiKey::new("sk-g"))
            .await
            .unwrap();
        let listed: Vec<String> = keys
            .origins(&store)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.origin)
            .collect();
        assert_eq!(listed, ["http://127.0.0.1:8787", "https://api.apimart.ai"]);
        keys.clear(&store, &local).await.unwrap();
        assert!(secrets.get(&local.keychain_account()).unwrap().is_none());
        let listed = keys.origins(&store).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].provider, KeyProvider::Apimart);
        assert_eq!(keys.view(&local).await.status, KeyStatus::Unset);
        // The environment's key shows as such, and only for Anthropic.
        assert_eq!(
            keys.view(&origin(parley_claude::ANTHROPIC_ORIGIN))
                .await
                .status,
            KeyStatus::Env
        );
        assert_eq!(
            keys.view(&origin("https://gw.example.com")).await.status,
            KeyStatus::Unset
        );
    }

    #[tokio::test]
    async fn the_legacy_key_migrates_to_the_saved_origin_and_is_listed() {
        let store = Store::open_in_memory().await.unwrap();
        let secrets = Arc::new(MemorySecretStore::default());
        secrets
            .set(LEGACY_KEYCHAIN_ACCOUNT, &ApiKey::new("sk-legacy"))
            .unwrap();
        let keys = Keys::new(secrets.clone(), None);
        let saved = origin("http://localhost:9000");
        keys.migrate_legacy(&store, &saved).await.unwrap();
        let (key, source) = keys.resolve(&saved).await.unwrap().unwrap();
        assert_eq!((key.expose(), source), ("sk-legacy", KeySource::Keychain));
        assert!(
            keys.resolve(&origin("https://api.apimart.ai"))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            keys.origins(&store).await.unwrap()[0].origin,
            "http://localhost:9000"
        );
        assert!(secrets.get(LEGACY_KEYCHAIN_ACCOUNT).unwrap().is_none());
    }
}
