use parley_core::spend::SpendView;
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

/// Stores the custom proxy's password in the keychain (empty removes it). It never comes back.
#[tauri::command]
pub async fn set_proxy_password(parley: State<'_, Parley>, password: String) -> CommandResult<()> {
    Ok(parley.set_proxy_password(password).await?)
}

/// Settings → Network → Test connection, with the proxy as typed (not saved yet).
#[tauri::command]
pub async fn test_proxy(
    parley: State<'_, Parley>,
    proxy: parley_core::proxy::ProxySettings,
    password: Option<String>,
) -> CommandResult<ConnectionReport> {
    Ok(parley.test_proxy(proxy, password).await?)
}

/// Fetches the endpoint's models (`force`: even when the list is fresh) and returns the
/// settings view with them.
#[tauri::command]
pub async fn refresh_models(parley: State<'_, Parley>, force: bool) -> CommandResult<SettingsView> {
    parley.refresh_models(force).await?;
    Ok(parley.settings_view().await?)
}

#[tauri::command]
pub async fn spend_summary(
    parley: State<'_, Parley>,
    today_start_ms: i64,
    month_start_ms: i64,
) -> CommandResult<SpendView> {
    Ok(parley.spend_summary(today_start_ms, month_start_ms).await?)
}
