//! Export and import of conversations: the native dialogs here, the work in
//! `parley_core::export` (path-based, tested without a dialog).

use std::sync::Arc;

use parley_core::{
    ExportFormat, ExportReport, ExportTarget, ImportReport, Parley, ProgressSink, TransferProgress,
};
use tauri::State;
use tauri::ipc::Channel;

use super::{CommandResult, dialogs};

/// Forwards progress to the webview's channel; a closed channel only stops the reports.
struct ChannelProgress(Channel<TransferProgress>);

impl ProgressSink for ChannelProgress {
    fn progress(&self, progress: TransferProgress) {
        let _ = self.0.send(progress);
    }
}

/// Exports `ids` (`null`: every conversation not in the trash) as JSON or Markdown to where the
/// user chooses: a save dialog for one file, a folder dialog for several conversations as
/// Markdown. `null` when the user cancels.
#[tauri::command]
pub async fn export_conversations(
    parley: State<'_, Parley>,
    ids: Option<Vec<String>>,
    format: ExportFormat,
    on_progress: Channel<TransferProgress>,
) -> CommandResult<Option<ExportReport>> {
    let ids = ids.as_deref();
    let chosen = match parley.export_target(ids, format).await? {
        ExportTarget::File { suggested_name } => {
            let filter = match format {
                ExportFormat::Json => dialogs::Filter {
                    name: "Parley export (JSON)",
                    extensions: &["json"],
                },
                ExportFormat::Markdown => dialogs::Filter {
                    name: "Markdown",
                    extensions: &["md"],
                },
            };
            dialogs::save_file("Export conversations", &suggested_name, filter)
                .await
                .map(|path| format.with_extension(path))
        }
        ExportTarget::Folder => dialogs::pick_folder("Export as Markdown: choose a folder").await,
    };
    let Some(path) = chosen else {
        return Ok(None);
    };
    let progress = Arc::new(ChannelProgress(on_progress));
    Ok(Some(
        parley.export_to_path(ids, format, &path, progress).await?,
    ))
}

/// Imports a Parley JSON export chosen in the open dialog; conversations already here are
/// skipped. `null` when the user cancels.
#[tauri::command]
pub async fn import_conversations(
    parley: State<'_, Parley>,
    on_progress: Channel<TransferProgress>,
) -> CommandResult<Option<ImportReport>> {
    let filter = dialogs::Filter {
        name: "Parley export (JSON)",
        extensions: &["json", "JSON"],
    };
    let Some(path) = dialogs::pick_file("Import conversations", filter).await else {
        return Ok(None);
    };
    let progress = Arc::new(ChannelProgress(on_progress));
    Ok(Some(parley.import_from_path(&path, progress).await?))
}
