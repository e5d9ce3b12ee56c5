//! Tool commands: MCP servers in settings, "always allow" decisions, and the user's part in a
//! tool round (decisions, typed results, resuming the loop).

use parley_core::tool_calls::Decision;
use parley_core::tools::{McpImportReport, McpServerDraft, McpServerView, ToolPermission};
use parley_core::{ChatEvent, Parley, SendStarted};
use tauri::State;
use tauri::ipc::Channel;

use super::CommandResult;
use super::chat::sink;

/// Starts the configured MCP servers; the UI calls it after its first paint.
#[tauri::command]
pub async fn start_mcp_servers(parley: State<'_, Parley>) -> CommandResult<()> {
    Ok(parley.start_mcp_servers().await?)
}

#[tauri::command]
pub async fn list_mcp_servers(parley: State<'_, Parley>) -> CommandResult<Vec<McpServerView>> {
    Ok(parley.list_mcp_servers().await?)
}

#[tauri::command]
pub async fn save_mcp_server(
    parley: State<'_, Parley>,
    draft: McpServerDraft,
) -> CommandResult<McpServerView> {
    Ok(parley.save_mcp_server(draft).await?)
}

#[tauri::command]
pub async fn delete_mcp_server(parley: State<'_, Parley>, server_id: String) -> CommandResult<()> {
    Ok(parley.delete_mcp_server(&server_id).await?)
}

#[tauri::command]
pub async fn import_mcp_servers(
    parley: State<'_, Parley>,
    document: String,
) -> CommandResult<McpImportReport> {
    Ok(parley.import_mcp_servers(&document).await?)
}

#[tauri::command]
pub async fn restart_mcp_server(parley: State<'_, Parley>, server_id: String) -> CommandResult<()> {
    Ok(parley.restart_mcp_server(&server_id).await?)
}

#[tauri::command]
pub async fn set_mcp_server_enabled(
    parley: State<'_, Parley>,
    server_id: String,
    enabled: bool,
) -> CommandResult<()> {
    Ok(parley.set_mcp_server_enabled(&server_id, enabled).await?)
}

#[tauri::command]
pub async fn set_mcp_tool_enabled(
    parley: State<'_, Parley>,
    server_id: String,
    tool_name: String,
    enabled: bool,
) -> CommandResult<()> {
    Ok(parley
        .set_mcp_tool_enabled(&server_id, &tool_name, enabled)
        .await?)
}

#[tauri::command]
pub async fn list_tool_permissions(
    parley: State<'_, Parley>,
) -> CommandResult<Vec<ToolPermission>> {
    Ok(parley.list_tool_permissions().await?)
}

#[tauri::command]
pub async fn revoke_tool_permission(
    parley: State<'_, Parley>,
    server_id: String,
    tool_name: String,
) -> CommandResult<()> {
    Ok(parley
        .revoke_tool_permission(&server_id, &tool_name)
        .await?)
}

#[tauri::command]
pub async fn decide_tool_call(
    parley: State<'_, Parley>,
    message_id: String,
    call_id: String,
    decision: Decision,
) -> CommandResult<()> {
    Ok(parley
        .decide_tool_call(&message_id, &call_id, decision)
        .await?)
}

#[tauri::command]
pub async fn submit_tool_result(
    parley: State<'_, Parley>,
    message_id: String,
    call_id: String,
    text: String,
    is_error: bool,
) -> CommandResult<()> {
    Ok(parley
        .submit_tool_result(&message_id, &call_id, text, is_error)
        .await?)
}

/// The rounds waiting or running now (as `toolCalls` events), for a conversation reopened
/// while its loop runs.
#[tauri::command]
pub fn live_tool_calls(parley: State<'_, Parley>) -> Vec<ChatEvent> {
    parley.live_tool_calls()
}

#[tauri::command]
pub async fn resume_tool_loop(
    parley: State<'_, Parley>,
    message_id: String,
    on_event: Channel<ChatEvent>,
) -> CommandResult<SendStarted> {
    Ok(parley.resume_tool_loop(&message_id, sink(on_event)).await?)
}
