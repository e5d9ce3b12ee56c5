//! Chat commands. Replies stream over a `tauri::ipc::Channel` given by the UI; the command itself
//! returns as soon as the reply has started.

use std::sync::Arc;

use parley_core::tokens::{TokenCount, TokenCountRequest};
use parley_core::{ChatEvent, ChatEventSink, Parley, SendRequest, SendStarted};
use tauri::State;
use tauri::ipc::Channel;

use super::CommandResult;

/// Forwards a stream's events to the webview's channel.
struct ChannelSink(Channel<ChatEvent>);

impl ChatEventSink for ChannelSink {
    fn send(&self, event: ChatEvent) {
        // A closed channel means the webview went away (reloaded, closed); the reply keeps
        // streaming into the store, so the event is only worth a debug line.
        if let Err(error) = self.0.send(event) {
            tracing::debug!(%error, "a stream event found no webview");
        }
    }
}

pub(super) fn sink(channel: Channel<ChatEvent>) -> Arc<dyn ChatEventSink> {
    Arc::new(ChannelSink(channel))
}

#[tauri::command]
pub async fn send_message(
    parley: State<'_, Parley>,
    request: SendRequest,
    on_event: Channel<ChatEvent>,
) -> CommandResult<SendStarted> {
    Ok(parley.send_message(request, sink(on_event)).await?)
}

#[tauri::command]
pub async fn regenerate_reply(
    parley: State<'_, Parley>,
    message_id: String,
    on_event: Channel<ChatEvent>,
) -> CommandResult<SendStarted> {
    Ok(parley.regenerate_reply(&message_id, sink(on_event)).await?)
}

#[tauri::command]
pub async fn edit_and_resend(
    parley: State<'_, Parley>,
    message_id: String,
    text: String,
    on_event: Channel<ChatEvent>,
) -> CommandResult<SendStarted> {
    Ok(parley
        .edit_and_resend(&message_id, text, sink(on_event))
        .await?)
}

#[tauri::command]
pub fn cancel_stream(parley: State<'_, Parley>, message_id: String) {
    parley.cancel_stream(&message_id);
}

#[tauri::command]
pub async fn continue_reply(
    parley: State<'_, Parley>,
    message_id: String,
    on_event: Channel<ChatEvent>,
) -> CommandResult<SendStarted> {
    Ok(parley.continue_reply(&message_id, sink(on_event)).await?)
}

#[tauri::command]
pub async fn count_tokens(
    parley: State<'_, Parley>,
    request: TokenCountRequest,
) -> CommandResult<TokenCount> {
    Ok(parley.count_tokens(&request).await?)
}
