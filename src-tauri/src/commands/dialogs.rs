//! Native file dialogs (rfd; GTK on Linux), shared by every command that asks the user for a path.
//!
//! Why async, and never on the main thread: rfd's blocking dialogs post the dialog to the GTK main
//! context and then block the calling thread until it is answered. Called on the main thread, which
//! owns that context, nothing ever runs the dialog: the app hangs. The async dialogs are awaited on
//! a command's worker thread while Tauri's main loop shows and runs them.

use std::path::PathBuf;

/// A filter of the dialog: a label and the file extensions it shows (without the dot).
pub struct Filter<'a> {
    pub name: &'a str,
    pub extensions: &'a [&'a str],
}

/// Asks for one or more existing files; empty when the user cancels.
pub async fn pick_files(title: &str, filter: Filter<'_>) -> Vec<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(filter.name, filter.extensions)
        .pick_files()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|file| file.path().to_path_buf())
        .collect()
}

/// Asks for one existing file; `None` when the user cancels.
pub async fn pick_file(title: &str, filter: Filter<'_>) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(filter.name, filter.extensions)
        .pick_file()
        .await
        .map(|file| file.path().to_path_buf())
}

/// Asks where to save a new file, suggesting `file_name`; `None` when the user cancels.
pub async fn save_file(title: &str, file_name: &str, filter: Filter<'_>) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter(filter.name, filter.extensions)
        .save_file()
        .await
        .map(|file| file.path().to_path_buf())
}

/// Asks for a folder; `None` when the user cancels.
pub async fn pick_folder(title: &str) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .pick_folder()
        .await
        .map(|file| file.path().to_path_buf())
}
