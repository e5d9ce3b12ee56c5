//! API keys cross the IPC boundary in one direction only: into the keychain. No command returns
//! a key; each names the base URL whose origin the key belongs to, and Rust derives the origin.

use parley_core::{KeyView, Parley};
use tauri::State;

use super::CommandResult;

#[tauri::command]
pub async fn api_key_status(parley: State<'_, Parley>, base_url: String) -> CommandResult<KeyView> {
    Ok(parley.api_key_status(&base_url).await?)
}

#[tauri::command]
pub async fn set_api_key(
    parley: State<'_, Parley>,
    base_url: String,
    key: String,
) -> CommandResult<KeyView> {
    Ok(parley.set_api_key(&base_url, key).await?)
}

#[tauri::command]
pub async fn clear_api_key(parley: State<'_, Parley>, base_url: String) -> CommandResult<KeyView> {
    Ok(parley.clear_api_key(&base_url).await?)
}
