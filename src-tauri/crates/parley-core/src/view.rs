//! What the UI is shown: conversations and messages as view types, built from stored rows.

use std::collections::HashMap;

use parley_claude::ContentBlock;
use parley_store::{
    Conversation, ConversationSummary as StoredSummary, Folder as StoredFolder, MessageStatus,
    Role, SearchHit as StoredHit, StoredMessage, TitleSource, TreeNode,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorKind, ErrorPayload};
use crate::params::RequestParams;
use crate::pricing::{self, ModelPrice};
use crate::spend::UsageTotals;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "MessageRole")]
pub enum RoleView {
    User,
    Assistant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "MessageStatus")]
pub enum StatusView {
    Streaming,
    Done,
    Error,
    Cancelled,
}

/// Token counts of one reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "Usage")]
pub struct UsageView {
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    #[ts(type = "number | null")]
    pub cache_creation_input_tokens: Option<u64>,
    #[ts(type = "number | null")]
    pub cache_read_input_tokens: Option<u64>,
}

impl From<&parley_claude::Usage> for UsageView {
    fn from(usage: &parley_claude::Usage) -> Self {
        Self {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cache_creation_input_tokens: usage.cache_creation_input_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens,
        }
    }
}

/// One message of the transcript, with where it stands among the alternatives of its turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "MessageView")]
pub struct MessageView {
    pub id: String,
    pub conversation_id: String,
    pub parent_id: Option<String>,
    pub role: RoleView,
    #[ts(type = "Array<ContentBlock>")]
    pub blocks: Vec<ContentBlock>,
    pub status: StatusView,
    pub error: Option<ErrorPayload>,
    pub model: Option<String>,
    /// Why the reply stopped, verbatim from the API (`end_turn`, `max_tokens`, ...).
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the reply, when `stop_reason` is `stop_sequence`.
    pub stop_sequence: Option<String>,
    /// The text the user started this reply with; `blocks` begin with it.
    pub prefill: Option<String>,
    pub usage: Option<UsageView>,
    /// What the reply cost in micro-dollars; `None` without usage or without a price for
    /// its model (see [`MessageView::priced`]).
    #[ts(type = "number | null")]
    pub cost_micro_usd: Option<u64>,
    /// Every alternative of this turn (same parent, same role), oldest first.
    pub sibling_ids: Vec<String>,
    /// This message's index in `sibling_ids`.
    pub sibling_index: u32,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: i64,
}

impl MessageView {
    /// This view with its cost filled in from the price table.
    pub fn priced(mut self, prices: &[ModelPrice]) -> Self {
        self.cost_micro_usd = match (&self.usage, &self.model) {
            (Some(usage), Some(model)) => pricing::cost_of(prices, model, usage),
            _ => None,
        };
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationMeta {
    pub id: String,
    pub title: String,
    pub model: String,
    pub system_prompt: Option<String>,
    /// The conversation's request parameters (`params_json`).
    pub params: RequestParams,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<&Conversation> for ConversationMeta {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.clone(),
            title: c.title.clone(),
            model: c.model.clone(),
            system_prompt: c.system_prompt.clone(),
            // Parameters that no longer parse (a newer version's) read as unset.
            params: serde_json::from_str(&c.params_json).unwrap_or_default(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// Who chose a conversation's title: automatic titles never replace the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "TitleSource")]
pub enum TitleSourceView {
    Auto,
    User,
}

impl From<TitleSource> for TitleSourceView {
    fn from(source: TitleSource) -> Self {
        match source {
            TitleSource::Auto => TitleSourceView::Auto,
            TitleSource::User => TitleSourceView::User,
        }
    }
}

/// One row of the sidebar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub id: String,
    pub title: String,
    pub model: String,
    /// Milliseconds since the Unix epoch; the UI groups by it in local time.
    #[ts(type = "number")]
    pub updated_at: i64,
    #[ts(type = "number")]
    pub created_at: i64,
    pub pinned: bool,
    pub folder_id: Option<String>,
    pub title_source: TitleSourceView,
    /// The first image of the conversation, if any (`read_image` with `thumbnail`).
    pub thumbnail_sha256: Option<String>,
}

impl From<StoredSummary> for ConversationSummary {
    fn from(s: StoredSummary) -> Self {
        Self {
            id: s.id,
            title: s.title,
            model: s.model,
            updated_at: s.updated_at,
            created_at: s.created_at,
            pinned: s.pinned,
            folder_id: s.folder_id,
            title_source: s.title_source.into(),
            thumbnail_sha256: s.thumbnail_sha256,
        }
    }
}

/// A folder of conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    pub id: String,
    pub name: String,
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<StoredFolder> for Folder {
    fn from(f: StoredFolder) -> Self {
        Self {
            id: f.id,
            name: f.name,
            created_at: f.created_at,
        }
    }
}

/// Everything the sidebar lists: every live conversation (pinned first, then newest first) and
/// every folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryIndex {
    pub conversations: Vec<ConversationSummary>,
    pub folders: Vec<Folder>,
}

/// One message that matched a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub message_id: String,
    pub conversation_id: String,
    pub conversation_title: String,
    /// The match is between "\u0002" and "\u0003"; "…" where text was cut.
    pub snippet: String,
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<StoredHit> for SearchHit {
    fn from(h: StoredHit) -> Self {
        Self {
            message_id: h.message_id,
            conversation_id: h.conversation_id,
            conversation_title: h.conversation_title,
            snippet: h.snippet,
            created_at: h.created_at,
        }
    }
}

/// An opened conversation: its settings and the newest messages of its active branch, oldest
/// first. A long branch is not sent whole: `earlier` messages come before `messages`, read a
/// page at a time (`branch_before`) when the user scrolls up to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub conversation: ConversationMeta,
    pub messages: Vec<MessageView>,
    /// How many messages of the branch come before `messages` (0: the branch is whole).
    pub earlier: u32,
    /// Tokens and cost of every reply in the conversation, on every branch.
    pub totals: UsageTotals,
}

/// Messages of a branch before those already shown (`branch_before`), oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BranchPage {
    pub messages: Vec<MessageView>,
    /// How many messages of the branch come before these (0: its root is the first).
    pub earlier: u32,
}

/// Parses stored content; a row that no longer parses shows as one text block rather than
/// hiding the message.
pub fn parse_blocks(content_json: &str, text: &str) -> Vec<ContentBlock> {
    serde_json::from_str(content_json).unwrap_or_else(|_| vec![ContentBlock::text(text)])
}

/// Groups the ids of every message by parent, oldest first, so sibling positions can be shown.
pub struct SiblingIndex {
    by_parent: HashMap<Option<String>, Vec<(String, Role)>>,
}

impl SiblingIndex {
    /// `all` is every message of one conversation in creation order (whole rows or their
    /// links).
    pub fn new<T: TreeNode>(all: &[T]) -> Self {
        let mut by_parent: HashMap<Option<String>, Vec<(String, Role)>> = HashMap::new();
        for message in all {
            by_parent
                .entry(message.parent_id().map(str::to_owned))
                .or_default()
                .push((message.id().to_owned(), message.role()));
        }
        Self { by_parent }
    }

    fn siblings_of(&self, message: &StoredMessage) -> Vec<String> {
        self.by_parent
            .get(&message.parent_id)
            .map(|siblings| {
                siblings
                    .iter()
                    .filter(|(_, role)| *role == message.role)
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_else(|| vec![message.id.clone()])
    }

    pub fn view(&self, message: &StoredMessage) -> MessageView {
        let sibling_ids = self.siblings_of(message);
        let sibling_index = sibling_ids
            .iter()
            .position(|id| *id == message.id)
            .unwrap_or_default() as u32;
        message_view(message, sibling_ids, sibling_index)
    }
}

fn message_view(m: &StoredMessage, sibling_ids: Vec<String>, sibling_index: u32) -> MessageView {
    let status = match m.status {
        MessageStatus::Streaming => StatusView::Streaming,
        MessageStatus::Done => StatusView::Done,
        MessageStatus::Error => StatusView::Error,
        MessageStatus::Cancelled => StatusView::Cancelled,
    };
    let error = m.error_kind.as_deref().map(|kind| ErrorPayload {
        kind: ErrorKind::parse(kind).unwrap_or(ErrorKind::Internal),
        message: m.error_message.clone().unwrap_or_default(),
        status: None,
        request_id: m.request_id.clone(),
    });
    let usage = match (m.usage.input_tokens, m.usage.output_tokens) {
        (None, None) => None,
        (input, output) => Some(UsageView {
            input_tokens: input.unwrap_or_default().max(0) as u64,
            output_tokens: output.unwrap_or_default().max(0) as u64,
            cache_creation_input_tokens: m
                .usage
                .cache_creation_input_tokens
                .map(|v| v.max(0) as u64),
            cache_read_input_tokens: m.usage.cache_read_input_tokens.map(|v| v.max(0) as u64),
        }),
    };
    MessageView {
        id: m.id.clone(),
        conversation_id: m.conversation_id.clone(),
        parent_id: m.parent_id.clone(),
        role: match m.role {
            Role::User => RoleView::User,
            Role::Assistant => RoleView::Assistant,
        },
        blocks: parse_blocks(&m.content_json, &m.text),
        status,
        error,
        model: m.model.clone(),
        stop_reason: m.stop_reason.clone(),
        stop_sequence: m.stop_sequence.clone(),
        prefill: m.prefill.clone(),
        usage,
        cost_micro_usd: None,
        sibling_ids,
        sibling_index,
        created_at: m.created_at,
    }
}

/// A conversation title from the first message: its first line, cut at a word near 60 characters.
pub fn title_from_text(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("");
    if first_line.chars().count() <= MAX_CHARS {
        return if first_line.is_empty() {
            "New conversation".into()
        } else {
            first_line.into()
        };
    }
    let cut: String = first_line.chars().take(MAX_CHARS).collect();
    // Cut at the last space when there is one in the second half (CJK text has none: keep all).
    let at_word = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_the_first_line_cut_at_a_word() {
        assert_eq!(title_from_text("\n  Hello there \nsecond"), "Hello there");
        let long = "word ".repeat(30);
        let title = title_from_text(&long);
        assert!(
            title.ends_with('…') && title.chars().count() <= 61,
            "{title}"
        );
        assert!(!title.contains("wor…"), "cut at a word boundary: {title}");
        let chinese = "你好".repeat(40);
        assert_eq!(title_from_text(&chinese).chars().count(), 61);
        assert_eq!(title_from_text("   "), "New conversation");
    }

    #[test]
    fn unreadable_content_falls_back_to_the_plain_text() {
        let blocks = parse_blocks("not json", "kept");
        assert_eq!(blocks, vec![ContentBlock::text("kept")]);
    }
}
