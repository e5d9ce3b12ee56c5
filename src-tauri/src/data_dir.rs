//! Where Parley keeps its data, and who else may see it.

use std::path::{Path, PathBuf};

use parley_core::{CoreError, ErrorKind, data_folder};
use tauri::{AppHandle, Manager, Runtime};

/// The bundle identifier in `tauri.conf.json` (a test keeps them equal). The single-instance
/// D-Bus name is made from it before the app's configuration is loaded.
pub const APP_IDENTIFIER: &str = "app.parley.desktop";

/// The environment variable that moves the data folder (tests and portable installs).
const DATA_DIR_VAR: &str = "PARLEY_DATA_DIR";

/// `PARLEY_DATA_DIR` when set, else the OS app-data directory; created owner-only (`0700`).
pub fn resolve<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir = match std::env::var_os(DATA_DIR_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => app.path().app_data_dir()?,
    };
    data_folder::create_private_dir_all(&dir)?;
    Ok(dir)
}

/// Where the webview keeps its own storage (localStorage: the UI language, the text zoom; its
/// caches) when `PARLEY_DATA_DIR` moves the data folder: inside it, so a moved folder (a portable
/// install, a test) carries everything Parley remembers and shares nothing with another. `None`
/// for the default folder, where WebKit's default place (beside it, under the app identifier)
/// keeps what earlier versions stored.
pub fn webview_dir(data_dir: &Path) -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_VAR)
        .filter(|dir| !dir.is_empty())
        .map(|_| data_dir.join("webview"))
}

/// From here on, everything the process creates (the database's `-wal` and `-shm`, images,
/// export files and their temporaries, WebKit's caches) is private to the user, whichever code
/// creates it. The core also sets `0600`/`0700` explicitly where it creates files; this covers
/// the rest.
pub fn restrict_umask() {
    #[cfg(unix)]
    // SAFETY: umask(2) cannot fail and touches no memory; it only sets the process's mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// The D-Bus id under which the single-instance plugin finds a running Parley: the bundle
/// identifier for the default data folder, and one per folder when `PARLEY_DATA_DIR` moves it,
/// so Parleys on different folders (portable installs, parallel tests) run side by side while
/// a second launch on the same folder is handed to the first. Two spellings of one folder that
/// canonicalisation cannot unify still meet at the folder's lock file.
pub fn instance_id() -> String {
    match std::env::var_os(DATA_DIR_VAR) {
        Some(dir) if !dir.is_empty() => instance_id_for(Some(Path::new(&dir))),
        _ => instance_id_for(None),
    }
}

fn instance_id_for(data_dir: Option<&Path>) -> String {
    let Some(dir) = data_dir else {
        return APP_IDENTIFIER.to_owned();
    };
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    // FNV-1a: stable across builds and Rust versions (std's hasher is not), so two Parley
    // binaries agree on the name. D-Bus name elements may not start with a digit.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in dir.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{APP_IDENTIFIER}.data_{hash:016x}")
}

/// What the user reads when the core cannot be opened in `data_dir`.
pub fn open_failure_message(data_dir: &Path, error: &CoreError) -> String {
    if error.kind() == ErrorKind::DataFolderInUse {
        // The core's message already names the folder and says what to do.
        error.to_string()
    } else {
        format!(
            "Parley could not open its database in {}:\n\n{error}",
            data_dir.display()
        )
    }
}

/// Tells the user about an error that stops the app: on stderr and in a native dialog.
pub fn report_fatal(message: &str) {
    eprintln!("{message}");
    if std::env::var_os("PARLEY_NO_DIALOGS").is_none() {
        rfd::MessageDialog::new()
            .set_level(rfd::MessageLevel::Error)
            .set_title("Parley cannot start")
            .set_description(message)
            .show();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identifier_is_the_one_in_tauri_conf() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        assert_eq!(
            config["identifier"], APP_IDENTIFIER,
            "the single-instance name must follow the bundle identifier"
        );
    }

    #[test]
    fn each_data_folder_gets_its_own_instance_name_and_spellings_of_one_folder_share_it() {
        let root = std::env::temp_dir().join(format!("parley-instance-{}", std::process::id()));
        let (a, b) = (root.join("a"), root.join("b"));
        std::fs::create_dir_all(a.join("x")).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        assert_eq!(instance_id_for(None), APP_IDENTIFIER);
        let id_a = instance_id_for(Some(&a));
        assert_ne!(id_a, instance_id_for(Some(&b)));
        assert_eq!(
            id_a,
            instance_id_for(Some(&a.join(".").join("x").join(".."))),
            "another spelling of the same folder is the same instance"
        );
        std::fs::remove_dir_all(&root).unwrap();
        // A valid D-Bus well-known name: elements of [A-Za-z0-9_-], none starting with a digit.
        for element in id_a.split('.') {
            assert!(!element.is_empty() && !element.starts_with(|c: char| c.is_ascii_digit()));
            assert!(
                element
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            );
        }
    }

    #[test]
    fn a_folder_in_use_is_reported_in_the_cores_words() {
        let error = CoreError::DataFolderInUse {
            folder: PathBuf::from("/data/parley"),
            holder: Some(42),
        };
        let message = open_failure_message(Path::new("/data/parley"), &error);
        assert!(message.contains("Another Parley (process 42)"), "{message}");
        assert!(
            !message.contains("could not open its database"),
            "{message}"
        );
    }
}
