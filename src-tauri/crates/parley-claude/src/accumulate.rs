//! Folding a stream of events into the final message, and the reverse for non-streamed replies.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ClaudeError;
use crate::types::{
    ContentBlock, ContentDelta, DeltaUsage, MessageDeltaBody, MessageResponse, Role, StreamEvent,
    Usage,
};

/// What one event changed, so the caller can forward exactly that to the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum AppliedDelta {
    /// A content block began; `block` is its initial state (empty text, `{}` tool input).
    BlockStarted {
        /// Position of the block.
        index: usize,
        /// Initial state of the block.
        block: ContentBlock,
    },
    /// Text was appended to a text block.
    Text {
        /// Position of the block.
        index: usize,
        /// The appended text.
        text: String,
    },
    /// Thinking text was appended to a thinking block.
    Thinking {
        /// Position of the block.
        index: usize,
        /// The appended thinking text.
        text: String,
    },
    /// A piece of a tool call's JSON input arrived (not parseable on its own).
    ToolInput {
        /// Position of the block.
        index: usize,
        /// The piece of JSON text.
        partial_json: String,
    },
    /// A thinking block's signature arrived (nothing to show, but the block changed).
    Signature {
        /// Position of the block.
        index: usize,
    },
    /// A citation was attached to a text block.
    Citation {
        /// Position of the block.
        index: usize,
        /// The citation object.
        citation: Value,
    },
    /// A content block is complete; `block` is final, with tool input parsed.
    BlockStopped {
        /// Position of the block.
        index: usize,
        /// The final block.
        block: ContentBlock,
    },
    /// Token counts changed (`message_start`, `message_delta`); this is the new cumulative total.
    Usage(Usage),
    /// `message_stop`: the reply is complete.
    MessageStopped,
    /// Nothing visible changed (ping, unknown event or delta type).
    Nothing,
}

/// One content block being received.
#[derive(Debug, Clone)]
struct BlockState {
    block: ContentBlock,
    /// Concatenated `input_json_delta` pieces; `None` until the first piece.
    partial_json: Option<String>,
    stopped: bool,
}

/// Folds streamed events into the reply; a snapshot of the content is available at any point, so
/// an interrupted or cancelled reply can still be saved.
#[derive(Debug, Clone, Default)]
pub struct MessageAccumulator {
    message_id: Option<String>,
    model: Option<String>,
    blocks: BTreeMap<usize, BlockState>,
    usage: Usage,
    stop_reason: Option<String>,
    stop_sequence: Option<String>,
    has_output: bool,
    complete: bool,
}

impl MessageAccumulator {
    /// An accumulator for a reply that has not started yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one event. Events that contradict the protocol (a delta for a block that never
    /// started, a delta of the wrong type, tool input that is not JSON) are `BadResponse` errors;
    /// an `error` event becomes the error it describes.
    pub fn apply(&mut self, event: &StreamEvent) -> Result<AppliedDelta, ClaudeError> {
        match event {
            StreamEvent::MessageStart { message } => {
                self.message_id = Some(message.id.clone()).filter(|id| !id.is_empty());
                self.model = Some(message.model.clone()).filter(|model| !model.is_empty());
                self.usage = message.usage;
                if message.stop_reason.is_some() {
                    self.stop_reason.clone_from(&message.stop_reason);
                }
                // The API sends empty content here; a gateway that includes content gets it kept.
                for (index, block) in message.content.iter().enumerate() {
                    self.has_output = true;
                    self.blocks.insert(
                        index,
                        BlockState {
                            block: block.clone(),
                            partial_json: None,
                            stopped: true,
                        },
                    );
                }
                Ok(AppliedDelta::Usage(self.usage))
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                if self.blocks.contains_key(index) {
                    return Err(protocol(format!("content block {index} started twice")));
                }
                self.has_output = true;
                self.blocks.insert(
                    *index,
                    BlockState {
                        block: content_block.clone(),
                        partial_json: None,
                        stopped: false,
                    },
                );
                Ok(AppliedDelta::BlockStarted {
                    index: *index,
                    block: content_block.clone(),
                })
            }
            StreamEvent::ContentBlockDelta { index, delta } => self.apply_delta(*index, delta),
            StreamEvent::ContentBlockStop { index } => self.stop_block(*index),
            StreamEvent::MessageDelta { delta, usage } => {
                Ok(self.apply_message_delta(delta, usage))
            }
            StreamEvent::MessageStop => {
                self.complete = true;
                Ok(AppliedDelta::MessageStopped)
            }
            StreamEvent::Error { error } => Err(ClaudeError::from_stream_error(error, None)),
            StreamEvent::Ping | StreamEvent::Unknown => Ok(AppliedDelta::Nothing),
        }
    }

    fn apply_delta(
        &mut self,
        index: usize,
        delta: &ContentDelta,
    ) -> Result<AppliedDelta, ClaudeError> {
        let state = self.blocks.get_mut(&index).ok_or_else(|| {
            protocol(format!(
                "a delta arrived for content block {index}, which never started"
            ))
        })?;
        if state.stopped {
            return Err(protocol(format!(
                "a delta arrived for content block {index} after it stopped"
            )));
        }
        let applied = match (&mut state.block, delta) {
            (ContentBlock::Text { text, .. }, ContentDelta::TextDelta { text: piece }) => {
                text.push_str(piece);
                AppliedDelta::Text {
                    index,
                    text: piece.clone(),
                }
            }
            (ContentBlock::Text { citations, .. }, ContentDelta::CitationsDelta { citation }) => {
                citations
                    .get_or_insert_with(Vec::new)
                    .push(citation.clone());
                AppliedDelta::Citation {
                    index,
                    citation: citation.clone(),
                }
            }
            (
                ContentBlock::Thinking { thinking, .. },
                ContentDelta::ThinkingDelta { thinking: piece },
            ) => {
                thinking.push_str(piece);
                AppliedDelta::Thinking {
                    index,
                    text: piece.clone(),
                }
            }
            (
                ContentBlock::Thinking { signature, .. },
                ContentDelta::SignatureDelta { signature: piece },
            ) => {
                signature.push_str(piece);
                AppliedDelta::Signature { index }
            }
            // Server tools (`server_tool_use`, ...) are unknown blocks that stream their input the
            // same way as `tool_use`.
            (
                ContentBlock::ToolUse { .. } | ContentBlock::Unknown(Value::Object(_)),
                ContentDelta::InputJsonDelta { partial_json },
            ) => {
                state
                    .partial_json
                    .get_or_insert_with(String::new)
                    .push_str(partial_json);
                AppliedDelta::ToolInput {
                    index,
                    partial_json: partial_json.clone(),
                }
            }
            // A delta type added to the API later: nothing this crate can show.
            (_, ContentDelta::Unknown) => AppliedDelta::Nothing,
            (block, delta) => {
                return Err(protocol(format!(
                    "a {} delta arrived for content block {index}, which is a {} block",
                    delta_name(delta),
                    block.type_name()
                )));
            }
        };
        self.has_output = true;
        Ok(applied)
    }

    fn stop_block(&mut self, index: usize) -> Result<AppliedDelta, ClaudeError> {
        let state = self.blocks.get_mut(&index).ok_or_else(|| {
            protocol(format!(
                "content block {index} stopped without having started"
            ))
        })?;
        if state.stopped {
            return Ok(AppliedDelta::Nothing);
        }
        if let Some(json) = &state.partial_json {
            let input = parse_tool_input(json).map_err(|err| {
                protocol(format!(
                    "the input of tool call {index} is not valid JSON ({err})"
                ))
            })?;
            set_input(&mut state.block, input);
        }
        state.stopped = true;
        Ok(AppliedDelta::BlockStopped {
            index,
            block: state.block.clone(),
        })
    }

    fn apply_message_delta(
        &mut self,
        delta: &MessageDeltaBody,
        usage: &Option<DeltaUsage>,
    ) -> AppliedDelta {
        if delta.stop_reason.is_some() {
            self.stop_reason.clone_from(&delta.stop_reason);
        }
        if delta.stop_sequence.is_some() {
            self.stop_sequence.clone_from(&delta.stop_sequence);
        }
        if let Some(usage) = usage {
            self.usage.merge(usage);
        }
        AppliedDelta::Usage(self.usage)
    }

    /// The content so far, in block order. Usable mid-stream: a tool call whose input is still
    /// arriving shows the input parsed so far if it happens to be complete JSON, else `{}` (see
    /// [`MessageAccumulator::partial_json`] for the raw text).
    pub fn content(&self) -> Vec<ContentBlock> {
        self.blocks
            .values()
            .map(|state| match (&state.partial_json, state.stopped) {
                (Some(json), false) => {
                    let mut block = state.block.clone();
                    set_input(
                        &mut block,
                        parse_tool_input(json).unwrap_or_else(|_| empty_object()),
                    );
                    block
                }
                _ => state.block.clone(),
            })
            .collect()
    }

    /// The raw concatenated `partial_json` of the tool call at `index`, if any arrived.
    pub fn partial_json(&self, index: usize) -> Option<&str> {
        self.blocks.get(&index)?.partial_json.as_deref()
    }

    /// The reply as a complete message (with whatever arrived, if the stream did not finish).
    pub fn message(&self) -> MessageResponse {
        MessageResponse {
            id: self.message_id.clone().unwrap_or_default(),
            model: self.model.clone().unwrap_or_default(),
            role: Role::Assistant,
            content: self.content(),
            stop_reason: self.stop_reason.clone(),
            stop_sequence: self.stop_sequence.clone(),
            usage: self.usage,
        }
    }

    /// True once any content block started or any delta arrived: from then on the user may have
    /// seen part of the reply, so it must not be retried silently.
    pub fn has_output(&self) -> bool {
        self.has_output
    }

    /// True once `message_stop` arrived.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Token counts: from `message_start`, updated by each `message_delta`'s cumulative counts.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// Why generation stopped (`end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, ...).
    pub fn stop_reason(&self) -> Option<&str> {
        self.stop_reason.as_deref()
    }

    /// The stop sequence that ended the reply.
    pub fn stop_sequence(&self) -> Option<&str> {
        self.stop_sequence.as_deref()
    }

    /// The message id from `message_start`.
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// The model that answered, from `message_start`.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The text of all text blocks so far.
    pub fn plain_text(&self) -> String {
        self.blocks
            .values()
            .filter_map(|state| match &state.block {
                ContentBlock::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// The events a streamed reply of `message` would have produced.
///
/// Used when a gateway ignores `stream: true` and answers with plain JSON, so callers handle one
/// shape of reply; a mock server can use it to stream any message.
pub fn message_to_events(message: &MessageResponse) -> Vec<StreamEvent> {
    let mut events = Vec::with_capacity(message.content.len() * 3 + 3);
    events.push(StreamEvent::MessageStart {
        message: MessageResponse {
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: Usage {
                output_tokens: 0,
                ..message.usage
            },
            ..message.clone()
        },
    });
    for (index, block) in message.content.iter().enumerate() {
        let (start, deltas) = split_block(block);
        events.push(StreamEvent::ContentBlockStart {
            index,
            content_block: start,
        });
        events.extend(
            deltas
                .into_iter()
                .map(|delta| StreamEvent::ContentBlockDelta { index, delta }),
        );
        events.push(StreamEvent::ContentBlockStop { index });
    }
    events.push(StreamEvent::MessageDelta {
        delta: MessageDeltaBody {
            stop_reason: message.stop_reason.clone(),
            stop_sequence: message.stop_sequence.clone(),
        },
        usage: Some(DeltaUsage {
            input_tokens: Some(message.usage.input_tokens),
            output_tokens: Some(message.usage.output_tokens),
            cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
            cache_read_input_tokens: message.usage.cache_read_input_tokens,
        }),
    });
    events.push(StreamEvent::MessageStop);
    events
}

/// A block's initial state as `content_block_start` sends it, plus the deltas that complete it.
fn split_block(block: &ContentBlock) -> (ContentBlock, Vec<ContentDelta>) {
    match block {
        ContentBlock::Text { text, citations } => {
            let mut deltas: Vec<ContentDelta> = citations
                .iter()
                .flatten()
                .map(|citation| ContentDelta::CitationsDelta {
                    citation: citation.clone(),
                })
                .collect();
            if !text.is_empty() {
                deltas.push(ContentDelta::TextDelta { text: text.clone() });
            }
            let start = ContentBlock::Text {
                text: String::new(),
                citations: citations.as_ref().map(|_| Vec::new()),
            };
            (start, deltas)
        }
        ContentBlock::ToolUse { id, name, input } => {
            let start = ContentBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: empty_object(),
            };
            let deltas = vec![ContentDelta::InputJsonDelta {
                partial_json: input.to_string(),
            }];
            (start, deltas)
        }
        ContentBlock::Thinking {
            thinking,
            signature,
        } => {
            let start = ContentBlock::Thinking {
                thinking: String::new(),
                signature: String::new(),
            };
            let mut deltas = Vec::new();
            if !thinking.is_empty() {
                deltas.push(ContentDelta::ThinkingDelta {
                    thinking: thinking.clone(),
                });
            }
            if !signature.is_empty() {
                deltas.push(ContentDelta::SignatureDelta {
                    signature: signature.clone(),
                });
            }
            (start, deltas)
        }
        other => (other.clone(), Vec::new()),
    }
}

fn protocol(detail: String) -> ClaudeError {
    ClaudeError::bad_response(detail, None)
}

fn delta_name(delta: &ContentDelta) -> &'static str {
    match delta {
        ContentDelta::TextDelta { .. } => "text_delta",
        ContentDelta::InputJsonDelta { .. } => "input_json_delta",
        ContentDelta::ThinkingDelta { .. } => "thinking_delta",
        ContentDelta::SignatureDelta { .. } => "signature_delta",
        ContentDelta::CitationsDelta { .. } => "citations_delta",
        ContentDelta::Unknown => "unknown",
    }
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// Parses concatenated tool input; the API sends no pieces at all (or only whitespace) for a
/// tool that takes no arguments, which means `{}`.
fn parse_tool_input(json: &str) -> Result<Value, serde_json::Error> {
    if json.trim().is_empty() {
        Ok(empty_object())
    } else {
        serde_json::from_str(json)
    }
}

fn set_input(block: &mut ContentBlock, value: Value) {
    match block {
        ContentBlock::ToolUse { input, .. } => *input = value,
        ContentBlock::Unknown(Value::Object(object)) => {
            object.insert("input".to_owned(), value);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiErrorKind;
    use serde_json::json;

    fn is_protocol_error(err: &ClaudeError) -> bool {
        err.kind == ApiErrorKind::BadResponse
    }

    fn event(value: Value) -> StreamEvent {
        serde_json::from_value(value).expect("valid event")
    }

    fn apply_all(acc: &mut MessageAccumulator, events: &[StreamEvent]) -> Vec<AppliedDelta> {
        events
            .iter()
            .map(|ev| acc.apply(ev).expect("event applies"))
            .collect()
    }

    fn message_start() -> StreamEvent {
        event(json!({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "model": "claude-sonnet-4-5-20250929", "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 7}
        }}))
    }

    fn tool_stream(pieces: &[&str]) -> Vec<StreamEvent> {
        let mut events = vec![
            message_start(),
            event(json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}})),
        ];
        for piece in pieces {
            events.push(event(json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": piece}})));
        }
        events.push(event(json!({"type": "content_block_stop", "index": 0})));
        events
    }

    #[test]
    fn text_stream_accumulates_text_usage_and_stop_reason() {
        let events = [
            message_start(),
            event(
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            event(json!({"type": "ping"})),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ", 世界!"}}),
            ),
            event(json!({"type": "content_block_stop", "index": 0})),
            event(
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}}),
            ),
            event(json!({"type": "message_stop"})),
        ];
        let mut acc = MessageAccumulator::new();
        assert!(!acc.has_output());
        let applied = apply_all(&mut acc, &events);
        assert_eq!(
            applied[3],
            AppliedDelta::Text {
                index: 0,
                text: "Hello".into()
            }
        );
        assert_eq!(applied[2], AppliedDelta::Nothing, "ping changes nothing");
        assert_eq!(
            applied[5],
            AppliedDelta::BlockStopped {
                index: 0,
                block: ContentBlock::text("Hello, 世界!")
            }
        );
        assert!(acc.is_complete());
        assert!(acc.has_output());
        assert_eq!(acc.plain_text(), "Hello, 世界!");
        assert_eq!(acc.message_id(), Some("msg_1"));
        assert_eq!(acc.model(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(acc.stop_reason(), Some("end_turn"));
        assert_eq!(acc.stop_sequence(), None);
        assert_eq!(
            acc.usage(),
            Usage {
                input_tokens: 25,
                output_tokens: 15,
                cache_read_input_tokens: Some(7),
                cache_creation_input_tokens: None
            },
            "message_delta usage is cumulative and only overwrites what it reports"
        );
    }

    #[test]
    fn message_delta_usage_replaces_rather_than_adds() {
        let mut acc = MessageAccumulator::new();
        acc.apply(&message_start()).unwrap();
        for output in [5, 12, 40] {
            acc.apply(&event(
                json!({"type": "message_delta", "delta": {}, "usage": {"output_tokens": output}}),
            ))
            .unwrap();
        }
        let applied = acc
            .apply(&event(json!({"type": "message_delta", "delta": {"stop_reason": "stop_sequence", "stop_sequence": "END"},
                "usage": {"input_tokens": 30, "output_tokens": 41, "cache_creation_input_tokens": 3}})))
            .unwrap();
        let expected = Usage {
            input_tokens: 30,
            output_tokens: 41,
            cache_creation_input_tokens: Some(3),
            cache_read_input_tokens: Some(7),
        };
        assert_eq!(applied, AppliedDelta::Usage(expected));
        assert_eq!(acc.usage(), expected);
        assert_eq!(acc.stop_reason(), Some("stop_sequence"));
        assert_eq!(acc.stop_sequence(), Some("END"));
    }

    #[test]
    fn tool_input_split_anywhere_parses_at_block_stop() {
        let full = r#"{"location": "San Francisco, \"CA\"", "unit": "°C \u00e9 \\ \n", "days": [1, 2.5e3], "x": {"y": null}}"#;
        let expected: Value = serde_json::from_str(full).unwrap();
        let chars: Vec<(usize, char)> = full.char_indices().collect();
        // Every split point (on char boundaries, as the API's JSON text is UTF-8), into two and
        // three pieces, including inside strings and escape sequences.
        for &(a, _) in &chars {
            for &(b, _) in chars.iter().filter(|(b, _)| *b >= a).step_by(3) {
                let pieces = [&full[..a], &full[a..b], &full[b..]];
                let mut acc = MessageAccumulator::new();
                let applied = apply_all(&mut acc, &tool_stream(&pieces));
                let AppliedDelta::BlockStopped {
                    block: ContentBlock::ToolUse { input, .. },
                    ..
                } = applied.last().unwrap()
                else {
                    panic!("last event must stop the tool block");
                };
                assert_eq!(input, &expected, "pieces {pieces:?}");
                assert_eq!(acc.partial_json(0), Some(full));
            }
        }
    }

    #[test]
    fn tool_input_mid_stream_is_empty_until_it_parses() {
        let mut acc = MessageAccumulator::new();
        let events = tool_stream(&[r#"{"city": "Pa"#, r#"ris"}"#]);
        apply_all(&mut acc, &events[..3]);
        let ContentBlock::ToolUse { input, .. } = &acc.content()[0] else {
            panic!("tool block")
        };
        assert_eq!(
            input,
            &json!({}),
            "incomplete JSON shows as an empty object"
        );
        assert_eq!(
            acc.partial_json(0),
            Some(r#"{"city": "Pa"#),
            "raw text stays available"
        );
        acc.apply(&events[3]).unwrap();
        let ContentBlock::ToolUse { input, .. } = &acc.content()[0] else {
            panic!("tool block")
        };
        assert_eq!(
            input,
            &json!({"city": "Paris"}),
            "complete JSON shows before the block stops"
        );
    }

    #[test]
    fn tool_without_input_deltas_keeps_its_start_input_and_empty_json_means_empty_object() {
        let mut acc = MessageAccumulator::new();
        let applied = apply_all(&mut acc, &tool_stream(&[]));
        let AppliedDelta::BlockStopped {
            block: ContentBlock::ToolUse { input, .. },
            ..
        } = applied.last().unwrap()
        else {
            panic!()
        };
        assert_eq!(input, &json!({}));

        let mut acc = MessageAccumulator::new();
        let applied = apply_all(&mut acc, &tool_stream(&["", "  "]));
        let AppliedDelta::BlockStopped {
            block: ContentBlock::ToolUse { input, .. },
            ..
        } = applied.last().unwrap()
        else {
            panic!()
        };
        assert_eq!(
            input,
            &json!({}),
            "an empty partial_json means no arguments"
        );
    }

    #[test]
    fn invalid_tool_json_is_a_bad_response() {
        let mut acc = MessageAccumulator::new();
        let events = tool_stream(&[r#"{"a": "#]);
        apply_all(&mut acc, &events[..events.len() - 1]);
        let err = acc.apply(events.last().unwrap()).unwrap_err();
        assert!(is_protocol_error(&err), "{err:?}");
        assert!(err.message.contains("not valid JSON"), "{}", err.message);
    }

    #[test]
    fn thinking_and_signature_deltas_concatenate() {
        let events = [
            message_start(),
            event(
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me "}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "think."}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQB"}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "Kx=="}}),
            ),
            event(json!({"type": "content_block_stop", "index": 0})),
            event(
                json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Answer"}}),
            ),
            event(json!({"type": "content_block_stop", "index": 1})),
            event(
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}),
            ),
            event(json!({"type": "message_stop"})),
        ];
        let mut acc = MessageAccumulator::new();
        let applied = apply_all(&mut acc, &events);
        assert_eq!(
            applied[2],
            AppliedDelta::Thinking {
                index: 0,
                text: "Let me ".into()
            }
        );
        assert_eq!(applied[4], AppliedDelta::Signature { index: 0 });
        assert_eq!(
            acc.content(),
            vec![
                ContentBlock::Thinking {
                    thinking: "Let me think.".into(),
                    signature: "EqQBKx==".into()
                },
                ContentBlock::text("Answer"),
            ]
        );
        assert_eq!(
            acc.plain_text(),
            "Answer",
            "thinking is not part of the plain text"
        );
    }

    #[test]
    fn citations_deltas_attach_to_the_text_block() {
        let citation = json!({"type": "char_location", "cited_text": "x", "document_index": 0});
        let events = [
            event(
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": "", "citations": []}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": citation}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}}),
            ),
        ];
        let mut acc = MessageAccumulator::new();
        apply_all(&mut acc, &events);
        assert_eq!(
            acc.content(),
            vec![ContentBlock::Text {
                text: "x".into(),
                citations: Some(vec![citation])
            }]
        );
    }

    #[test]
    fn unknown_block_types_are_kept_and_server_tool_input_is_parsed() {
        let events = [
            message_start(),
            event(json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}})),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"query\": \"rust\"}"}}),
            ),
            event(json!({"type": "content_block_stop", "index": 0})),
            event(json!({"type": "content_block_start", "index": 1,
                "content_block": {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [{"type": "web_search_result", "url": "https://x"}]}})),
            event(json!({"type": "content_block_stop", "index": 1})),
        ];
        let mut acc = MessageAccumulator::new();
        apply_all(&mut acc, &events);
        let content = serde_json::to_value(acc.content()).unwrap();
        assert_eq!(
            content,
            json!([
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "rust"}},
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [{"type": "web_search_result", "url": "https://x"}]}
            ])
        );
    }

    #[test]
    fn unknown_events_and_delta_types_are_ignored() {
        let mut acc = MessageAccumulator::new();
        acc.apply(&event(json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))).unwrap();
        assert_eq!(
            acc.apply(&event(json!({"type": "future_event", "foo": 1})))
                .unwrap(),
            AppliedDelta::Nothing
        );
        assert_eq!(
            acc.apply(&event(json!({"type": "content_block_delta", "index": 0, "delta": {"type": "future_delta"}}))).unwrap(),
            AppliedDelta::Nothing
        );
        assert_eq!(acc.content(), vec![ContentBlock::text("")]);
    }

    #[test]
    fn protocol_violations_are_bad_responses() {
        let text_start = event(
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        );
        let cases: Vec<Vec<StreamEvent>> = vec![
            vec![event(
                json!({"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta", "text": "x"}}),
            )],
            vec![event(json!({"type": "content_block_stop", "index": 0}))],
            vec![text_start.clone(), text_start.clone()],
            vec![
                text_start.clone(),
                event(
                    json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
                ),
            ],
            vec![
                text_start.clone(),
                event(
                    json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "x"}}),
                ),
            ],
            vec![
                text_start.clone(),
                event(json!({"type": "content_block_stop", "index": 0})),
                event(
                    json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "late"}}),
                ),
            ],
        ];
        for events in cases {
            let mut acc = MessageAccumulator::new();
            let (last, init) = events.split_last().unwrap();
            apply_all(&mut acc, init);
            let err = acc.apply(last).unwrap_err();
            assert!(is_protocol_error(&err), "{events:?} -> {err:?}");
        }
    }

    #[test]
    fn error_event_becomes_its_error() {
        let mut acc = MessageAccumulator::new();
        let err = acc
            .apply(&event(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})))
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::Overloaded);
    }

    #[test]
    fn interrupted_stream_keeps_partial_content() {
        let events = [
            message_start(),
            event(
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            event(
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Half a sen"}}),
            ),
        ];
        let mut acc = MessageAccumulator::new();
        apply_all(&mut acc, &events);
        assert!(!acc.is_complete());
        assert!(acc.has_output());
        assert_eq!(
            acc.message().content,
            vec![ContentBlock::text("Half a sen")]
        );
        assert_eq!(acc.message().stop_reason, None);
    }

    #[test]
    fn replayed_message_accumulates_back_to_the_same_message() {
        let message: MessageResponse = serde_json::from_value(json!({
            "id": "msg_2", "type": "message", "role": "assistant", "model": "claude-opus-4-1-20250805",
            "content": [
                {"type": "thinking", "thinking": "Hmm.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Let me check.", "citations": [{"type": "char_location"}]},
                {"type": "tool_use", "id": "toolu_9", "name": "lookup", "input": {"q": "ü \"x\""}},
                {"type": "mystery", "payload": [1]}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 100, "output_tokens": 50, "cache_creation_input_tokens": 10}
        }))
        .unwrap();
        let events = message_to_events(&message);
        assert!(
            matches!(events.first(), Some(StreamEvent::MessageStart { message }) if message.content.is_empty())
        );
        assert_eq!(events.last(), Some(&StreamEvent::MessageStop));
        let mut acc = MessageAccumulator::new();
        apply_all(&mut acc, &events);
        assert!(acc.is_complete());
        assert_eq!(acc.message(), message);
    }
}
