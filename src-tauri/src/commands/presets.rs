//! Presets: named bundles of model, system prompt and parameters.

use parley_core::Parley;
use parley_core::presets::{Preset, PresetDraft};
use tauri::State;

use super::CommandResult;

#[tauri::command]
pub async fn list_presets(parley: State<'_, Parley>) -> CommandResult<Vec<Preset>> {
    Ok(parley.list_presets().await?)
}

#[tauri::command]
pub async fn save_preset(parley: State<'_, Parley>, draft: PresetDraft) -> CommandResult<Preset> {
    Ok(parley.save_preset(draft).await?)
}

#[tauri::command]
pub async fn delete_preset(parley: State<'_, Parley>, id: String) -> CommandResult<Vec<Preset>> {
    Ok(parley.delete_preset(&id).await?)
}

#[tauri::command]
pub async fn set_default_preset(
    parley: State<'_, Parley>,
    id: Option<String>,
) -> CommandResult<Vec<Preset>> {
    Ok(parley.set_default_preset(id).await?)
}
