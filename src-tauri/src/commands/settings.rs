use parley_core::{ConnectionReport, Parley, Settings, SettingsView};
use tauri::State;

use super::CommandResult;

#[tauri::command]
pub async fn get_settings(parley: State<'_, Parley>) -> CommandResult<SettingsView> {
    Ok(parley.settings_view().await?)
}

#[tauri::command]
pub async fn save_settings(
    parley: State<'_, Parley>,
    settings: Settings,
) -> CommandResult<SettingsView> {
    Ok(parley.save_settings(settings).await?)
}

#[tauri::command]
pub async fn test_connection(parley: State<'_, Parley>) -> CommandResult<ConnectionReport> {
    Ok(parley.test_connection().await?)
}
