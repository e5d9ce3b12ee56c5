//! The history sidebar: listing, renaming, pinning, folders, the trash and search. One command
//! per row of the contract table (docs/ipc-contract.md), each one core call.

use parley_core::{ConversationSummary, ConversationView, Folder, HistoryIndex, Parley, SearchHit};
use tauri::State;

use super::CommandResult;

#[tauri::command]
pub async fn list_history(parley: State<'_, Parley>) -> CommandResult<HistoryIndex> {
    Ok(parley.list_history().await?)
}

#[tauri::command]
pub async fn conversation_summary(
    parley: State<'_, Parley>,
    id: String,
) -> CommandResult<ConversationSummary> {
    Ok(parley.conversation_summary(&id).await?)
}

#[tauri::command]
pub async fn rename_conversation(
    parley: State<'_, Parley>,
    id: String,
    title: String,
) -> CommandResult<ConversationSummary> {
    Ok(parley.rename_conversation(&id, &title).await?)
}

#[tauri::command]
pub async fn set_pinned(
    parley: State<'_, Parley>,
    id: String,
    pinned: bool,
) -> CommandResult<ConversationSummary> {
    Ok(parley.set_pinned(&id, pinned).await?)
}

#[tauri::command]
pub async fn create_folder(parley: State<'_, Parley>, name: String) -> CommandResult<Folder> {
    Ok(parley.create_folder(&name).await?)
}

#[tauri::command]
pub async fn rename_folder(
    parley: State<'_, Parley>,
    id: String,
    name: String,
) -> CommandResult<Folder> {
    Ok(parley.rename_folder(&id, &name).await?)
}

#[tauri::command]
pub async fn delete_folder(parley: State<'_, Parley>, id: String) -> CommandResult<()> {
    Ok(parley.delete_folder(&id).await?)
}

#[tauri::command]
pub async fn move_to_folder(
    parley: State<'_, Parley>,
    ids: Vec<String>,
    folder_id: Option<String>,
) -> CommandResult<()> {
    Ok(parley.move_to_folder(&ids, folder_id.as_deref()).await?)
}

#[tauri::command]
pub async fn trash_conversations(parley: State<'_, Parley>, ids: Vec<String>) -> CommandResult<()> {
    Ok(parley.trash_conversations(&ids).await?)
}

#[tauri::command]
pub async fn restore_conversations(
    parley: State<'_, Parley>,
    ids: Vec<String>,
) -> CommandResult<()> {
    Ok(parley.restore_conversations(&ids).await?)
}

#[tauri::command]
pub async fn purge_trash(parley: State<'_, Parley>) -> CommandResult<()> {
    Ok(parley.purge_trash().await?)
}

#[tauri::command]
pub async fn search_history(
    parley: State<'_, Parley>,
    query: String,
    limit: u32,
) -> CommandResult<Vec<SearchHit>> {
    Ok(parley.search_history(&query, limit).await?)
}

#[tauri::command]
pub async fn open_search_hit(
    parley: State<'_, Parley>,
    message_id: String,
) -> CommandResult<ConversationView> {
    Ok(parley.open_search_hit(&message_id).await?)
}
