//! The images gallery: one command, one core call (docs/ipc-contract.md, "Images gallery").

use parley_core::{GalleryCursor, GalleryPage, Parley};
use tauri::State;

use super::CommandResult;

#[tauri::command]
pub async fn list_gallery(
    parley: State<'_, Parley>,
    before: Option<GalleryCursor>,
    limit: u32,
) -> CommandResult<GalleryPage> {
    Ok(parley.list_gallery(before, limit).await?)
}
