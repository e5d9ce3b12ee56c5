//! The API key crosses the IPC boundary in one direction only: into the keychain. No command
//! returns it.

use parley_core::{KeyStatus, Parley};
use tauri::State;

use super::CommandResult;

#[tauri::command]
pub async fn set_api_key(parley: State<'_, Parley>, key: String) -> CommandResult<KeyStatus> {
    Ok(parley.set_api_key(key).await?)
}

#[tauri::command]
pub async fn clear_api_key(parley: State<'_, Parley>) -> CommandResult<KeyStatus> {
    Ok(parley.clear_api_key().await?)
}
