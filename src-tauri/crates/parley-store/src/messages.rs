//! The `messages` table: a tree of messages per conversation, with the
//! visible branch recorded by `active_child_seq` pointers.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::attachments::{NewAttachment, insert_attachment};
use crate::error::json_rows;
use crate::{Conversation, Store, StoreError, new_id};

/// `content_json` as callers know it: a row whose content is exactly one text
/// block holding `text` stores `''` there (see [`stored_content_json`]) and is
/// read back as that block. SQLite's `json_object` writes the same compact JSON
/// as serde_json for the same text.
macro_rules! content_json_column {
    () => {
        "CASE content_json WHEN '' THEN json_array(json_object('type', 'text', 'text', text)) \
         ELSE content_json END AS content_json"
    };
}
pub(crate) use content_json_column;

/// The id of the message a row of `messages` links to through the column
/// `$seq` (`parent_seq` or `active_child_seq`, migrations/0007): links are
/// stored as the other message's `seq`, a few bytes, and read back as its id.
/// The row must be named `messages` (no alias) in the statement.
macro_rules! linked_id {
    ($seq:ident) => {
        concat!(
            "(SELECT linked.id FROM messages AS linked WHERE linked.seq = messages.",
            stringify!($seq),
            ")"
        )
    };
}
pub(crate) use linked_id;

/// The `seq` of the conversation whose id is bound at this place: a message names its
/// conversation by that integer (`conversation_seq`, migrations/0008). `conversation_seq_of!()`
/// takes the next `?`; `conversation_seq_of!("?2")` a numbered one. SQLite runs the lookup once
/// per statement, and a statement filtering on it uses the index `messages_conversation`.
macro_rules! conversation_seq_of {
    () => {
        $crate::messages::conversation_seq_of!("?")
    };
    ($param:literal) => {
        concat!(
            "(SELECT conversations.seq FROM conversations WHERE conversations.id = ",
            $param,
            ")"
        )
    };
}
pub(crate) use conversation_seq_of;

/// The id of the conversation a row of `messages` belongs to, read back from its
/// `conversation_seq` (migrations/0008). The row must be named `messages` (no alias).
macro_rules! conversation_id_column {
    () => {
        "(SELECT conversations.id FROM conversations \
          WHERE conversations.seq = messages.conversation_seq) AS conversation_id"
    };
}
pub(crate) use conversation_id_column;

/// The columns of [`StoredMessage`], shared by every query that returns one
/// (from `messages`, unaliased).
macro_rules! message_columns {
    () => {
        concat!(
            "id, ",
            $crate::messages::conversation_id_column!(),
            ", ",
            $crate::messages::linked_id!(parent_seq),
            " AS parent_id, role, ",
            $crate::messages::content_json_column!(),
            ", text, model, status, stop_reason, \
         stop_sequence, input_tokens, output_tokens, cache_creation_input_tokens, \
         cache_read_input_tokens, error_kind, error_message, request_id, ",
            $crate::messages::linked_id!(active_child_seq),
            " AS active_child_id, created_at, updated_at, prefill"
        )
    };
}
pub(crate) use message_columns;

/// [`StoredMessage::error_kind`] of a reply that was still streaming when the
/// app stopped (see [`Store::recover_interrupted_streams`]).
pub const INTERRUPTED_ERROR_KIND: &str = "stream_interrupted";

/// [`StoredMessage::error_message`] of a reply that was still streaming when
/// the app stopped.
pub const INTERRUPTED_ERROR_MESSAGE: &str = "The app closed while this reply was streaming";

/// What the `content_json` column stores for a message with this content and
/// plain text: `""` when the content is exactly one text block holding `text`
/// (most messages), so their text is stored once, in `text`, which the search
/// index reads; the content JSON as given otherwise. Readers get the JSON back
/// through [`content_json_column`].
pub(crate) fn stored_content_json<'a>(content_json: &'a str, text: &str) -> &'a str {
    // The shape serde_json gives `[ContentBlock::Text]`, compared as bytes: a
    // content written any other way is simply kept as it is.
    const PREFIX: &str = r#"[{"type":"text","text":"#;
    const SUFFIX: &str = "}]";
    let only_text = content_json
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|quoted| serde_json::to_string(text).is_ok_and(|expected| expected == quoted));
    if only_text { "" } else { content_json }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum Role {
    /// The person using the app.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The stored spelling, which is also the Messages API's.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    /// The inverse of [`Role::as_str`].
    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum MessageStatus {
    /// A reply still arriving; its content is partial.
    Streaming,
    /// Complete.
    Done,
    /// Failed; `error_kind` and `error_message` say why. Content may be partial.
    Error,
    /// Stopped by the user; content may be partial.
    Cancelled,
}

impl MessageStatus {
    /// The stored spelling: `"streaming"`, `"done"`, `"error"` or `"cancelled"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Streaming => "streaming",
            MessageStatus::Done => "done",
            MessageStatus::Error => "error",
            MessageStatus::Cancelled => "cancelled",
        }
    }

    /// The inverse of [`MessageStatus::as_str`].
    pub fn parse(value: &str) -> Option<MessageStatus> {
        match value {
            "streaming" => Some(MessageStatus::Streaming),
            "done" => Some(MessageStatus::Done),
            "error" => Some(MessageStatus::Error),
            "cancelled" => Some(MessageStatus::Cancelled),
            _ => None,
        }
    }
}

/// Token counts reported by the API for one reply; `None` where not reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoredUsage {
    /// Uncached input tokens.
    pub input_tokens: Option<i64>,
    /// Generated tokens.
    pub output_tokens: Option<i64>,
    /// Input tokens written to the prompt cache.
    pub cache_creation_input_tokens: Option<i64>,
    /// Input tokens read from the prompt cache.
    pub cache_read_input_tokens: Option<i64>,
}

/// One message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoredMessage {
    /// UUID v7.
    pub id: String,
    /// The conversation it belongs to.
    pub conversation_id: String,
    /// The message it answers or follows; `None` for a root (first prompt).
    pub parent_id: Option<String>,
    /// Who wrote it.
    pub role: Role,
    /// The content blocks as JSON, in the caller's format.
    pub content_json: String,
    /// The plain text of the content, used for search.
    pub text: String,
    /// The model that wrote it (replies only).
    pub model: Option<String>,
    /// Where it is in its life.
    pub status: MessageStatus,
    /// Why generation stopped, as the API said.
    pub stop_reason: Option<String>,
    /// The stop sequence that matched, if any.
    pub stop_sequence: Option<String>,
    /// Token counts.
    #[sqlx(flatten)]
    pub usage: StoredUsage,
    /// A machine-readable error kind when `status` is `Error`.
    pub error_kind: Option<String>,
    /// A human-readable error when `status` is `Error`.
    pub error_message: Option<String>,
    /// The API's request id, for support.
    pub request_id: Option<String>,
    /// The child that continues the visible branch; may dangle (readers fall
    /// back to the newest child).
    pub active_child_id: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last content change, in milliseconds since the Unix epoch.
    pub updated_at: i64,
    /// For a reply: the text the user started it with (its content begins with it).
    pub prefill: Option<String>,
}

impl StoredMessage {
    /// A message that is not in the database (no id, no conversation, no times): the draft
    /// in the composer, when the request it would make is built to count its tokens.
    pub fn unsaved(role: Role, content_json: String, text: String) -> Self {
        Self {
            id: String::new(),
            conversation_id: String::new(),
            parent_id: None,
            role,
            content_json,
            text,
            model: None,
            status: MessageStatus::Done,
            stop_reason: None,
            stop_sequence: None,
            usage: StoredUsage::default(),
            error_kind: None,
            error_message: None,
            request_id: None,
            active_child_id: None,
            created_at: 0,
            updated_at: 0,
            prefill: None,
        }
    }
}

/// A message to insert; the store assigns the id and times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    /// The conversation it belongs to.
    pub conversation_id: String,
    /// The message it follows, in the same conversation; `None` for a root.
    pub parent_id: Option<String>,
    /// Who wrote it.
    pub role: Role,
    /// The content blocks as JSON.
    pub content_json: String,
    /// The plain text of the content, for search.
    pub text: String,
    /// The model that writes it (replies only).
    pub model: Option<String>,
    /// Usually `Done` for prompts and `Streaming` for a reply just started.
    pub status: MessageStatus,
}

/// The final state of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFinish {
    /// `Done`, `Error` or `Cancelled`; never `Streaming`.
    pub status: MessageStatus,
    /// The final content blocks as JSON.
    pub content_json: String,
    /// The final plain text.
    pub text: String,
    /// Why generation stopped, as the API said.
    pub stop_reason: Option<String>,
    /// The stop sequence that matched, if any.
    pub stop_sequence: Option<String>,
    /// Token counts.
    pub usage: StoredUsage,
    /// A machine-readable error kind for `Error`.
    pub error_kind: Option<String>,
    /// A human-readable error for `Error`.
    pub error_message: Option<String>,
    /// The API's request id.
    pub request_id: Option<String>,
}

/// A conversation with every message of it, for showing it: the visible
/// branch ([`ConversationTree::active_path`]) and each message's siblings
/// both come from this one read.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationTree {
    /// The conversation.
    pub conversation: Conversation,
    /// Every message on every branch, oldest first (by `created_at`, then id),
    /// as [`Store::messages_in_conversation`] lists them.
    pub messages: Vec<StoredMessage>,
}

impl ConversationTree {
    /// The visible branch (see [`active_path`]).
    pub fn active_path(&self) -> Vec<&StoredMessage> {
        active_path(&self.messages, self.conversation.active_root_id.as_deref())
    }
}

/// What places a message in its conversation's tree, without its content: enough to find the
/// visible branch and each message's siblings before reading any text
/// ([`Store::conversation_links`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLink {
    /// The message's id.
    pub id: String,
    /// As [`StoredMessage::parent_id`].
    pub parent_id: Option<String>,
    /// Who wrote it (siblings are the parent's children of the same role).
    pub role: Role,
    /// As [`StoredMessage::active_child_id`].
    pub active_child_id: Option<String>,
}

/// A message's place in the tree, for [`active_path`] and sibling lists: implemented by the
/// full row and by its [`MessageLink`].
pub trait TreeNode {
    /// The message's id.
    fn id(&self) -> &str;
    /// The message it follows; `None` for a root.
    fn parent_id(&self) -> Option<&str>;
    /// Who wrote it.
    fn role(&self) -> Role;
    /// The child that continues the visible branch, if one was chosen.
    fn active_child_id(&self) -> Option<&str>;
}

/// Both row types name the tree's fields alike.
macro_rules! impl_tree_node {
    ($($row:ty),+) => {$(
        impl TreeNode for $row {
            fn id(&self) -> &str {
                &self.id
            }
            fn parent_id(&self) -> Option<&str> {
                self.parent_id.as_deref()
            }
            fn role(&self) -> Role {
                self.role
            }
            fn active_child_id(&self) -> Option<&str> {
                self.active_child_id.as_deref()
            }
        }
    )+};
}
impl_tree_node!(StoredMessage, MessageLink);

/// The visible branch of one conversation's `messages` (oldest first): from the active root,
/// follow each message's active child down to a leaf. Where a pointer is missing or dangles,
/// the newest candidate is taken, so the path is never cut short.
pub fn active_path<'a, T: TreeNode>(messages: &'a [T], active_root_id: Option<&str>) -> Vec<&'a T> {
    // Children in creation order, so the newest is last.
    let mut children: HashMap<Option<&str>, Vec<&T>> = HashMap::new();
    for message in messages {
        children
            .entry(message.parent_id())
            .or_default()
            .push(message);
    }
    let pick = |parent: Option<&str>, wanted: Option<&str>| {
        let candidates = children.get(&parent)?;
        candidates
            .iter()
            .find(|m| Some(m.id()) == wanted)
            .or_else(|| candidates.last())
            .copied()
    };

    let mut path = Vec::new();
    let mut current = pick(None, active_root_id);
    // Bounded by the message count in case stored pointers form a cycle.
    while let Some(message) = current {
        if path.len() >= messages.len() {
            break;
        }
        path.push(message);
        current = pick(Some(message.id()), message.active_child_id());
    }
    path
}

/// The shape of a conversation's tree: every message's [`MessageLink`], oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationLinks {
    /// The conversation.
    pub conversation: Conversation,
    /// Every message on every branch, oldest first.
    pub links: Vec<MessageLink>,
}

impl ConversationLinks {
    /// The visible branch (see [`active_path`]).
    pub fn active_path(&self) -> Vec<&MessageLink> {
        active_path(&self.links, self.conversation.active_root_id.as_deref())
    }
}

impl Store {
    /// Inserts a message and makes it the visible continuation of its parent
    /// (or the visible root), all in one transaction, and counts as activity
    /// on the conversation.
    ///
    /// Sending an edited prompt is therefore just inserting a sibling: it
    /// becomes the visible branch while the old one stays in the tree.
    ///
    /// Fails with [`StoreError::NotFound`] for an unknown conversation or
    /// parent and [`StoreError::Invalid`] for a parent in another
    /// conversation.
    pub async fn insert_message(&self, new: &NewMessage) -> Result<StoredMessage, StoreError> {
        self.insert_message_with_attachments(new, &[]).await
    }

    /// [`Store::insert_message`] plus the message's attachments, in one transaction: a message
    /// is never stored without the images it refers to.
    pub async fn insert_message_with_attachments(
        &self,
        new: &NewMessage,
        attachments: &[NewAttachment],
    ) -> Result<StoredMessage, StoreError> {
        // IMMEDIATE takes the write lock up front: a deferred transaction that
        // reads first and writes later can fail outright under WAL if another
        // connection commits in between, instead of waiting.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;

        let conversation: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM conversations WHERE id = ?")
                .bind(&new.conversation_id)
                .fetch_optional(&mut *tx)
                .await?;
        if conversation.is_none() {
            return Err(StoreError::not_found("conversation", &new.conversation_id));
        }
        // The parent's `seq` is what the new message stores (migrations/0007).
        let mut parent_seq = None;
        if let Some(parent_id) = &new.parent_id {
            let parent: Option<(String, i64)> = sqlx::query_as(concat!(
                "SELECT ",
                conversation_id_column!(),
                ", seq FROM messages WHERE id = ?"
            ))
            .bind(parent_id)
            .fetch_optional(&mut *tx)
            .await?;
            match parent {
                None => return Err(StoreError::not_found("message", parent_id)),
                Some((owner, _)) if owner != new.conversation_id => {
                    return Err(StoreError::Invalid(format!(
                        "parent message {parent_id} belongs to another conversation"
                    )));
                }
                Some((_, seq)) => parent_seq = Some(seq),
            }
        }

        let now = self.now();
        let message: StoredMessage = sqlx::query_as(concat!(
            "INSERT INTO messages (id, conversation_seq, parent_seq, role, content_json, text,
                                   model, status, created_at, updated_at)
             VALUES (?, ",
            conversation_seq_of!(),
            ", ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING ",
            message_columns!()
        ))
        .bind(new_id())
        .bind(&new.conversation_id)
        .bind(parent_seq)
        .bind(new.role)
        .bind(stored_content_json(&new.content_json, &new.text))
        .bind(&new.text)
        .bind(&new.model)
        .bind(new.status)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;

        match parent_seq {
            Some(parent_seq) => {
                sqlx::query(
                    "UPDATE messages SET active_child_seq = (SELECT seq FROM messages WHERE id = ?)
                     WHERE seq = ?",
                )
                .bind(&message.id)
                .bind(parent_seq)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
                    .bind(now)
                    .bind(&new.conversation_id)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE conversations SET active_root_id = ?, updated_at = ? WHERE id = ?",
                )
                .bind(&message.id)
                .bind(now)
                .bind(&new.conversation_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        for attachment in attachments {
            insert_attachment(&mut tx, &message.id, attachment, now).await?;
        }
        tx.commit().await?;
        Ok(message)
    }

    /// Replaces the content of a reply that is still streaming. Called several
    /// times a second, so it is a single `UPDATE` (plus the search-index
    /// trigger) and does not touch the conversation.
    ///
    /// Fails with [`StoreError::Invalid`] once the message has left the
    /// `Streaming` status, so a late update cannot overwrite a finished reply.
    pub async fn update_streaming_content(
        &self,
        id: &str,
        content_json: &str,
        text: &str,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE messages SET content_json = ?, text = ?, updated_at = ?
             WHERE id = ? AND status = 'streaming'",
        )
        .bind(stored_content_json(content_json, text))
        .bind(text)
        .bind(self.now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 1 {
            return Ok(());
        }
        let message = self.get_message(id).await?;
        Err(StoreError::Invalid(format!(
            "message {id} is {}, not streaming",
            message.status.as_str()
        )))
    }

    /// Records the final state of a reply and counts as activity on its
    /// conversation. Returns the updated message.
    pub async fn finish_message(
        &self,
        id: &str,
        finish: &MessageFinish,
    ) -> Result<StoredMessage, StoreError> {
        if finish.status == MessageStatus::Streaming {
            return Err(StoreError::Invalid(
                "a message cannot finish in the streaming status".to_owned(),
            ));
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let now = self.now();
        let message: StoredMessage = sqlx::query_as(concat!(
            "UPDATE messages SET
                 status = ?, content_json = ?, text = ?, stop_reason = ?, stop_sequence = ?,
                 input_tokens = ?, output_tokens = ?, cache_creation_input_tokens = ?,
                 cache_read_input_tokens = ?, error_kind = ?, error_message = ?,
                 request_id = ?, updated_at = ?
             WHERE id = ?
             RETURNING ",
            message_columns!()
        ))
        .bind(finish.status)
        .bind(stored_content_json(&finish.content_json, &finish.text))
        .bind(&finish.text)
        .bind(&finish.stop_reason)
        .bind(&finish.stop_sequence)
        .bind(finish.usage.input_tokens)
        .bind(finish.usage.output_tokens)
        .bind(finish.usage.cache_creation_input_tokens)
        .bind(finish.usage.cache_read_input_tokens)
        .bind(&finish.error_kind)
        .bind(&finish.error_message)
        .bind(&finish.request_id)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("message", id))?;
        sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(&message.conversation_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(message)
    }

    /// Records the prefill a reply starts with (see [`StoredMessage::prefill`]).
    pub async fn set_prefill(&self, id: &str, prefill: Option<&str>) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE messages SET prefill = ? WHERE id = ?")
            .bind(prefill)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::not_found("message", id));
        }
        Ok(())
    }

    /// Makes a finished reply stream again, keeping its content, so that "Continue" can append
    /// to it; its error is cleared. Fails with [`StoreError::Invalid`] when it is streaming
    /// already (two continuations at once would overwrite each other).
    pub async fn reopen_for_continue(&self, id: &str) -> Result<StoredMessage, StoreError> {
        let reopened: Option<StoredMessage> = sqlx::query_as(concat!(
            "UPDATE messages SET status = 'streaming', error_kind = NULL, error_message = NULL,
                 updated_at = ?
             WHERE id = ? AND role = 'assistant' AND status <> 'streaming'
             RETURNING ",
            message_columns!()
        ))
        .bind(self.now())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match reopened {
            Some(message) => Ok(message),
            None => {
                let message = self.get_message(id).await?;
                Err(StoreError::Invalid(format!(
                    "message {id} is a {} message in status {}; only a finished reply can continue",
                    message.role.as_str(),
                    message.status.as_str()
                )))
            }
        }
    }

    /// The message with this id.
    pub async fn get_message(&self, id: &str) -> Result<StoredMessage, StoreError> {
        sqlx::query_as(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("message", id))
    }

    /// Every message of the conversation on every branch, oldest first
    /// (by `created_at`, then id).
    pub async fn messages_in_conversation(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let messages: Vec<StoredMessage> = sqlx::query_as(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE conversation_seq = ",
            conversation_seq_of!(),
            " ORDER BY created_at, id"
        ))
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        if messages.is_empty() {
            // Tell "no messages yet" from "no such conversation".
            self.get_conversation(conversation_id).await?;
        }
        Ok(messages)
    }

    /// Makes the message visible: it becomes the active child of its parent
    /// (or the active root), and likewise for each of its ancestors, so a
    /// message found by search on a hidden branch can be shown by selecting
    /// it. Selections below it are kept, so its own sub-branches come back as
    /// they were last chosen.
    pub async fn select_branch(&self, message_id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let conversation_seq: i64 =
            sqlx::query_scalar("SELECT conversation_seq FROM messages WHERE id = ?")
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::not_found("message", message_id))?;

        // `UNION` (not `UNION ALL`) stops at a repeated row, so even a
        // corrupted parent cycle cannot loop forever.
        sqlx::query(
            "WITH RECURSIVE chain (seq, parent_seq) AS (
                 SELECT seq, parent_seq FROM messages WHERE id = ?1
                 UNION
                 SELECT m.seq, m.parent_seq FROM messages m JOIN chain c ON m.seq = c.parent_seq
             )
             UPDATE messages
             SET active_child_seq = (SELECT c.seq FROM chain c WHERE c.parent_seq = messages.seq)
             WHERE seq IN (SELECT parent_seq FROM chain WHERE parent_seq IS NOT NULL)",
        )
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "WITH RECURSIVE chain (seq, parent_seq) AS (
                 SELECT seq, parent_seq FROM messages WHERE id = ?1
                 UNION
                 SELECT m.seq, m.parent_seq FROM messages m JOIN chain c ON m.seq = c.parent_seq
             )
             UPDATE conversations
             SET active_root_id = (SELECT m.id FROM chain c JOIN messages m ON m.seq = c.seq
                                   WHERE c.parent_seq IS NULL)
             WHERE seq = ?2",
        )
        .bind(message_id)
        .bind(conversation_seq)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The conversation and all its messages (see [`ConversationTree`]);
    /// [`StoreError::NotFound`] if there is no such conversation.
    pub async fn conversation_tree(
        &self,
        conversation_id: &str,
    ) -> Result<ConversationTree, StoreError> {
        let conversation = self.get_conversation(conversation_id).await?;
        let messages = self.messages_in_conversation(conversation_id).await?;
        Ok(ConversationTree {
            conversation,
            messages,
        })
    }

    /// Every message's place in the conversation's tree, without content, oldest first (as
    /// [`Store::messages_in_conversation`] orders them): what finding the visible branch
    /// needs, at a fraction of reading whole rows.
    pub async fn conversation_links(
        &self,
        conversation_id: &str,
    ) -> Result<ConversationLinks, StoreError> {
        let conversation = self.get_conversation(conversation_id).await?;
        // One row of JSON (see `json_rows`): for 2,000 messages, 11 ms row by row where the
        // statement itself takes 1 (issue 13: opening a long conversation).
        // Links are stored as `seq`s (migrations/0007) and turned into ids here, from the
        // conversation's own rows, rather than by a lookup per link in SQL.
        let json: String = sqlx::query_scalar(concat!(
            "SELECT coalesce(json_group_array(json_array(id, seq, parent_seq, role,
                                                         active_child_seq, created_at)), '[]')
             FROM messages WHERE conversation_seq = ",
            conversation_seq_of!()
        ))
        .bind(conversation_id)
        .fetch_one(&self.pool)
        .await?;
        type LinkRow = (String, i64, Option<i64>, Role, Option<i64>, i64);
        let mut rows: Vec<LinkRow> = json_rows(&json, "message links")?;
        rows.sort_by(|a, b| (a.5, &a.0).cmp(&(b.5, &b.0)));
        let ids: HashMap<i64, &str> = rows.iter().map(|row| (row.1, row.0.as_str())).collect();
        let id_of = |seq: Option<i64>| seq.and_then(|seq| ids.get(&seq)).map(|id| (*id).to_owned());
        let links = rows
            .iter()
            .map(
                |(id, _, parent_seq, role, active_child_seq, _)| MessageLink {
                    id: id.clone(),
                    parent_id: id_of(*parent_seq),
                    role: *role,
                    active_child_id: id_of(*active_child_seq),
                },
            )
            .collect();
        Ok(ConversationLinks {
            conversation,
            links,
        })
    }

    /// The messages with these ids, in the order given; an id with no message is left out.
    pub async fn messages_by_ids(&self, ids: &[&str]) -> Result<Vec<StoredMessage>, StoreError> {
        let mut found: HashMap<String, StoredMessage> = HashMap::with_capacity(ids.len());
        // Chunks stay far below SQLite's bound on parameters per statement (32,766).
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT {} FROM messages WHERE id IN ({placeholders})",
                message_columns!()
            );
            let mut query = sqlx::query_as::<_, StoredMessage>(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for message in query.fetch_all(&self.pool).await? {
                found.insert(message.id.clone(), message);
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(*id)).collect())
    }

    /// The visible branch (see [`ConversationTree::active_path`]).
    pub async fn active_path(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let tree = self.conversation_tree(conversation_id).await?;
        Ok(tree.active_path().into_iter().cloned().collect())
    }

    /// Marks every reply still `Streaming` as failed with
    /// [`INTERRUPTED_ERROR_KIND`], keeping the partial content. Call once at
    /// start-up, before any new stream begins: a reply can only be streaming
    /// then if the app crashed or was killed mid-stream. Returns how many
    /// messages were recovered.
    pub async fn recover_interrupted_streams(&self) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE messages SET status = 'error', error_kind = ?, error_message = ?,
                                 updated_at = ?
             WHERE status = 'streaming'",
        )
        .bind(INTERRUPTED_ERROR_KIND)
        .bind(INTERRUPTED_ERROR_MESSAGE)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        if result.rows_affected() > 0 {
            tracing::info!(
                count = result.rows_affected(),
                "marked replies interrupted by the last shutdown"
            );
        }
        Ok(result.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{conversation, ids, memory_store, message};

    fn streaming_reply(conversation_id: &str, parent_id: &str) -> NewMessage {
        NewMessage {
            conversation_id: conversation_id.to_owned(),
            parent_id: Some(parent_id.to_owned()),
            role: Role::Assistant,
            content_json: "[]".to_owned(),
            text: String::new(),
            model: Some("claude-test".to_owned()),
            status: MessageStatus::Streaming,
        }
    }

    fn done_finish(text: &str) -> MessageFinish {
        MessageFinish {
            status: MessageStatus::Done,
            content_json: format!(r#"[{{"type":"text","text":{text:?}}}]"#),
            text: text.to_owned(),
            stop_reason: Some("end_turn".to_owned()),
            stop_sequence: None,
            usage: StoredUsage {
                input_tokens: Some(12),
                output_tokens: Some(34),
                cache_creation_input_tokens: Some(0),
                cache_read_input_tokens: None,
            },
            error_kind: None,
            error_message: None,
            request_id: Some("req_123".to_owned()),
        }
    }

    #[test]
    fn role_and_status_round_trip_through_their_names() {
        for role in [Role::User, Role::Assistant] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for status in [
            MessageStatus::Streaming,
            MessageStatus::Done,
            MessageStatus::Error,
            MessageStatus::Cancelled,
        ] {
            assert_eq!(MessageStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(Role::parse("system"), None);
        assert_eq!(MessageStatus::parse("Done"), None);
    }

    #[tokio::test]
    async fn insert_stores_every_field_and_activates_the_root() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let before = store.get_conversation(&conv).await.unwrap();

        let new = NewMessage {
            model: Some("claude-x".to_owned()),
            ..NewMessage::done(&conv, None, Role::User, "hello")
        };
        let stored = store.insert_message(&new).await.unwrap();
        assert_eq!(stored.conversation_id, conv);
        assert_eq!(stored.parent_id, None);
        assert_eq!(stored.role, Role::User);
        assert_eq!(stored.content_json, new.content_json);
        assert_eq!(stored.text, "hello");
        assert_eq!(stored.model.as_deref(), Some("claude-x"));
        assert_eq!(stored.status, MessageStatus::Done);
        assert_eq!(stored.usage, StoredUsage::default());
        assert_eq!(stored.active_child_id, None);
        assert_eq!(store.get_message(&stored.id).await.unwrap(), stored);

        let after = store.get_conversation(&conv).await.unwrap();
        assert_eq!(after.active_root_id.as_deref(), Some(stored.id.as_str()));
        assert!(
            after.updated_at > before.updated_at,
            "a message is activity"
        );
    }

    #[tokio::test]
    async fn insert_activates_the_child_on_its_parent() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let question = message(&store, &conv, None, Role::User, "q").await;
        let answer = message(&store, &conv, Some(&question.id), Role::Assistant, "a").await;
        assert_eq!(answer.parent_id.as_deref(), Some(question.id.as_str()));
        let question = store.get_message(&question.id).await.unwrap();
        assert_eq!(
            question.active_child_id.as_deref(),
            Some(answer.id.as_str())
        );
    }

    #[tokio::test]
    async fn insert_rejects_unknown_ids_and_foreign_parents() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let other = conversation(&store, "other").await;
        let foreign = message(&store, &other, None, Role::User, "elsewhere").await;

        let err = store
            .insert_message(&NewMessage::done("nope", None, Role::User, "x"))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::NotFound(ref what) if what.starts_with("conversation ")
        ));

        let err = store
            .insert_message(&NewMessage::done(&conv, Some("nope"), Role::User, "x"))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::NotFound(ref what) if what.starts_with("message ")
        ));

        let err = store
            .insert_message(&NewMessage::done(&conv, Some(&foreign.id), Role::User, "x"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "got {err:?}");
        assert!(
            store
                .messages_in_conversation(&conv)
                .await
                .unwrap()
                .is_empty(),
            "a rejected insert leaves nothing behind"
        );
        let other_root = store.get_message(&foreign.id).await.unwrap();
        assert_eq!(other_root.active_child_id, None);
    }

    #[tokio::test]
    async fn streaming_updates_then_finish() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let question = message(&store, &conv, None, Role::User, "q").await;
        let reply = store
            .insert_message(&streaming_reply(&conv, &question.id))
            .await
            .unwrap();
        assert_eq!(reply.status, MessageStatus::Streaming);

        store
            .update_streaming_content(&reply.id, r#"[{"type":"text","text":"Hel"}]"#, "Hel")
            .await
            .unwrap();
        let partial = store.get_message(&reply.id).await.unwrap();
        assert_eq!(partial.text, "Hel");
        assert_eq!(partial.content_json, r#"[{"type":"text","text":"Hel"}]"#);
        assert_eq!(partial.status, MessageStatus::Streaming);
        assert!(partial.updated_at > reply.updated_at);

        let conv_before_finish = store.get_conversation(&conv).await.unwrap();
        let finished = store
            .finish_message(&reply.id, &done_finish("Hello"))
            .await
            .unwrap();
        assert_eq!(finished.status, MessageStatus::Done);
        assert_eq!(finished.text, "Hello");
        assert_eq!(finished.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(finished.usage.input_tokens, Some(12));
        assert_eq!(finished.usage.output_tokens, Some(34));
        assert_eq!(finished.usage.cache_creation_input_tokens, Some(0));
        assert_eq!(finished.usage.cache_read_input_tokens, None);
        assert_eq!(finished.request_id.as_deref(), Some("req_123"));
        assert_eq!(store.get_message(&reply.id).await.unwrap(), finished);
        assert!(
            store.get_conversation(&conv).await.unwrap().updated_at > conv_before_finish.updated_at
        );

        let err = store
            .update_streaming_content(&reply.id, "[]", "late")
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(_)),
            "a late delta must not overwrite a finished reply: {err:?}"
        );
        assert_eq!(store.get_message(&reply.id).await.unwrap().text, "Hello");
    }

    #[tokio::test]
    async fn finish_records_errors_and_rejects_bad_input() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let question = message(&store, &conv, None, Role::User, "q").await;
        let reply = store
            .insert_message(&streaming_reply(&conv, &question.id))
            .await
            .unwrap();

        let err = store
            .finish_message(
                &reply.id,
                &MessageFinish {
                    status: MessageStatus::Streaming,
                    ..done_finish("x")
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)));

        let failed = store
            .finish_message(
                &reply.id,
                &MessageFinish {
                    status: MessageStatus::Error,
                    stop_reason: None,
                    error_kind: Some("overloaded".to_owned()),
                    error_message: Some("Overloaded".to_owned()),
                    ..done_finish("partial")
                },
            )
            .await
            .unwrap();
        assert_eq!(failed.status, MessageStatus::Error);
        assert_eq!(failed.error_kind.as_deref(), Some("overloaded"));
        assert_eq!(failed.text, "partial");

        let err = store
            .finish_message("nope", &done_finish("x"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
        let err = store
            .update_streaming_content("nope", "[]", "")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
        let err = store.get_message("nope").await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
    }

    #[tokio::test]
    async fn messages_in_conversation_lists_every_branch_in_creation_order() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let other = conversation(&store, "other").await;
        let q1 = message(&store, &conv, None, Role::User, "q1").await;
        let a1 = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1").await;
        let q1b = message(&store, &conv, None, Role::User, "q1 edited").await;
        let a1b = message(&store, &conv, Some(&q1b.id), Role::Assistant, "a1b").await;
        message(&store, &other, None, Role::User, "not mine").await;

        let all = store.messages_in_conversation(&conv).await.unwrap();
        assert_eq!(ids(&all), [&q1.id, &a1.id, &q1b.id, &a1b.id]);

        let empty = conversation(&store, "empty").await;
        assert!(
            store
                .messages_in_conversation(&empty)
                .await
                .unwrap()
                .is_empty()
        );
        let err = store.messages_in_conversation("nope").await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
    }

    #[tokio::test]
    async fn active_path_of_a_new_conversation_is_empty() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        assert!(store.active_path(&conv).await.unwrap().is_empty());
        let err = store.active_path("nope").await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
    }

    /// The edit-and-resend flow at the root and deeper down, switching
    /// between branches, and each branch remembering its own sub-selection.
    #[tokio::test]
    async fn branches_switch_and_remember_their_sub_branches() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;

        // Branch A: q1 -> a1 -> q2 -> a2
        let q1 = message(&store, &conv, None, Role::User, "q1").await;
        let a1 = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1").await;
        let q2 = message(&store, &conv, Some(&a1.id), Role::User, "q2").await;
        let a2 = message(&store, &conv, Some(&q2.id), Role::Assistant, "a2").await;
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1.id, &a1.id, &q2.id, &a2.id]
        );

        // Edit q2 and resend: a sibling child of a1 becomes visible.
        let q2b = message(&store, &conv, Some(&a1.id), Role::User, "q2 edited").await;
        let a2b = message(&store, &conv, Some(&q2b.id), Role::Assistant, "a2b").await;
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1.id, &a1.id, &q2b.id, &a2b.id]
        );

        // Edit q1 and resend: a sibling root becomes visible.
        let q1b = message(&store, &conv, None, Role::User, "q1 edited").await;
        let a1b = message(&store, &conv, Some(&q1b.id), Role::Assistant, "a1b").await;
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1b.id, &a1b.id]
        );

        // Back to the first root: its sub-branch choice (q2b) is remembered.
        store.select_branch(&q1.id).await.unwrap();
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1.id, &a1.id, &q2b.id, &a2b.id]
        );

        // Switch the sub-branch back to q2, then roots back and forth.
        store.select_branch(&q2.id).await.unwrap();
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1.id, &a1.id, &q2.id, &a2.id]
        );
        store.select_branch(&q1b.id).await.unwrap();
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1b.id, &a1b.id]
        );
        store.select_branch(&q1.id).await.unwrap();
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1.id, &a1.id, &q2.id, &a2.id],
            "each branch keeps the sub-branch last chosen inside it"
        );

        let err = store.select_branch("nope").await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
    }

    #[tokio::test]
    async fn selecting_a_hidden_deep_message_makes_its_whole_chain_visible() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let q1 = message(&store, &conv, None, Role::User, "q1").await;
        let a1 = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1").await;
        let q1b = message(&store, &conv, None, Role::User, "q1b").await;
        assert_eq!(ids(&store.active_path(&conv).await.unwrap()), [&q1b.id]);

        // E.g. jumping to a search hit on the hidden branch.
        store.select_branch(&a1.id).await.unwrap();
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1.id, &a1.id]
        );
    }

    #[tokio::test]
    async fn dangling_or_missing_pointers_fall_back_to_the_newest_child() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let q1 = message(&store, &conv, None, Role::User, "q1").await;
        let a1 = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1").await;
        let a1b = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1b").await;
        let q1b = message(&store, &conv, None, Role::User, "q1b").await;
        store.select_branch(&a1.id).await.unwrap();

        sqlx::query("UPDATE conversations SET active_root_id = 'gone'")
            .execute(&store.pool)
            .await
            .unwrap();
        assert_eq!(
            ids(&store.active_path(&conv).await.unwrap()),
            [&q1b.id],
            "a dangling root pointer falls back to the newest root"
        );

        sqlx::query("UPDATE conversations SET active_root_id = ?")
            .bind(&q1.id)
            .execute(&store.pool)
            .await
            .unwrap();
        for pointer in ["NULL", "999999"] {
            sqlx::query(&format!(
                "UPDATE messages SET active_child_seq = {pointer} WHERE id = ?"
            ))
            .bind(&q1.id)
            .execute(&store.pool)
            .await
            .unwrap();
            assert_eq!(
                ids(&store.active_path(&conv).await.unwrap()),
                [&q1.id, &a1b.id],
                "a missing or dangling child pointer ({pointer}) falls back to the newest child"
            );
        }
    }

    /// One read serves both the branch and the full list of messages.
    #[tokio::test]
    async fn a_conversation_tree_holds_every_branch_and_the_visible_one() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let q1 = message(&store, &conv, None, Role::User, "q1").await;
        let a1 = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1").await;
        let a1b = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1b").await;
        store.select_branch(&a1.id).await.unwrap();

        let tree = store.conversation_tree(&conv).await.unwrap();
        assert_eq!(tree.conversation.id, conv);
        assert_eq!(ids(&tree.messages), [&q1.id, &a1.id, &a1b.id]);
        let path: Vec<StoredMessage> = tree.active_path().into_iter().cloned().collect();
        assert_eq!(
            ids(&path),
            [&q1.id, &a1.id],
            "the selected reply, not the newest"
        );
        assert_eq!(path, store.active_path(&conv).await.unwrap());

        let empty = conversation(&store, "empty").await;
        let tree = store.conversation_tree(&empty).await.unwrap();
        assert!(tree.messages.is_empty() && tree.active_path().is_empty());
        let err = store.conversation_tree("nope").await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
    }

    #[tokio::test]
    async fn links_give_the_same_visible_branch_and_rows_come_back_by_id_in_order() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let q1 = message(&store, &conv, None, Role::User, "q1").await;
        let a1 = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1").await;
        let a1b = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1b").await;
        let q2 = message(&store, &conv, Some(&a1.id), Role::User, "q2").await;
        store.select_branch(&q2.id).await.unwrap();

        let links = store.conversation_links(&conv).await.unwrap();
        let tree = store.conversation_tree(&conv).await.unwrap();
        let link_path: Vec<&str> = links.active_path().iter().map(|l| l.id.as_str()).collect();
        let tree_path: Vec<&str> = tree.active_path().iter().map(|m| m.id.as_str()).collect();
        assert_eq!(link_path, [&q1.id, &a1.id, &q2.id]);
        assert_eq!(link_path, tree_path, "one algorithm, two inputs");
        assert_eq!(links.links.len(), 4, "every branch: {a1b:?} too");

        let rows = store
            .messages_by_ids(&[&q2.id, "no-such-id", &q1.id])
            .await
            .unwrap();
        assert_eq!(
            ids(&rows),
            [&q2.id, &q1.id],
            "as asked, the unknown id left out"
        );
        assert_eq!(rows[1].text, "q1");
        assert!(store.messages_by_ids(&[]).await.unwrap().is_empty());
        let err = store.conversation_links("nope").await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
    }

    #[tokio::test]
    async fn a_pointer_cycle_cannot_hang_active_path() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let q1 = message(&store, &conv, None, Role::User, "q1").await;
        let a1 = message(&store, &conv, Some(&q1.id), Role::Assistant, "a1").await;
        // Corrupt data: a1's parent points at a1 itself.
        sqlx::query("UPDATE messages SET parent_seq = seq WHERE id = ?")
            .bind(&a1.id)
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("UPDATE messages SET active_child_seq = seq WHERE id = ?")
            .bind(&a1.id)
            .execute(&store.pool)
            .await
            .unwrap();
        let path = store.active_path(&conv).await.unwrap();
        assert!(path.len() <= 2);
        store.select_branch(&a1.id).await.unwrap();
    }

    #[tokio::test]
    async fn recover_marks_only_streaming_replies_and_keeps_their_text() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let question = message(&store, &conv, None, Role::User, "q").await;
        let reply = store
            .insert_message(&streaming_reply(&conv, &question.id))
            .await
            .unwrap();
        store
            .update_streaming_content(&reply.id, r#"[{"type":"text","text":"half"}]"#, "half")
            .await
            .unwrap();
        let other = store
            .insert_message(&streaming_reply(&conv, &question.id))
            .await
            .unwrap();
        store
            .finish_message(&other.id, &done_finish("whole"))
            .await
            .unwrap();

        assert_eq!(store.recover_interrupted_streams().await.unwrap(), 1);
        let recovered = store.get_message(&reply.id).await.unwrap();
        assert_eq!(recovered.status, MessageStatus::Error);
        assert_eq!(
            recovered.error_kind.as_deref(),
            Some(INTERRUPTED_ERROR_KIND)
        );
        assert_eq!(
            recovered.error_message.as_deref(),
            Some("The app closed while this reply was streaming")
        );
        assert_eq!(recovered.text, "half", "partial text is kept for the user");
        assert_eq!(recovered.content_json, r#"[{"type":"text","text":"half"}]"#);
        let hits = store.search_messages("hal", 10).await.unwrap();
        assert!(
            hits.iter().any(|hit| hit.message_id == reply.id),
            "a recovered reply becomes searchable like a finished one"
        );
        assert_eq!(
            store.get_message(&other.id).await.unwrap().status,
            MessageStatus::Done
        );
        assert_eq!(question.status, MessageStatus::Done);
        assert_eq!(
            store.recover_interrupted_streams().await.unwrap(),
            0,
            "recovery is idempotent"
        );
    }

    #[tokio::test]
    async fn deleting_a_conversation_deletes_its_messages() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let q = message(&store, &conv, None, Role::User, "q").await;
        message(&store, &conv, Some(&q.id), Role::Assistant, "a").await;
        store.delete_conversation(&conv).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(left, 0);
    }

    /// Texts whose JSON escaping is most likely to differ between serde_json
    /// and SQLite's `json_object`.
    const ODD_TEXTS: &[&str] = &[
        "",
        "plain",
        "quotes \" and \\ backslashes / slash",
        "lines\nand\ttabs\r\u{8}\u{c}",
        "control \u{1} \u{1f} \u{7f}",
        "中文、日本語、emoji 🦀 and \u{2028}\u{2029}",
        "looks like JSON: [{\"type\":\"text\"}]",
    ];

    /// The JSON of one text block as the core writes it (`ContentBlock` puts
    /// its tag first).
    fn text_json(text: &str) -> String {
        let quoted = serde_json::to_string(text).unwrap();
        format!(r#"[{{"type":"text","text":{quoted}}}]"#)
    }

    async fn raw_content_json(store: &Store, id: &str) -> String {
        sqlx::query_scalar("SELECT content_json FROM messages WHERE id = ?")
            .bind(id)
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    #[test]
    fn only_content_that_is_exactly_the_text_is_stored_once() {
        for text in ODD_TEXTS {
            assert_eq!(stored_content_json(&text_json(text), text), "", "{text:?}");
        }
        let two_blocks = r#"[{"type":"text","text":"a"},{"type":"text","text":"b"}]"#;
        assert_eq!(stored_content_json(two_blocks, "a\nb"), two_blocks);
        let other_text = text_json("something else");
        assert_eq!(stored_content_json(&other_text, "plain"), other_text);
        let spaced = r#"[{"type": "text", "text": "plain"}]"#;
        assert_eq!(stored_content_json(spaced, "plain"), spaced);
        let tool_use = r#"[{"type":"tool_use","id":"t1","name":"x","input":{}}]"#;
        assert_eq!(stored_content_json(tool_use, ""), tool_use);
    }

    #[tokio::test]
    async fn text_is_stored_once_and_read_back_as_the_same_json() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        for text in ODD_TEXTS {
            let new = NewMessage {
                content_json: text_json(text),
                ..NewMessage::done(&conv, None, Role::User, text)
            };
            let stored = store.insert_message(&new).await.unwrap();
            assert_eq!(raw_content_json(&store, &stored.id).await, "", "{text:?}");
            assert_eq!(stored.content_json, new.content_json, "{text:?}");
            let read = store.get_message(&stored.id).await.unwrap();
            assert_eq!(read.content_json, new.content_json, "{text:?}");
            assert_eq!(read.text, *text);
        }
        // Content with more than the text keeps its JSON.
        let image = r#"[{"type":"image","source":{"type":"url","url":"https://x/a.png"}},{"type":"text","text":"look"}]"#;
        let new = NewMessage {
            content_json: image.to_owned(),
            ..NewMessage::done(&conv, None, Role::User, "look")
        };
        let stored = store.insert_message(&new).await.unwrap();
        assert_eq!(raw_content_json(&store, &stored.id).await, image);
        assert_eq!(
            store.get_message(&stored.id).await.unwrap().content_json,
            image
        );
    }

    #[tokio::test]
    async fn a_streaming_reply_and_its_finish_store_the_text_once() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let user = store
            .insert_message(&NewMessage::done(&conv, None, Role::User, "q"))
            .await
            .unwrap();
        let reply = store
            .insert_message(&streaming_reply(&conv, &user.id))
            .await
            .unwrap();
        store
            .update_streaming_content(&reply.id, &text_json("Hel"), "Hel")
            .await
            .unwrap();
        assert_eq!(raw_content_json(&store, &reply.id).await, "");
        assert_eq!(
            store.get_message(&reply.id).await.unwrap().content_json,
            text_json("Hel")
        );
        let finished = store
            .finish_message(&reply.id, &done_finish("Hello"))
            .await
            .unwrap();
        assert_eq!(raw_content_json(&store, &reply.id).await, "");
        assert_eq!(finished.content_json, text_json("Hello"));
        // The search index reads the one copy.
        let hits = store.search_messages("Hello", 10).await.unwrap();
        assert_eq!(hits.len(), 1);
    }

    #[tokio::test]
    async fn the_migration_converts_rows_stored_before_it() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let mut ids = Vec::new();
        for text in ODD_TEXTS {
            let id = store
                .insert_message(&NewMessage::done(&conv, None, Role::User, text))
                .await
                .unwrap()
                .id;
            // As a version before the migration wrote it.
            sqlx::query("UPDATE messages SET content_json = ? WHERE id = ?")
                .bind(text_json(text))
                .bind(&id)
                .execute(&store.pool)
                .await
                .unwrap();
            ids.push(id);
        }
        let kept = r#"[{"type":"text","text":"a"},{"type":"text","text":"b"}]"#;
        let other = store
            .insert_message(&NewMessage {
                content_json: kept.to_owned(),
                ..NewMessage::done(&conv, None, Role::User, "a\nb")
            })
            .await
            .unwrap();
        sqlx::query(include_str!("../migrations/0005_text_once.sql"))
            .execute(&store.pool)
            .await
            .unwrap();
        for (id, text) in ids.iter().zip(ODD_TEXTS) {
            assert_eq!(raw_content_json(&store, id).await, "", "{text:?}");
            assert_eq!(
                store.get_message(id).await.unwrap().content_json,
                text_json(text)
            );
        }
        assert_eq!(raw_content_json(&store, &other.id).await, kept);
    }
}
