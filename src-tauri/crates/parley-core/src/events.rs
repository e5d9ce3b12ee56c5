//! The events a streaming reply sends to the UI, and where they go.

use parley_claude::ContentBlock;
use serde::Serialize;
use ts_rs::TS;

use crate::error::ErrorPayload;
use crate::tool_calls::ToolCallView;
use crate::view::{MessageView, UsageView};

/// One step of a streaming reply. `src-tauri` sends these over a `tauri::ipc::Channel`; deltas
/// are coalesced before they are sent (see `stream.rs`) because delivery into the webview,
/// not Rust, is the cost per message.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ChatEvent {
    /// The request failed before any reply text and will be sent again after `delay_ms`.
    Retrying {
        message_id: String,
        attempt: u32,
        #[ts(type = "number")]
        delay_ms: u64,
        error: ErrorPayload,
    },
    /// A content block began.
    BlockStart {
        message_id: String,
        index: u32,
        #[ts(type = "ContentBlock")]
        block: ContentBlock,
    },
    /// Text appended to a text block.
    TextDelta {
        message_id: String,
        index: u32,
        text: String,
    },
    /// Text appended to a thinking block.
    ThinkingDelta {
        message_id: String,
        index: u32,
        text: String,
    },
    /// Raw JSON appended to a tool call's input.
    ToolInputDelta {
        message_id: String,
        index: u32,
        partial_json: String,
    },
    /// A content block ended; `block` is its final form (a tool call's input parsed).
    BlockStop {
        message_id: String,
        index: u32,
        #[ts(type = "ContentBlock")]
        block: ContentBlock,
    },
    /// Token counts so far.
    Usage {
        message_id: String,
        usage: UsageView,
    },
    /// The reply ended: `message.status` is `done`, `error` or `cancelled`.
    Finished {
        #[ts(type = "MessageView")]
        message: Box<MessageView>,
    },
    /// The tool calls of reply `message_id` and where each stands; sent again on every change
    /// (a decision, a call starting or ending). `awaiting` is true while one waits for the user.
    ToolCalls {
        message_id: String,
        conversation_id: String,
        #[ts(type = "ToolCallView[]")]
        calls: Vec<ToolCallView>,
        awaiting: bool,
    },
    /// A round's results, stored as the next user turn (`tool_result` blocks).
    ToolResults {
        #[ts(type = "MessageView")]
        message: Box<MessageView>,
    },
    /// The tool loop goes on: the events that follow stream this new reply.
    NextReply {
        #[ts(type = "MessageView")]
        message: Box<MessageView>,
    },
    /// The loop stopped after `rounds` rounds (the setting's cap) before running the calls of
    /// reply `message_id`; `resume_tool_loop` runs them and goes on.
    ToolLoopPaused { message_id: String, rounds: u32 },
    /// The conversation got its automatic title (after its first reply, after `finished`).
    TitleUpdated {
        conversation_id: String,
        title: String,
    },
}

/// Where a stream's events go. Sending never blocks and cannot fail: when the UI has gone away
/// the event is dropped, and the reply keeps streaming into the store regardless.
pub trait ChatEventSink: Send + Sync + 'static {
    fn send(&self, event: ChatEvent);
}

/// A sink that collects events, for tests and benchmarks.
#[derive(Debug, Default, Clone)]
pub struct CollectingSink {
    events: std::sync::Arc<std::sync::Mutex<Vec<ChatEvent>>>,
    notify: std::sync::Arc<tokio::sync::Notify>,
}

impl CollectingSink {
    pub fn events(&self) -> Vec<ChatEvent> {
        self.events
            .lock()
            .map(|events| events.clone())
            .unwrap_or_default()
    }

    /// Waits until a `Finished` event has arrived and returns its message.
    pub async fn finished(&self) -> MessageView {
        loop {
            let notified = self.notify.notified();
            if let Some(message) = self.events().into_iter().find_map(|event| match event {
                ChatEvent::Finished { message } => Some(*message),
                _ => None,
            }) {
                return message;
            }
            notified.await;
        }
    }
}

impl ChatEventSink for CollectingSink {
    fn send(&self, event: ChatEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
        self.notify.notify_waiters();
    }
}
