use parley_core::params::RequestParams;
use parley_core::spend::UsageTotals;
use parley_core::{BranchPage, ConversationMeta, ConversationView, Parley};
use tauri::State;

use super::CommandResult;

#[tauri::command]
pub async fn open_conversation(
    parley: State<'_, Parley>,
    id: String,
) -> CommandResult<ConversationView> {
    Ok(parley.open_conversation(&id).await?)
}

/// Up to `limit` messages of a branch before `message_id`, as the user scrolls up to them.
#[tauri::command]
pub async fn branch_before(
    parley: State<'_, Parley>,
    message_id: String,
    limit: u32,
) -> CommandResult<BranchPage> {
    Ok(parley.branch_before(&message_id, limit).await?)
}

#[tauri::command]
pub async fn update_conversation(
    parley: State<'_, Parley>,
    id: String,
    model: Option<String>,
    system_prompt: Option<String>,
) -> CommandResult<ConversationMeta> {
    Ok(parley
        .update_conversation(&id, model, system_prompt)
        .await?)
}

#[tauri::command]
pub async fn select_branch(
    parley: State<'_, Parley>,
    message_id: String,
) -> CommandResult<ConversationView> {
    Ok(parley.select_branch(&message_id).await?)
}

#[tauri::command]
pub async fn update_conversation_params(
    parley: State<'_, Parley>,
    id: String,
    params: RequestParams,
) -> CommandResult<ConversationMeta> {
    Ok(parley.update_conversation_params(&id, params).await?)
}

#[tauri::command]
pub async fn conversation_totals(
    parley: State<'_, Parley>,
    id: String,
) -> CommandResult<UsageTotals> {
    Ok(parley.conversation_totals(&id).await?)
}

/// The HTML the UI rendered for a long finished text in an earlier launch, as raw UTF-8 (an
/// `ArrayBuffer` in the webview, empty when there is none): a megabyte of HTML as a JSON string
/// would be escaped, sent and parsed twice over.
#[tauri::command]
pub async fn read_rendered(
    parley: State<'_, Parley>,
    key: String,
) -> CommandResult<tauri::ipc::Response> {
    let html = parley.read_rendered(&key).await.unwrap_or_default();
    Ok(tauri::ipc::Response::new(html.into_bytes()))
}

/// Keeps the UI's rendered HTML of a long finished text for the next launches.
#[tauri::command]
pub async fn write_rendered(
    parley: State<'_, Parley>,
    key: String,
    html: String,
) -> CommandResult<()> {
    parley.write_rendered(&key, html).await;
    Ok(())
}
