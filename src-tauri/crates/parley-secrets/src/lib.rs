//! Where Parley keeps the API key.
//!
//! The key lives in the OS keychain (the Secret Service on Linux, through the `keyring` crate with
//! its `sync-secret-service` backend picked explicitly: `keyring` without a backend feature silently
//! falls back to an in-memory mock). Everything else in Parley talks to the [`SecretStore`] trait,
//! so unit tests can use [`MemorySecretStore`] while the integration test in
//! `tests/secret_service.rs` exercises a real Secret Service daemon.
//!
//! Invariant: the key only ever travels inside [`ApiKey`], whose `Debug`/`Display` print
//! `<redacted>` and which has no serde implementation, so it cannot end up in logs, IPC or JSON.

use std::sync::Mutex;

pub use parley_claude::ApiKey;

/// The keychain "service" under which Parley stores its key.
pub const KEYCHAIN_SERVICE: &str = "parley";
/// The keychain "account" of the Anthropic API key.
pub const KEYCHAIN_ACCOUNT: &str = "anthropic-api-key";
/// The environment variable used when the keychain holds no key.
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

/// A place that holds at most one API key.
///
/// Implementations are blocking (the Secret Service speaks D-Bus synchronously); async callers run
/// them on a blocking thread.
pub trait SecretStore: Send + Sync {
    /// The stored key, or `None` when none is stored.
    fn get(&self) -> Result<Option<ApiKey>, SecretError>;
    /// Stores `key`, replacing any previous one.
    fn set(&self, key: &ApiKey) -> Result<(), SecretError>;
    /// Removes the stored key; succeeds when none was stored.
    fn clear(&self) -> Result<(), SecretError>;
}

/// The OS keychain, through `keyring`.
#[derive(Debug, Clone)]
pub struct KeyringSecretStore {
    service: String,
    account: String,
}

impl Default for KeyringSecretStore {
    fn default() -> Self {
        Self::new(KEYCHAIN_SERVICE, KEYCHAIN_ACCOUNT)
    }
}

impl KeyringSecretStore {
    /// A store for one service/account pair; tests use their own account so they never touch a
    /// real user's key.
    pub fn new(service: impl Into<String>, account: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            account: account.into(),
        }
    }

    fn entry(&self) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, &self.account).map_err(map_keyring_error)
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self) -> Result<Option<ApiKey>, SecretError> {
        match self.entry()?.get_password() {
            Ok(secret) if secret.is_empty() => Ok(None),
            Ok(secret) => Ok(Some(ApiKey::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(map_keyring_error(error)),
        }
    }

    fn set(&self, key: &ApiKey) -> Result<(), SecretError> {
        self.entry()?
            .set_password(key.expose())
            .map_err(map_keyring_error)
    }

    fn clear(&self) -> Result<(), SecretError> {
        match self.entry()?.delete_credential() {
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
    key: Mutex<Option<String>>,
    unavailable: bool,
}

impl MemorySecretStore {
    /// A store that behaves like a missing keychain: every call fails with
    /// [`SecretError::Unavailable`].
    pub fn unavailable() -> Self {
        Self {
            key: Mutex::new(None),
            unavailable: true,
        }
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, Option<String>>, SecretError> {
        if self.unavailable {
            return Err(SecretError::Unavailable(
                "no Secret Service in this test".into(),
            ));
        }
        self.key
            .lock()
            .map_err(|_| SecretError::Failed("memory store poisoned".into()))
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self) -> Result<Option<ApiKey>, SecretError> {
        Ok(self.check()?.as_ref().map(|k| ApiKey::new(k.clone())))
    }

    fn set(&self, key: &ApiKey) -> Result<(), SecretError> {
        *self.check()? = Some(key.expose().to_owned());
        Ok(())
    }

    fn clear(&self) -> Result<(), SecretError> {
        *self.check()? = None;
        Ok(())
    }
}

/// Where the key in use comes from. Shown in settings; the key itself never is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// Stored in the keychain.
    Keychain,
    /// Taken from `ANTHROPIC_API_KEY` because the keychain holds none.
    Environment,
}

/// The key to use: the keychain's, else a non-empty `env_value` (the caller reads
/// `ANTHROPIC_API_KEY`, so tests need not touch the process environment).
pub fn resolve_api_key(
    store: &dyn SecretStore,
    env_value: Option<String>,
) -> Result<Option<(ApiKey, KeySource)>, SecretError> {
    let env_key = env_value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    match store.get() {
        Ok(Some(key)) => Ok(Some((key, KeySource::Keychain))),
        Ok(None) => Ok(env_key.map(|k| (ApiKey::new(k), KeySource::Environment))),
        // Without a keychain the environment still works: that is the documented escape hatch.
        Err(error) => match env_key {
            Some(k) => Ok(Some((ApiKey::new(k), KeySource::Environment))),
            None => Err(error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_sets_replaces_and_clears() {
        let store = MemorySecretStore::default();
        assert!(store.get().unwrap().is_none());
        store.set(&ApiKey::new("sk-one")).unwrap();
        assert_eq!(store.get().unwrap().unwrap().expose(), "sk-one");
        store.set(&ApiKey::new("sk-two")).unwrap();
        assert_eq!(store.get().unwrap().unwrap().expose(), "sk-two");
        store.clear().unwrap();
        assert!(store.get().unwrap().is_none());
        store
            .clear()
            .expect("clearing an empty store is not an error");
    }

    #[test]
    fn keychain_key_wins_over_environment() {
        let store = MemorySecretStore::default();
        store.set(&ApiKey::new("sk-keychain")).unwrap();
        let (key, source) = resolve_api_key(&store, Some("sk-env".into()))
            .unwrap()
            .unwrap();
        assert_eq!(key.expose(), "sk-keychain");
        assert_eq!(source, KeySource::Keychain);
    }

    #[test]
    fn environment_is_used_when_keychain_is_empty_or_unavailable() {
        let (key, source) = resolve_api_key(&MemorySecretStore::default(), Some(" sk-env ".into()))
            .unwrap()
            .unwrap();
        assert_eq!((key.expose(), source), ("sk-env", KeySource::Environment));
        let (_, source) = resolve_api_key(&MemorySecretStore::unavailable(), Some("sk-env".into()))
            .unwrap()
            .unwrap();
        assert_eq!(source, KeySource::Environment);
    }

    #[test]
    fn empty_environment_value_counts_as_unset() {
        assert!(
            resolve_api_key(&MemorySecretStore::default(), Some("  ".into()))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn unavailable_keychain_without_environment_is_an_unavailable_error() {
        let error = resolve_api_key(&MemorySecretStore::unavailable(), None).unwrap_err();
        assert!(matches!(error, SecretError::Unavailable(_)));
        assert!(error.to_string().contains("keychain is not available"));
    }

    #[test]
    fn platform_failures_map_to_unavailable() {
        let error = map_keyring_error(keyring::Error::PlatformFailure("no bus".into()));
        assert!(matches!(error, SecretError::Unavailable(_)));
        let error = map_keyring_error(keyring::Error::NoStorageAccess("locked".into()));
        assert!(matches!(error, SecretError::Unavailable(_)));
    }
}
