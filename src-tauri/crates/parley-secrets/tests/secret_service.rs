//! Set, read, replace and clear against a real Secret Service (gnome-keyring in a D-Bus session).
//!
//! `scripts/with-keyring.sh` starts that session and sets `PARLEY_REAL_KEYCHAIN=1`; the test
//! command always runs this file that way. Run alone without it, the test fails loudly rather than
//! passing silently, so it cannot be skipped by accident.

use parley_secrets::{ApiKey, KeyringSecretStore, SecretError, SecretStore};

fn require_real_keychain() {
    assert_eq!(
        std::env::var("PARLEY_REAL_KEYCHAIN").as_deref(),
        Ok("1"),
        "run this test through scripts/with-keyring.sh: it needs a real Secret Service"
    );
}

#[test]
fn real_secret_service_sets_reads_replaces_and_clears_the_key() {
    require_real_keychain();
    let account = format!("test-{}", std::process::id());
    let store = KeyringSecretStore::new("parley-tests", account);
    store.clear().unwrap();
    assert!(
        store.get().unwrap().is_none(),
        "a fresh account holds no key"
    );

    store.set(&ApiKey::new("sk-ant-first")).unwrap();
    assert_eq!(store.get().unwrap().unwrap().expose(), "sk-ant-first");

    store.set(&ApiKey::new("sk-ant-second")).unwrap();
    assert_eq!(
        store.get().unwrap().unwrap().expose(),
        "sk-ant-second",
        "set replaces"
    );

    // A second handle (as after an app restart) reads what the first stored.
    let again = KeyringSecretStore::new("parley-tests", format!("test-{}", std::process::id()));
    assert_eq!(again.get().unwrap().unwrap().expose(), "sk-ant-second");

    store.clear().unwrap();
    assert!(store.get().unwrap().is_none(), "clear removes the key");
    assert!(again.get().unwrap().is_none());
}

#[test]
fn the_stored_key_is_visible_to_secret_tool() {
    require_real_keychain();
    // Proves the key went to the Secret Service and not to an in-memory mock backend.
    let account = format!("visible-{}", std::process::id());
    let store = KeyringSecretStore::new("parley-tests", account.clone());
    store.set(&ApiKey::new("sk-ant-visible")).unwrap();
    let output = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "parley-tests", "username", &account])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by the set-up script");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "sk-ant-visible"
    );
    store.clear().unwrap();
}

#[test]
fn without_a_session_bus_the_error_is_unavailable() {
    require_real_keychain();
    // Run a child process with no D-Bus address: it must report the one clear "unavailable" kind.
    if std::env::var("PARLEY_CHILD_NO_BUS").is_ok() {
        let error = KeyringSecretStore::new("parley-tests", "nobus")
            .get()
            .unwrap_err();
        assert!(
            matches!(error, SecretError::Unavailable(_)),
            "got {error:?}"
        );
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let status = std::process::Command::new(exe)
        .args([
            "--exact",
            "without_a_session_bus_the_error_is_unavailable",
            "--nocapture",
        ])
        .env("PARLEY_CHILD_NO_BUS", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/parley-test-bus",
        )
        .status()
        .unwrap();
    assert!(status.success(), "the child saw a different error kind");
}
