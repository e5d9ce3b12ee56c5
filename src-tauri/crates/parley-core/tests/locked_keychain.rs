//! A locked keyring must never hang Parley: reading a key either fails at once (no prompter can
//! run) or, when a prompt opens that nobody answers, gives up after the keychain timeout; both
//! are reported as `keychain_unavailable`.
//!
//! Locking the keyring would break every other keychain test sharing the session, so each case
//! runs this binary again in a private session of its own (`scripts/with-keyring.sh`), once
//! without a display (the prompter cannot start) and once under Xvfb (a prompt window opens and
//! waits for a password forever).

// A test file: its helpers may unwrap (clippy's allow-in-tests covers only #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_claude::ApiOrigin;
use parley_core::ErrorKind;
use parley_core::keys::Keys;
use parley_secrets::{KeyringSecretStore, SecretStore};

const CHILD_FLAG: &str = "PARLEY_LOCKED_KEYCHAIN_CHILD";
const TEST_NAME: &str = "a_locked_keyring_is_reported_unavailable_and_never_hangs";
const TIMEOUT: Duration = Duration::from_secs(3);

#[test]
fn a_locked_keyring_is_reported_unavailable_and_never_hangs() {
    assert_eq!(
        std::env::var("PARLEY_REAL_KEYCHAIN").as_deref(),
        Ok("1"),
        "run this test through scripts/with-keyring.sh: it needs a real Secret Service"
    );
    if std::env::var_os(CHILD_FLAG).is_some() {
        check_inside_a_private_locked_keyring();
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let exe = std::env::current_exe().unwrap();
    let args = [TEST_NAME, "--exact", "--test-threads=1", "--nocapture"];
    let with_keyring = root.join("scripts/with-keyring.sh");

    // No display: the prompter cannot start, and the keychain says no at once.
    let no_display = Command::new("bash")
        .arg(&with_keyring)
        .arg(&exe)
        .args(args)
        .env(CHILD_FLAG, "1")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_child_passed("without a display", &no_display);

    // A display nobody looks at: the prompt waits forever, the timeout ends the wait.
    let with_display = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 640x480x24 -nolisten tcp", "bash"])
        .arg(&with_keyring)
        .arg(&exe)
        .args(args)
        .env(CHILD_FLAG, "1")
        .output()
        .unwrap();
    assert_child_passed("under Xvfb", &with_display);
}

fn assert_child_passed(case: &str, output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{case}: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn check_inside_a_private_locked_keyring() {
    let store = Arc::new(KeyringSecretStore::new("parley-tests-locked"));
    let origin = ApiOrigin::of_base_url("https://api.apimart.ai").unwrap();
    store
        .set(
            &origin.keychain_account(),
            &parley_claude::ApiKey::new("sk-locked-away"),
        )
        .unwrap();
    let locked = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .status()
        .unwrap();
    assert!(locked.success(), "could not lock the test keyring");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let keys = Keys::new(store, None).with_timeout(TIMEOUT);
    let started = Instant::now();
    let error = runtime
        .block_on(keys.resolve(&origin))
        .expect_err("a locked keyring gives no key");
    let waited = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::KeychainUnavailable, "{error}");
    assert!(
        waited < TIMEOUT + Duration::from_secs(2),
        "gave up after {waited:?}, not within the timeout"
    );
    // A stuck prompt may keep its thread: leave without waiting for it.
    runtime.shutdown_background();
}
