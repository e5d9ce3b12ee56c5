//! What a stream sends the UI between its start and its end: deltas coalesced into few events,
//! block ends without the text their deltas carried.

use std::time::Duration;

use parley_claude::{AppliedDelta, ContentBlock};
use tokio::time::Instant;

use crate::events::{ChatEvent, ChatEventSink};
use crate::view::UsageView;

use super::StreamTuning;

/// Empties the text of a text or thinking block (what its deltas carried); false for any other
/// block, which is sent whole.
fn clear_streamed_text(block: &mut ContentBlock) -> bool {
    match block {
        ContentBlock::Text { text, .. } | ContentBlock::Thinking { thinking: text, .. } => {
            text.clear();
            true
        }
        _ => false,
    }
}

/// Coalesces consecutive deltas of one block into one event, sent when `coalesce_every` has
/// passed since the first waiting delta or `coalesce_bytes` are waiting.
pub(super) struct Outbox {
    message_id: String,
    events: Vec<ChatEvent>,
    waiting_bytes: usize,
    first_waiting: Option<Instant>,
    every: Duration,
    max_bytes: usize,
    /// A `BlockStop` leaves out the text its deltas carried (see [`ChatEvent::BlockStop`]):
    /// true unless the leg continues earlier content, whose joined block the UI holds only
    /// in part.
    omit_streamed_text: bool,
}

impl Outbox {
    pub(super) fn new(message_id: &str, tuning: &StreamTuning, omit_streamed_text: bool) -> Self {
        Self {
            message_id: message_id.to_owned(),
            events: Vec::new(),
            waiting_bytes: 0,
            first_waiting: None,
            every: tuning.coalesce_every,
            max_bytes: tuning.coalesce_bytes,
            omit_streamed_text,
        }
    }

    pub(super) fn push(&mut self, applied: AppliedDelta) {
        let id = self.message_id.clone();
        let event = match applied {
            AppliedDelta::Nothing
            | AppliedDelta::Signature { .. }
            | AppliedDelta::Citation { .. }
            | AppliedDelta::MessageStopped => return,
            AppliedDelta::BlockStarted { index, block } => ChatEvent::BlockStart {
                message_id: id,
                index: index as u32,
                block,
            },
            AppliedDelta::Text { index, text } => {
                return self.append(DeltaKind::Text, index, &text);
            }
            AppliedDelta::Thinking { index, text } => {
                return self.append(DeltaKind::Thinking, index, &text);
            }
            AppliedDelta::ToolInput {
                index,
                partial_json,
            } => {
                return self.append(DeltaKind::ToolInput, index, &partial_json);
            }
            AppliedDelta::BlockStopped { index, mut block } => {
                let text_streamed = self.omit_streamed_text && clear_streamed_text(&mut block);
                ChatEvent::BlockStop {
                    message_id: id,
                    index: index as u32,
                    block,
                    text_streamed,
                }
            }
            AppliedDelta::Usage(usage) => {
                // Only the newest counts matter: replace a waiting usage event.
                self.events
                    .retain(|e| !matches!(e, ChatEvent::Usage { .. }));
                ChatEvent::Usage {
                    message_id: id,
                    usage: UsageView::from(&usage),
                }
            }
        };
        self.enqueue(event, 0);
    }

    /// Appends `text` to the waiting delta of the same kind and block, or queues a new one.
    fn append(&mut self, kind: DeltaKind, index: usize, text: &str) {
        let index = index as u32;
        if let Some(last) = self.events.last_mut()
            && let Some((last_kind, last_index, buffer)) = delta_parts(last)
            && last_kind == kind
            && last_index == index
        {
            buffer.push_str(text);
            self.note_waiting(text.len());
            return;
        }
        let message_id = self.message_id.clone();
        let text = text.to_owned();
        let bytes = text.len();
        let event = match kind {
            DeltaKind::Text => ChatEvent::TextDelta {
                message_id,
                index,
                text,
            },
            DeltaKind::Thinking => ChatEvent::ThinkingDelta {
                message_id,
                index,
                text,
            },
            DeltaKind::ToolInput => ChatEvent::ToolInputDelta {
                message_id,
                index,
                partial_json: text,
            },
        };
        self.enqueue(event, bytes);
    }

    fn enqueue(&mut self, event: ChatEvent, bytes: usize) {
        self.events.push(event);
        self.note_waiting(bytes);
    }

    fn note_waiting(&mut self, bytes: usize) {
        self.waiting_bytes += bytes;
        self.first_waiting.get_or_insert_with(Instant::now);
    }

    pub(super) fn flush_at(&self) -> Option<Instant> {
        self.first_waiting.map(|first| first + self.every)
    }

    pub(super) fn due(&self) -> bool {
        self.waiting_bytes >= self.max_bytes
            || self
                .first_waiting
                .is_some_and(|first| first.elapsed() >= self.every)
    }

    pub(super) fn flush(&mut self, sink: &dyn ChatEventSink) {
        for event in self.events.drain(..) {
            sink.send(event);
        }
        self.waiting_bytes = 0;
        self.first_waiting = None;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeltaKind {
    Text,
    Thinking,
    ToolInput,
}

fn delta_parts(event: &mut ChatEvent) -> Option<(DeltaKind, u32, &mut String)> {
    match event {
        ChatEvent::TextDelta { index, text, .. } => Some((DeltaKind::Text, *index, text)),
        ChatEvent::ThinkingDelta { index, text, .. } => Some((DeltaKind::Thinking, *index, text)),
        ChatEvent::ToolInputDelta {
            index,
            partial_json,
            ..
        } => Some((DeltaKind::ToolInput, *index, partial_json)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::CollectingSink;

    fn outbox(omit_streamed_text: bool) -> Outbox {
        let tuning = StreamTuning {
            coalesce_every: Duration::from_secs(60),
            coalesce_bytes: 1 << 20,
            ..StreamTuning::default()
        };
        Outbox::new("r1", &tuning, omit_streamed_text)
    }

    fn sent(mut outbox: Outbox) -> Vec<ChatEvent> {
        let sink = CollectingSink::default();
        outbox.flush(&sink);
        sink.events()
    }

    fn text(index: usize, text: &str) -> AppliedDelta {
        AppliedDelta::Text {
            index,
            text: text.into(),
        }
    }

    #[test]
    fn consecutive_deltas_of_one_block_become_one_event_in_order() {
        let mut out = outbox(true);
        out.push(AppliedDelta::BlockStarted {
            index: 0,
            block: ContentBlock::text(""),
        });
        out.push(text(0, "Hel"));
        out.push(text(0, "lo"));
        out.push(AppliedDelta::Thinking {
            index: 1,
            text: "hm".into(),
        });
        out.push(text(0, "!"));
        let events = sent(out);
        let deltas: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::TextDelta { index, text, .. } => Some((*index, text.as_str())),
                ChatEvent::ThinkingDelta { index, text, .. } => Some((*index + 100, text.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(deltas, [(0, "Hello"), (101, "hm"), (0, "!")]);
        assert!(matches!(events[0], ChatEvent::BlockStart { .. }));
    }

    #[test]
    fn only_the_newest_usage_waits() {
        let mut out = outbox(true);
        for output_tokens in [1, 2, 3] {
            out.push(AppliedDelta::Usage(parley_claude::Usage {
                output_tokens,
                ..Default::default()
            }));
        }
        let events = sent(out);
        assert_eq!(events.len(), 1);
        let ChatEvent::Usage { usage, .. } = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(usage.output_tokens, 3);
    }

    #[test]
    fn a_block_end_leaves_out_streamed_text_only_when_asked() {
        let stop = |block: ContentBlock| AppliedDelta::BlockStopped { index: 0, block };
        let thinking = ContentBlock::Thinking {
            thinking: "long thoughts".into(),
            signature: "sig".into(),
        };
        let tool = ContentBlock::ToolUse {
            id: "t".into(),
            name: "f".into(),
            input: serde_json::json!({"a": 1}),
        };
        let mut out = outbox(true);
        out.push(stop(ContentBlock::text("all of it")));
        out.push(stop(thinking.clone()));
        out.push(stop(tool.clone()));
        let ends: Vec<_> = sent(out)
            .into_iter()
            .filter_map(|e| match e {
                ChatEvent::BlockStop {
                    block,
                    text_streamed,
                    ..
                } => Some((block, text_streamed)),
                _ => None,
            })
            .collect();
        assert_eq!(
            ends,
            [
                (ContentBlock::text(""), true),
                (
                    ContentBlock::Thinking {
                        thinking: String::new(),
                        signature: "sig".into()
                    },
                    true
                ),
                (tool, false),
            ],
            "the signature and the tool input come with the end; the text came in deltas"
        );

        let mut whole = outbox(false);
        whole.push(stop(thinking.clone()));
        let ends = sent(whole);
        assert!(
            matches!(&ends[0], ChatEvent::BlockStop { block, text_streamed: false, .. } if *block == thinking),
            "a continued reply's blocks go whole: {ends:?}"
        );
    }

    #[test]
    fn waiting_bytes_or_time_make_the_outbox_due() {
        let tuning = StreamTuning {
            coalesce_every: Duration::from_secs(60),
            coalesce_bytes: 8,
            ..StreamTuning::default()
        };
        let mut out = Outbox::new("r1", &tuning, true);
        assert!(!out.due() && out.flush_at().is_none(), "nothing waits");
        out.push(text(0, "1234"));
        assert!(!out.due());
        assert!(out.flush_at().is_some());
        out.push(text(0, "5678"));
        assert!(out.due(), "8 bytes wait");
        out.flush(&CollectingSink::default());
        assert!(!out.due() && out.flush_at().is_none(), "a flush empties it");
    }
}
