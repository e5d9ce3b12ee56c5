//! Bulk insertion of whole conversations with their own timestamps, many per
//! transaction: for generated histories (the history benchmark seeds a
//! million messages this way) where one transaction per message would take
//! hours.
//!
//! Rows go through the same schema as everything else: the FTS triggers
//! index each message, foreign keys are checked, and the branch pointers
//! (`active_root_id`, `active_child_id`) are set so the messages form the
//! visible branch. Only the caller-chosen timestamps differ from
//! [`Store::insert_message`], which stamps rows with the store's clock.

use crate::messages::stored_content_json;
use crate::{MessageStatus, Role, Store, StoreError, StoredUsage, new_id};

/// A conversation to insert with [`Store::insert_conversations_bulk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkConversation {
    /// The (automatic) title.
    pub title: String,
    /// The model new replies use.
    pub model: String,
    /// The system prompt, if any.
    pub system_prompt: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The messages, oldest first; each one follows the one before it, so
    /// together they are the visible branch.
    pub messages: Vec<BulkMessage>,
}

/// One message of a [`BulkConversation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkMessage {
    /// Who wrote it.
    pub role: Role,
    /// The content blocks as JSON.
    pub content_json: String,
    /// The plain text of the content, for search.
    pub text: String,
    /// The model that wrote it (replies only).
    pub model: Option<String>,
    /// `Done`, `Error` or `Cancelled`: a bulk-inserted reply has no stream
    /// job that could ever finish it, so `Streaming` is refused.
    pub status: MessageStatus,
    /// Why generation stopped, as the API said.
    pub stop_reason: Option<String>,
    /// Token counts.
    pub usage: StoredUsage,
    /// The API's request id.
    pub request_id: Option<String>,
    /// Milliseconds since the Unix epoch; never earlier than the message
    /// before it.
    pub created_at: i64,
}

impl Store {
    /// Inserts `conversations` with all their messages in one transaction
    /// (all or nothing) and returns their new ids, in order.
    ///
    /// A conversation's last activity (`updated_at`) is its last message's
    /// time. Insert histories oldest first: search lists hits in storage
    /// order, newest stored first (see [`Store::search_messages`]).
    ///
    /// Fails with [`StoreError::Invalid`], inserting nothing, for a
    /// `Streaming` message or messages out of time order.
    pub async fn insert_conversations_bulk(
        &self,
        conversations: &[BulkConversation],
    ) -> Result<Vec<String>, StoreError> {
        for conversation in conversations {
            check(conversation)?;
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Messages link to their parent and visible child by `seq` (migrations/0007), so the
        // rows get theirs here, in order after every stored one (as SQLite would number them;
        // nothing else writes during the transaction), and each row is written once, already
        // pointing at its visible child.
        let mut seq: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) + 1 FROM messages")
            .fetch_one(&mut *tx)
            .await?;
        let mut ids = Vec::with_capacity(conversations.len());
        for conversation in conversations {
            let id = new_id();
            let message_ids: Vec<String> = conversation.messages.iter().map(|_| new_id()).collect();
            let updated_at = conversation
                .messages
                .last()
                .map_or(conversation.created_at, |m| m.created_at);
            let conversation_seq: i64 = sqlx::query_scalar(
                "INSERT INTO conversations
                     (id, title, title_source, model, system_prompt, active_root_id,
                      created_at, updated_at)
                 VALUES (?, ?, 'auto', ?, ?, ?, ?, ?)
                 RETURNING seq",
            )
            .bind(&id)
            .bind(&conversation.title)
            .bind(&conversation.model)
            .bind(&conversation.system_prompt)
            .bind(message_ids.first())
            .bind(conversation.created_at)
            .bind(updated_at)
            .fetch_one(&mut *tx)
            .await?;
            for (i, message) in conversation.messages.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO messages
                         (seq, id, conversation_seq, parent_seq, role, content_json, text, model,
                          status, stop_reason, input_tokens, output_tokens,
                          cache_creation_input_tokens, cache_read_input_tokens, request_id,
                          active_child_seq, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(seq)
                .bind(&message_ids[i])
                .bind(conversation_seq)
                .bind(i.checked_sub(1).map(|_| seq - 1))
                .bind(message.role)
                .bind(stored_content_json(&message.content_json, &message.text))
                .bind(&message.text)
                .bind(&message.model)
                .bind(message.status)
                .bind(&message.stop_reason)
                .bind(message.usage.input_tokens)
                .bind(message.usage.output_tokens)
                .bind(message.usage.cache_creation_input_tokens)
                .bind(message.usage.cache_read_input_tokens)
                .bind(&message.request_id)
                .bind((i + 1 < message_ids.len()).then_some(seq + 1))
                .bind(message.created_at)
                .bind(message.created_at)
                .execute(&mut *tx)
                .await?;
                seq += 1;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }
}

fn check(conversation: &BulkConversation) -> Result<(), StoreError> {
    let mut previous = i64::MIN;
    for message in &conversation.messages {
        if message.status == MessageStatus::Streaming {
            return Err(StoreError::Invalid(format!(
                "conversation {:?}: a bulk-inserted message cannot be streaming",
                conversation.title
            )));
        }
        if message.created_at < previous {
            return Err(StoreError::Invalid(format!(
                "conversation {:?}: messages must be in time order",
                conversation.title
            )));
        }
        previous = message.created_at;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::memory_store;

    fn message(role: Role, text: &str, created_at: i64) -> BulkMessage {
        BulkMessage {
            role,
            content_json: format!(r#"[{{"type":"text","text":{text:?}}}]"#),
            text: text.to_owned(),
            model: (role == Role::Assistant).then(|| "claude-test".to_owned()),
            status: MessageStatus::Done,
            stop_reason: (role == Role::Assistant).then(|| "end_turn".to_owned()),
            usage: StoredUsage {
                input_tokens: Some(12),
                output_tokens: Some(34),
                ..StoredUsage::default()
            },
            request_id: None,
            created_at,
        }
    }

    fn conversation(title: &str, created_at: i64, texts: &[&str]) -> BulkConversation {
        BulkConversation {
            title: title.to_owned(),
            model: "claude-test".to_owned(),
            system_prompt: None,
            created_at,
            messages: texts
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let role = if i % 2 == 0 {
                        Role::User
                    } else {
                        Role::Assistant
                    };
                    message(role, text, created_at + 1_000 * i as i64)
                })
                .collect(),
        }
    }

    #[tokio::test]
    async fn conversations_arrive_whole_with_their_times_branch_and_index() {
        let store = memory_store().await;
        let ids = store
            .insert_conversations_bulk(&[
                conversation("older", 1_000_000, &["otters?", "Otters swim.", "more"]),
                conversation("newer", 2_000_000, &["数据库的全文搜索", "好的"]),
            ])
            .await
            .unwrap();
        assert_eq!(ids.len(), 2);

        let path = store.active_path(&ids[0]).await.unwrap();
        let texts: Vec<&str> = path.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["otters?", "Otters swim.", "more"]);
        let times: Vec<i64> = path.iter().map(|m| m.created_at).collect();
        assert_eq!(times, [1_000_000, 1_001_000, 1_002_000]);
        assert_eq!(path[1].role, Role::Assistant);
        assert_eq!(path[1].usage.output_tokens, Some(34));
        assert_eq!(path[1].stop_reason.as_deref(), Some("end_turn"));

        let listed = store.list_conversations(-1).await.unwrap();
        let order: Vec<&str> = listed.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(order, ["newer", "older"], "most recently active first");
        assert_eq!(listed[1].created_at, 1_000_000);
        assert_eq!(listed[1].updated_at, 1_002_000, "the last message's time");

        let hits = store.search_messages("otters", 10).await.unwrap();
        assert_eq!(hits.len(), 2, "the FTS triggers indexed every message");
        assert_eq!(
            store.search_messages("全文搜索", 10).await.unwrap().len(),
            1
        );
        sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&store.pool)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_invalid_conversation_inserts_nothing() {
        let store = memory_store().await;
        let mut streaming = conversation("streaming", 1_000, &["a", "b"]);
        streaming.messages[1].status = MessageStatus::Streaming;
        let mut unordered = conversation("unordered", 1_000, &["a", "b"]);
        unordered.messages[1].created_at = 0;
        for bad in [streaming, unordered] {
            let batch = [conversation("fine", 500, &["ok"]), bad];
            assert!(matches!(
                store.insert_conversations_bulk(&batch).await.unwrap_err(),
                StoreError::Invalid(_)
            ));
        }
        assert!(store.list_conversations(-1).await.unwrap().is_empty());
    }
}
