//! Set, read, replace and clear against a real Secret Service (gnome-keyring in a D-Bus session).
//!
//! `scripts/with-keyring.sh` starts that session and sets `PARLEY_REAL_KEYCHAIN=1`; the test
//! command always runs this file that way. Run alone without it, the test fails loudly rather than
//! passing silently, so it cannot be skipped by accident.

use parley_secrets::{
    ApiKey, ApiOrigin, KeySource, KeyringSecretStore, SecretError, SecretStore, resolve_api_key,
};

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
    let store = KeyringSecretStore::new("parley-tests");
    store.clear(&account).unwrap();
    assert!(
        store.get(&account).unwrap().is_none(),
        "a fresh account holds no key"
    );

    store.set(&account, &ApiKey::new("sk-ant-first")).unwrap();
    assert_eq!(
        store.get(&account).unwrap().unwrap().expose(),
        "sk-ant-first"
    );

    store.set(&account, &ApiKey::new("sk-ant-second")).unwrap();
    assert_eq!(
        store.get(&account).unwrap().unwrap().expose(),
        "sk-ant-second",
        "set replaces"
    );

    // A second handle (as after an app restart) reads what the first stored.
    let again = KeyringSecretStore::new("parley-tests");
    assert_eq!(
        again.get(&account).unwrap().unwrap().expose(),
        "sk-ant-second"
    );

    store.clear(&account).unwrap();
    assert!(
        store.get(&account).unwrap().is_none(),
        "clear removes the key"
    );
    assert!(again.get(&account).unwrap().is_none());
}

#[test]
fn the_stored_key_is_visible_to_secret_tool() {
    require_real_keychain();
    // Proves the key went to the Secret Service and not to an in-memory mock backend.
    let account = format!("visible-{}", std::process::id());
    let store = KeyringSecretStore::new("parley-tests");
    store.set(&account, &ApiKey::new("sk-ant-visible")).unwrap();
    let output = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "parley-tests", "username", &account])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by the set-up script");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "sk-ant-visible"
    );
    store.clear(&account).unwrap();
}

#[test]
fn keys_of_two_origins_live_side_by_side_in_the_real_keychain() {
    require_real_keychain();
    let service = format!("parley-tests-origins-{}", std::process::id());
    let store = KeyringSecretStore::new(service.clone());
    let gateway = ApiOrigin::of_base_url("https://api.apimart.ai/v1").unwrap();
    let local = ApiOrigin::of_base_url("http://127.0.0.1:8787").unwrap();
    store
        .set(&gateway.keychain_account(), &ApiKey::new("sk-gateway"))
        .unwrap();
    store
        .set(&local.keychain_account(), &ApiKey::new("sk-local"))
        .unwrap();
    let key_for = |origin: &ApiOrigin| {
        resolve_api_key(&store, origin, None)
            .unwrap()
            .map(|(key, source)| (key.expose().to_owned(), source))
    };
    assert_eq!(
        key_for(&gateway),
        Some(("sk-gateway".to_owned(), KeySource::Keychain))
    );
    assert_eq!(
        key_for(&local),
        Some(("sk-local".to_owned(), KeySource::Keychain))
    );
    let anthropic = ApiOrigin::of_base_url("https://api.anthropic.com").unwrap();
    assert_eq!(key_for(&anthropic), None, "no key was saved for Anthropic");
    // The entry is named after its origin, so `secret-tool` (and a packager's script) finds it.
    let output = std::process::Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            &service,
            "username",
            &local.keychain_account(),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "sk-local");
    store.clear(&gateway.keychain_account()).unwrap();
    store.clear(&local.keychain_account()).unwrap();
}

#[test]
fn without_a_session_bus_the_error_is_unavailable() {
    require_real_keychain();
    // Run a child process with no D-Bus address: it must report the one clear "unavailable" kind.
    if std::env::var("PARLEY_CHILD_NO_BUS").is_ok() {
        let error = KeyringSecretStore::new("parley-tests")
            .get("nobus")
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

#[test]
fn a_key_stored_by_secret_tool_is_read_by_parley() {
    require_real_keychain();
    // The benchmark (bench/run.mjs) and packagers' scripts store keys with these attributes;
    // this pins that `keyring` finds them.
    let service = format!("parley-tests-tool-{}", std::process::id());
    let origin = ApiOrigin::of_base_url("http://127.0.0.1:4242").unwrap();
    let mut child = std::process::Command::new("secret-tool")
        .args(["store", "--label=test key", "service", &service, "username"])
        .arg(origin.keychain_account())
        .args(["target", "default"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"sk-from-secret-tool")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let store = KeyringSecretStore::new(service);
    let (key, source) = resolve_api_key(&store, &origin, None).unwrap().unwrap();
    assert_eq!(
        (key.expose(), source),
        ("sk-from-secret-tool", KeySource::Keychain)
    );
    store.clear(&origin.keychain_account()).unwrap();
}
