//! A reply that continues text it already has: the user's prefill, the reply cut at
//! `max_tokens` that the user asked to Continue, or a `pause_turn` that Parley continues by
//! itself. The API streams only the new part; this joins it to the base so the stored reply,
//! the UI's events and the token counts read as one message.
//!
//! Joining: when the base ends with a text block and the new part starts with one, the new
//! text is appended to that block (the API continues the prefill's last text), so new block
//! `0` is base block `len - 1` and new block `i` is base block `len - 1 + i`; otherwise new
//! blocks follow the base's. Token counts add up: each request was paid for.

use parley_claude::{AppliedDelta, ContentBlock, Usage};

#[derive(Debug, Clone, Default)]
pub(crate) struct Continuation {
    base: Vec<ContentBlock>,
    base_usage: Option<Usage>,
    /// Whether the new part's first block (a text) was appended to the base's last text.
    joined: bool,
}

impl Continuation {
    /// Continues `base`, which already cost `base_usage`. Trailing whitespace of its last text
    /// is dropped: the API refuses it in the request's last turn, and the model's continuation
    /// brings its own.
    pub(crate) fn after(mut base: Vec<ContentBlock>, base_usage: Option<Usage>) -> Self {
        if let Some(ContentBlock::Text { text, .. }) = base.last_mut() {
            text.truncate(text.trim_end().len());
        }
        Self {
            base,
            base_usage,
            joined: false,
        }
    }

    /// The same base followed by what the last leg produced: the next leg's base (after a
    /// `pause_turn`).
    pub(crate) fn extended(&self, new: Vec<ContentBlock>, new_usage: Option<Usage>) -> Self {
        Self::after(self.content(new), self.usage(new_usage))
    }

    /// Whether the reply starts from earlier content (a prefill, a continued reply, the legs
    /// before a `pause_turn`): then the UI's blocks are not only what this leg streamed.
    pub(crate) fn has_base(&self) -> bool {
        !self.base.is_empty()
    }

    fn base_ends_with_text(&self) -> bool {
        matches!(self.base.last(), Some(ContentBlock::Text { .. }))
    }

    fn index(&self, new_index: usize) -> usize {
        if self.joined {
            self.base.len() - 1 + new_index
        } else {
            self.base.len() + new_index
        }
    }

    /// `applied` as the UI must see it: indices after the base's blocks, the joined block's
    /// start dropped (the UI shows it already) and its end carrying the whole joined block,
    /// token counts including the base's.
    pub(crate) fn remap(&mut self, applied: AppliedDelta) -> AppliedDelta {
        if self.base.is_empty() {
            return applied;
        }
        match applied {
            AppliedDelta::BlockStarted { index, block } => {
                if index == 0 && self.base_ends_with_text() {
                    if matches!(block, ContentBlock::Text { .. }) {
                        self.joined = true;
                        return AppliedDelta::Nothing;
                    }
                    self.joined = false;
                }
                AppliedDelta::BlockStarted {
                    index: self.index(index),
                    block,
                }
            }
            AppliedDelta::BlockStopped { index, block } => {
                let block = if index == 0 && self.joined {
                    join_text(self.base.last(), block)
                } else {
                    block
                };
                AppliedDelta::BlockStopped {
                    index: self.index(index),
                    block,
                }
            }
            AppliedDelta::Text { index, text } => AppliedDelta::Text {
                index: self.index(index),
                text,
            },
            AppliedDelta::Thinking { index, text } => AppliedDelta::Thinking {
                index: self.index(index),
                text,
            },
            AppliedDelta::ToolInput {
                index,
                partial_json,
            } => AppliedDelta::ToolInput {
                index: self.index(index),
                partial_json,
            },
            AppliedDelta::Signature { index } => AppliedDelta::Signature {
                index: self.index(index),
            },
            AppliedDelta::Citation { index, citation } => AppliedDelta::Citation {
                index: self.index(index),
                citation,
            },
            AppliedDelta::Usage(usage) => AppliedDelta::Usage(add(self.base_usage, usage)),
            other @ (AppliedDelta::MessageStopped | AppliedDelta::Nothing) => other,
        }
    }

    /// The whole reply: the base, then `new` (the last leg's content), joined.
    pub(crate) fn content(&self, new: Vec<ContentBlock>) -> Vec<ContentBlock> {
        let mut content = self.base.clone();
        let mut new = new.into_iter().peekable();
        if let (Some(ContentBlock::Text { .. }), Some(ContentBlock::Text { .. })) =
            (content.last(), new.peek())
            && let Some(first) = new.next()
            && let Some(last) = content.pop()
        {
            content.push(join_text(Some(&last), first));
        }
        content.extend(new);
        content
    }

    /// The token counts of every leg; `None` when no leg reported any.
    pub(crate) fn usage(&self, new: Option<Usage>) -> Option<Usage> {
        match (self.base_usage, new) {
            (None, new) => new,
            (Some(base), None) => Some(base),
            (Some(base), Some(new)) => Some(add(Some(base), new)),
        }
    }
}

fn join_text(base_last: Option<&ContentBlock>, new: ContentBlock) -> ContentBlock {
    match (base_last, new) {
        (
            Some(ContentBlock::Text {
                text: before,
                citations,
            }),
            ContentBlock::Text { text, .. },
        ) => ContentBlock::Text {
            text: format!("{before}{text}"),
            citations: citations.clone(),
        },
        (_, new) => new,
    }
}

fn add(base: Option<Usage>, new: Usage) -> Usage {
    let Some(base) = base else {
        return new;
    };
    let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    Usage {
        input_tokens: base.input_tokens + new.input_tokens,
        output_tokens: base.output_tokens + new.output_tokens,
        cache_creation_input_tokens: sum(
            base.cache_creation_input_tokens,
            new.cache_creation_input_tokens,
        ),
        cache_read_input_tokens: sum(base.cache_read_input_tokens, new.cache_read_input_tokens),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> ContentBlock {
        ContentBlock::text(t)
    }

    fn usage(input: u64, output: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            ..Usage::default()
        }
    }

    #[test]
    fn no_base_changes_nothing() {
        let mut none = Continuation::default();
        let started = AppliedDelta::BlockStarted {
            index: 0,
            block: text(""),
        };
        assert_eq!(none.remap(started.clone()), started);
        assert_eq!(none.content(vec![text("a")]), vec![text("a")]);
        assert_eq!(none.usage(None), None);
    }

    #[test]
    fn new_text_appends_to_the_base_text_and_reads_as_one_reply() {
        let thinking = ContentBlock::Thinking {
            thinking: "t".into(),
            signature: "s".into(),
        };
        let mut continuation = Continuation::after(
            vec![thinking.clone(), text("The first half")],
            Some(usage(10, 5)),
        );
        assert_eq!(
            continuation.remap(AppliedDelta::BlockStarted {
                index: 0,
                block: text("")
            }),
            AppliedDelta::Nothing,
            "the UI shows the joined block already"
        );
        assert_eq!(
            continuation.remap(AppliedDelta::Text {
                index: 0,
                text: " and the rest".into()
            }),
            AppliedDelta::Text {
                index: 1,
                text: " and the rest".into()
            }
        );
        assert_eq!(
            continuation.remap(AppliedDelta::BlockStopped {
                index: 0,
                block: text(" and the rest")
            }),
            AppliedDelta::BlockStopped {
                index: 1,
                block: text("The first half and the rest")
            }
        );
        assert_eq!(
            continuation.remap(AppliedDelta::BlockStarted {
                index: 1,
                block: text("")
            }),
            AppliedDelta::BlockStarted {
                index: 2,
                block: text("")
            }
        );
        assert_eq!(
            continuation.remap(AppliedDelta::Usage(usage(12, 7))),
            AppliedDelta::Usage(usage(22, 12))
        );
        assert_eq!(
            continuation.content(vec![text(" and the rest"), text("more")]),
            vec![thinking, text("The first half and the rest"), text("more")]
        );
        assert_eq!(continuation.usage(Some(usage(1, 1))), Some(usage(11, 6)));
    }

    #[test]
    fn a_new_block_of_another_kind_follows_the_base() {
        let mut continuation = Continuation::after(vec![text("a")], None);
        let tool = ContentBlock::ToolUse {
            id: "t".into(),
            name: "n".into(),
            input: serde_json::json!({}),
        };
        assert_eq!(
            continuation.remap(AppliedDelta::BlockStarted {
                index: 0,
                block: tool.clone()
            }),
            AppliedDelta::BlockStarted {
                index: 1,
                block: tool.clone()
            }
        );
        assert_eq!(
            continuation.content(vec![tool.clone()]),
            vec![text("a"), tool]
        );
    }

    #[test]
    fn a_pause_extends_the_base_for_the_next_leg() {
        let first = Continuation::after(vec![text("Sure,")], None);
        let second = first.extended(vec![text(" here ")], Some(usage(3, 2)));
        assert_eq!(
            second.content(vec![text(" it is")]),
            vec![text("Sure, here it is")]
        );
        assert_eq!(second.usage(Some(usage(4, 1))), Some(usage(7, 3)));
    }
}
