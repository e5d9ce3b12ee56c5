//! Where Parley keeps API keys.
//!
//! Keys live in the OS keychain (the Secret Service on Linux, through the `keyring` crate with
//! its `sync-secret-service` backend picked explicitly: `keyring` without a backend feature silently
//! falls back to an in-memory mock), one entry per origin the key was saved for (see
//! [`ApiOrigin`]). Everything else in Parley talks to the [`SecretStore`] trait, so unit tests can
//! use [`MemorySecretStore`] while the integration test in `tests/secret_service.rs` exercises a
//! real Secret Service daemon.
//!
//! Invariants:
//! - the key only ever travels inside [`ApiKey`], whose `Debug`/`Display` print `<redacted>`, which
//!   has no serde implementation and which zeroes its bytes when dropped, so it cannot end up in
//!   logs, IPC or JSON;
//! - a key is looked up by the origin it is about to be sent to, so it can only go where it was
//!   saved for; `ANTHROPIC_API_KEY` from the environment counts only for Anthropic's own origin.

use std::collections::HashMap;
use std::sync::Mutex;

pub use parley_claude::{ANTHROPIC_ORIGIN, ApiKey, ApiOrigin};

/// The keychain "service" under which Parley stores its keys.
pub const KEYCHAIN_SERVICE: &str = "parley";
/// The keychain "account" of the single key Parley kept before keys were bound to origins; it
/// migrates to the origin of the saved base URL (see [`migrate_legacy_key`]).
pub const LEGACY_KEYCHAIN_ACCOUNT: &str = "anthropic-api-key";
/// The environment variable holding an Anthropic key, used for `https://api.anthropic.com` only.
pub const API_KEY_ENV_VAR: &str = "ANTHROPIC_API_KEY";

/// Why a keychain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No keychain service could be reached, or it is locked. One kind for all the ways this shows
    /// up (no D-Bus session, no Secret Service provider, locked collection) because the user's fix
    /// is the same: start or unlock the keyring.
    #[error(
        "The system keychain is not available ({0}). Parley stores API keys in the Secret Service \
         (GNOME Keyring or KWallet): make sure it is running and unlocked, or set ANTHROPIC_API_KEY."
    )]
    Unavailable(String),
    /// The keychain answered, but refused or failed the operation.
    #[error("The system keychain failed: {0}")]
    Failed(String),
}

/// A place that holds secrets by account name (one account per origin for API keys).
///
/// Implementations are blocking (the Secret Service speaks D-Bus synchronously); async callers run
/// them on a blocking thread, with a timeout (a locked keyring may wait for a prompt forever).
pub trait SecretStore: Send + Sync {
    /// The secret stored for `account`, or `None` when none is stored.
    fn get(&self, account: &str) -> Result<Option<ApiKey>, SecretError>;
    /// Stores `secret` for `account`, replacing any previous one.
    fn set(&self, account: &str, secret: &ApiKey) -> Result<(), SecretError>;
    /// Removes the secret of `account`; succeeds when none was stored.
    fn clear(&self, account: &str) -> Result<(), SecretError>;
}

/// The OS keychain, through `keyring`.
#[derive(Debug, Clone)]
pub struct KeyringSecretStore {
    service: String,
}

impl Default for KeyringSecretStore {
    fn default() -> Self {
        Self::new(KEYCHAIN_SERVICE)
    }
}

impl KeyringSecretStore {
    /// A store under one keychain service; tests use their own so they never touch a real
    /// user's keys.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, account).map_err(map_keyring_error)
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, account: &str) -> Result<Option<ApiKey>, SecretError> {
        match self.entry(account)?.get_password() {
            Ok(secret) if secret.is_empty() => Ok(None),
            Ok(secret) => Ok(Some(ApiKey::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(map_keyring_error(error)),
        }
    }

    fn set(&self, account: &str, secret: &ApiKey) -> Result<(), SecretError> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(map_keyring_error)
    }

    fn clear(&self, account: &str) -> Result<(), SecretError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(map_keyring_error(error)),
        }
    }
}

/// Maps `keyring` errors to our two kinds. The messages of `keyring` errors describe the platform
/// failure (D-Bus errors and the like) and never contain the secret itself.
fn map_keyring_error(error: keyring::Error) -> SecretError {
    match error {
        keyring::Error::PlatformFailure(inner) => SecretError::Unavailable(inner.to_string()),
        keyring::Error::NoStorageAccess(inner) => SecretError::Unavailable(inner.to_string()),
        other => SecretError::Failed(other.to_string()),
    }
}

/// An in-memory store for unit tests.
#[derive(Debug, Default)]
pub struct MemorySecretStore {
    secrets: Mutex<HashMap<String, ApiKey>>,
    unavailable: bool,
}

impl MemorySecretStore {
    /// A store that behaves like a missing keychain: every call fails with
    /// [`SecretError::Unavailable`].
    pub fn unavailable() -> Self {
        Self {
            secrets: Mutex::default(),
            unavailable: true,
        }
    }

    /// A store holding `key` for the origin of `base_url` (tests: the mock server's URL).
    pub fn with_key_for(base_url: &str, key: &str) -> Result<Self, parley_claude::InvalidBaseUrl> {
        let store = Self::default();
        let account = ApiOrigin::of_base_url(base_url)?.keychain_account();
        if let Ok(mut secrets) = store.secrets.lock() {
            secrets.insert(account, ApiKey::new(key));
        }
        Ok(store)
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, ApiKey>>, SecretError> {
        if self.unavailable {
            return Err(SecretError::Unavailable(
                "no Secret Service in this test".into(),
            ));
        }
        self.secrets
            .lock()
            .map_err(|_| SecretError::Failed("memory store poisoned".into()))
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, account: &str) -> Result<Option<ApiKey>, SecretError> {
        Ok(self.check()?.get(account).cloned())
    }

    fn set(&self, account: &str, secret: &ApiKey) -> Result<(), SecretError> {
        self.check()?.insert(account.to_owned(), secret.clone());
        Ok(())
    }

    fn clear(&self, account: &str) -> Result<(), SecretError> {
        self.check()?.remove(account);
        Ok(())
    }
}

/// Where the key in use comes from. Shown in settings; the key itself never is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// Stored in the keychain for this origin.
    Keychain,
    /// Taken from `ANTHROPIC_API_KEY` (Anthropic's origin only) because the keychain holds none.
    Environment,
}

/// The key to send to `origin`: the keychain's key for that origin, else, for Anthropic's own
/// origin only, a non-empty `env_key` (the caller reads `ANTHROPIC_API_KEY` once at start-up).
/// Any other origin never gets the environment's key: a user whose shell exports an Anthropic key
/// must not send it to a gateway by pointing Parley at one.
pub fn resolve_api_key(
    store: &dyn SecretStore,
    origin: &ApiOrigin,
    env_key: Option<&ApiKey>,
) -> Result<Option<(ApiKey, KeySource)>, SecretError> {
    let env_key = env_key
        .filter(|key| !key.is_empty() && origin.is_anthropic())
        .cloned();
    match store.get(&origin.keychain_account()) {
        Ok(Some(key)) => Ok(Some((key, KeySource::Keychain))),
        Ok(None) => Ok(env_key.map(|k| (k, KeySource::Environment))),
        // Without a keychain the environment still works: that is the documented escape hatch.
        Err(error) => match env_key {
            Some(k) => Ok(Some((k, KeySource::Environment))),
            None => Err(error),
        },
    }
}

/// Moves the key Parley stored before keys were bound to origins to `origin` (the origin of the
/// base URL saved at the time), unless that origin already has one; returns whether a key moved.
/// The old entry is removed either way, so the key is nowhere unbound.
pub fn migrate_legacy_key(
    store: &dyn SecretStore,
    origin: &ApiOrigin,
) -> Result<bool, SecretError> {
    let Some(legacy) = store.get(LEGACY_KEYCHAIN_ACCOUNT)? else {
        return Ok(false);
    };
    let account = origin.keychain_account();
    let moved = if store.get(&account)?.is_none() {
        store.set(&account, &legacy)?;
        true
    } else {
        false
    };
    store.clear(LEGACY_KEYCHAIN_ACCOUNT)?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> ApiOrigin {
        ApiOrigin::of_base_url(url).unwrap()
    }

    #[test]
    fn memory_store_sets_replaces_and_clears_per_account() {
        let store = MemorySecretStore::default();
        assert!(store.get("a").unwrap().is_none());
        store.set("a", &ApiKey::new("sk-one")).unwrap();
        store.set("b", &ApiKey::new("sk-b")).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().expose(), "sk-one");
        store.set("a", &ApiKey::new("sk-two")).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().expose(), "sk-two");
        store.clear("a").unwrap();
        assert!(store.get("a").unwrap().is_none());
        assert_eq!(
            store.get("b").unwrap().unwrap().expose(),
            "sk-b",
            "accounts are separate"
        );
        store
            .clear("a")
            .expect("clearing an empty account is not an error");
    }

    #[test]
    fn keys_are_found_only_for_the_origin_they_were_saved_for() {
        let store = MemorySecretStore::with_key_for("https://api.apimart.ai/v1", "sk-gw").unwrap();
        let (key, source) = resolve_api_key(&store, &origin("https://api.apimart.ai"), None)
            .unwrap()
            .unwrap();
        assert_eq!((key.expose(), source), ("sk-gw", KeySource::Keychain));
        for other in [
            "https://api.anthropic.com",
            "http://127.0.0.1:8080",
            "https://api.apimart.ai:444",
        ] {
            assert!(
                resolve_api_key(&store, &origin(other), None)
                    .unwrap()
                    .is_none(),
                "the gateway's key must never be offered to {other}"
            );
        }
    }

    #[test]
    fn keychain_key_wins_over_environment() {
        let store = MemorySecretStore::with_key_for(ANTHROPIC_ORIGIN, "sk-keychain").unwrap();
        let env = ApiKey::new("sk-env");
        let (key, source) = resolve_api_key(&store, &origin(ANTHROPIC_ORIGIN), Some(&env))
            .unwrap()
            .unwrap();
        assert_eq!(key.expose(), "sk-keychain");
        assert_eq!(source, KeySource::Keychain);
    }

    #[test]
    fn the_environment_key_is_used_for_anthropic_only() {
        let env = ApiKey::new(" sk-env ");
        let anthropic = origin(ANTHROPIC_ORIGIN);
        let (key, source) = resolve_api_key(&MemorySecretStore::default(), &anthropic, Some(&env))
            .unwrap()
            .unwrap();
        assert_eq!((key.expose(), source), ("sk-env", KeySource::Environment));
        let (_, source) =
            resolve_api_key(&MemorySecretStore::unavailable(), &anthropic, Some(&env))
                .unwrap()
                .unwrap();
        assert_eq!(source, KeySource::Environment);
        for other in [
            "https://api.apimart.ai",
            "http://127.0.0.1:9",
            "https://gw.example.com",
        ] {
            assert!(
                resolve_api_key(&MemorySecretStore::default(), &origin(other), Some(&env))
                    .unwrap()
                    .is_none(),
                "ANTHROPIC_API_KEY must never go to {other}"
            );
            assert!(
                resolve_api_key(
                    &MemorySecretStore::unavailable(),
                    &origin(other),
                    Some(&env)
                )
                .is_err(),
                "without a keychain, {other} has no key (not the environment's)"
            );
        }
    }

    #[test]
    fn empty_environment_value_counts_as_unset() {
        let env = ApiKey::new("  ");
        assert!(
            resolve_api_key(
                &MemorySecretStore::default(),
                &origin(ANTHROPIC_ORIGIN),
                Some(&env)
            )
            .unwrap()
            .is_none()
        );
    }

    #[test]
    fn unavailable_keychain_without_environment_is_an_unavailable_error() {
        let error = resolve_api_key(
            &MemorySecretStore::unavailable(),
            &origin(ANTHROPIC_ORIGIN),
            None,
        )
        .unwrap_err();
        assert!(matches!(error, SecretError::Unavailable(_)));
        assert!(error.to_string().contains("keychain is not available"));
    }

    #[test]
    fn the_legacy_key_moves_to_the_saved_origin_once() {
        let store = MemorySecretStore::default();
        store
            .set(LEGACY_KEYCHAIN_ACCOUNT, &ApiKey::new("sk-old"))
            .unwrap();
        let gateway = origin("https://api.apimart.ai");
        assert!(migrate_legacy_key(&store, &gateway).unwrap());
        assert_eq!(
            store
                .get(&gateway.keychain_account())
                .unwrap()
                .unwrap()
                .expose(),
            "sk-old"
        );
        assert!(
            store.get(LEGACY_KEYCHAIN_ACCOUNT).unwrap().is_none(),
            "the unbound copy is gone"
        );
        assert!(
            !migrate_legacy_key(&store, &gateway).unwrap(),
            "nothing left to move"
        );

        // An origin that already has a key keeps it; the legacy entry still goes.
        store
            .set(LEGACY_KEYCHAIN_ACCOUNT, &ApiKey::new("sk-older"))
            .unwrap();
        assert!(!migrate_legacy_key(&store, &gateway).unwrap());
        assert_eq!(
            store
                .get(&gateway.keychain_account())
                .unwrap()
                .unwrap()
                .expose(),
            "sk-old"
        );
        assert!(store.get(LEGACY_KEYCHAIN_ACCOUNT).unwrap().is_none());
    }

    #[test]
    fn platform_failures_map_to_unavailable() {
        let error = map_keyring_error(keyring::Error::PlatformFailure("no bus".into()));
        assert!(matches!(error, SecretError::Unavailable(_)));
        let error = map_keyring_error(keyring::Error::NoStorageAccess("locked".into()));
        assert!(matches!(error, SecretError::Unavailable(_)));
    }
}
