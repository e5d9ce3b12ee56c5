//! Where Parley keeps its data.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};

/// `PARLEY_DATA_DIR` when set (tests and portable installs), else the OS app-data directory.
pub fn resolve<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir = match std::env::var_os("PARLEY_DATA_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => app.path().app_data_dir()?,
    };
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
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
