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
    /// A content block ended; `block` is its final form (a tool call's input parsed). When
    /// `text_streamed`, the block's text (a text block's `text`, a thinking block's `thinking`)
    /// is left empty: the deltas since its `BlockStart` carried every character of it, and the
    /// UI keeps what they built instead of receiving it again.
    BlockStop {
        message_id: String,
        index: u32,
        #[ts(type = "ContentBlock")]
        block: ContentBlock,
        text_streamed: bool,
    },
    /// Token counts so far.
    Usage {
        message_id: String,
        usage: UsageView,
    },
    /// The reply ended: `message.status` is `done`, `error` or `cancelled`. When
    /// `blocks_streamed`, `message.blocks` is empty: this reply's events, from its first
    /// `BlockStart`, built exactly the stored blocks, so a 100k-token reply is not sent a
    /// second time (see [`replay_finished`] for the rule the UI follows).
    Finished {
        #[ts(type = "MessageView")]
        message: Box<MessageView>,
        blocks_streamed: bool,
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
#[cfg(any(test, feature = "test-support"))]
#[derive(Debug, Default, Clone)]
pub struct CollectingSink {
    events: std::sync::Arc<std::sync::Mutex<Vec<ChatEvent>>>,
    notify: std::sync::Arc<tokio::sync::Notify>,
}

#[cfg(any(test, feature = "test-support"))]
impl CollectingSink {
    pub fn events(&self) -> Vec<ChatEvent> {
        self.events
            .lock()
            .map(|events| events.clone())
            .unwrap_or_default()
    }

    /// The messages of the `Finished` events so far, whole: blocks that were not sent again
    /// are rebuilt from the events before, as the UI does ([`replay_finished`]).
    pub fn finished_messages(&self) -> Vec<MessageView> {
        replay_finished(&self.events())
    }

    /// Waits until a `Finished` event has arrived and returns its message, whole.
    pub async fn finished(&self) -> MessageView {
        loop {
            let notified = self.notify.notified();
            if let Some(message) = self.finished_messages().into_iter().next() {
                return message;
            }
            notified.await;
        }
    }
}

#[cfg(any(test, feature = "test-support"))]
impl ChatEventSink for CollectingSink {
    fn send(&self, event: ChatEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
        self.notify.notify_waiters();
    }
}

/// The messages of the `Finished` events in `events`, with the blocks each one left out
/// rebuilt from the events before it, the way the UI applies them (`ui/src/lib/chatEvents.ts`):
/// a `BlockStart` sets its block (unless it carries nothing and a block of its type is there:
/// a continued reply), deltas append, a `BlockStop` replaces its block, keeping the text built
/// so far when `text_streamed`. Tests use it to check that nothing the UI needs was left out.
#[cfg(any(test, feature = "test-support"))]
pub fn replay_finished(events: &[ChatEvent]) -> Vec<MessageView> {
    let mut blocks: std::collections::HashMap<&str, Vec<ContentBlock>> = Default::default();
    let mut finished = Vec::new();
    let slot = |blocks: &mut Vec<ContentBlock>, index: u32| -> usize {
        let index = index as usize;
        if blocks.len() <= index {
            blocks.resize(index + 1, ContentBlock::text(""));
        }
        index
    };
    for event in events {
        match event {
            ChatEvent::BlockStart {
                message_id,
                index,
                block,
            } => {
                let blocks = blocks.entry(message_id).or_default();
                let existed = (*index as usize) < blocks.len();
                let at = slot(blocks, *index);
                let carries_nothing = matches!(block, ContentBlock::Text { text, .. } if text.is_empty())
                    || matches!(block, ContentBlock::Thinking { thinking, .. } if thinking.is_empty());
                let same_type =
                    std::mem::discriminant(&blocks[at]) == std::mem::discriminant(block);
                if !(existed && carries_nothing && same_type) {
                    blocks[at] = block.clone();
                }
            }
            ChatEvent::TextDelta {
                message_id,
                index,
                text,
            }
            | ChatEvent::ThinkingDelta {
                message_id,
                index,
                text,
            } => {
                let blocks = blocks.entry(message_id).or_default();
                let at = slot(blocks, *index);
                match &mut blocks[at] {
                    ContentBlock::Text { text: built, .. }
                    | ContentBlock::Thinking {
                        thinking: built, ..
                    } => built.push_str(text),
                    _ => {}
                }
            }
            ChatEvent::BlockStop {
                message_id,
                index,
                block,
                text_streamed,
            } => {
                let blocks = blocks.entry(message_id).or_default();
                let at = slot(blocks, *index);
                let mut block = block.clone();
                if *text_streamed {
                    match (&mut block, &blocks[at]) {
                        (
                            ContentBlock::Text { text, .. },
                            ContentBlock::Text { text: built, .. },
                        )
                        | (
                            ContentBlock::Thinking { thinking: text, .. },
                            ContentBlock::Thinking {
                                thinking: built, ..
                            },
                        ) => text.clone_from(built),
                        _ => {}
                    }
                }
                blocks[at] = block;
            }
            ChatEvent::Finished {
                message,
                blocks_streamed,
            } => {
                let mut message = (**message).clone();
                if *blocks_streamed {
                    message.blocks = blocks.get(message.id.as_str()).cloned().unwrap_or_default();
                }
                finished.push(message);
            }
            _ => {}
        }
    }
    finished
}
