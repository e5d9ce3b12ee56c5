//! Parley's local store: one SQLite database (sqlx, WAL mode) holding settings,
//! conversations, branching message trees, attachment metadata and a trigram
//! full-text index.
//!
//! The crate knows nothing about the Claude API or Tauri: message content is
//! stored as opaque JSON text plus a plain-text rendering for search, and the
//! caller converts to and from its own types. All SQL lives here; nothing
//! outside this crate writes SQL.
//!
//! # Branching model
//! Messages form a tree per conversation. Re-sending an edited prompt creates a
//! *sibling* (same parent, or a second root). Each message remembers which of
//! its children is visible (`active_child_id`) and the conversation remembers
//! its visible root (`active_root_id`), so switching back to an older branch
//! restores the sub-branches that were selected inside it.
//!
//! # Timestamps
//! Times are milliseconds since the Unix epoch from the store's own clock,
//! which never repeats or goes backwards within one process, so "newest first"
//! orderings follow the order in which operations happened.

#![warn(missing_docs)]

mod attachments;
mod bulk;
mod clock;
mod conversations;
mod error;
mod export;
mod gallery;
mod history;
mod messages;
mod open;
mod presets;
mod search;
mod settings;
mod text_find;
mod usage;

use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;

pub use attachments::{Attachment, NewAttachment};
pub use bulk::{BulkConversation, BulkMessage};
pub use conversations::{Conversation, ConversationSummary, NewConversation, TitleSource};
pub use error::StoreError;
pub use export::{ConversationBundle, ConversationRecord, Import, ImportOutcome};
pub use gallery::{GalleryCursor, GalleryImage};
pub use history::{Folder, PurgedTrash};
pub use messages::{
    ConversationLinks, ConversationTree, INTERRUPTED_ERROR_KIND, INTERRUPTED_ERROR_MESSAGE,
    MessageFinish, MessageLink, MessageStatus, NewMessage, Role, StoredMessage, StoredUsage,
    TreeNode, active_path,
};
pub use open::OpenProgress;
pub use presets::{NewPreset, StoredPreset};
pub use search::{
    SNIPPET_END, SNIPPET_START, SearchHit, SearchParam, SearchPath, SearchStatement,
    search_statement,
};
pub use usage::ModelUsage;

/// [`Store::close`] waits at most this many steps for lingering connections.
const CLOSE_WAIT_STEPS: u32 = 200;
const CLOSE_WAIT_STEP: Duration = Duration::from_millis(5);

/// A handle to the database. Cheap to clone: clones share one connection pool
/// and one clock.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Searches only (see `open.rs`): one long-lived connection whose page
    /// and statement caches stay hot from one keystroke to the next. For an
    /// in-memory store this is `pool` itself.
    search_pool: SqlitePool,
    clock: Arc<clock::Clock>,
}

impl Store {
    /// Folds the WAL into the main database file and closes every pooled
    /// connection, so that afterwards the file alone is the complete database
    /// and no handle holds it. Call on shutdown; later calls on any clone fail
    /// with [`StoreError::Sqlx`] (pool closed).
    pub async fn close(&self) {
        // Checkpoint explicitly rather than relying on SQLite doing it when
        // the last connection closes: that only happens if every connection
        // really is closed by then (see below).
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(%err, "could not checkpoint the database before closing");
        }
        // The search connection first, so the last connection to close is a
        // writer's, which removes the emptied WAL.
        self.search_pool.close().await;
        self.pool.close().await;
        // sqlx hands released connections back to the pool from a background
        // task, so one released just before `close` can outlive it briefly.
        // Wait for it (bounded), so callers may move or copy the file next.
        for _ in 0..CLOSE_WAIT_STEPS {
            if self.pool.size() == 0 && self.search_pool.size() == 0 {
                break;
            }
            tokio::time::sleep(CLOSE_WAIT_STEP).await;
        }
    }

    /// The next timestamp from the store's monotonic clock.
    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// A fresh UUID v7 as text: time-ordered, so it doubles as a tie-breaker
/// between rows created in the same millisecond.
fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod test_support {
    use crate::{NewAttachment, NewConversation, NewMessage, Role, Store, StoredMessage};

    /// The ids of `messages`, in order.
    pub fn ids(messages: &[StoredMessage]) -> Vec<&str> {
        messages.iter().map(|m| m.id.as_str()).collect()
    }

    pub async fn memory_store() -> Store {
        Store::open_in_memory().await.unwrap()
    }

    pub async fn conversation(store: &Store, title: &str) -> String {
        store
            .create_conversation(&NewConversation {
                title: title.to_owned(),
                model: "claude-test".to_owned(),
                system_prompt: None,
            })
            .await
            .unwrap()
            .id
    }

    pub async fn message(
        store: &Store,
        conversation_id: &str,
        parent_id: Option<&str>,
        role: Role,
        text: &str,
    ) -> StoredMessage {
        store
            .insert_message(&NewMessage::done(conversation_id, parent_id, role, text))
            .await
            .unwrap()
    }

    /// An image attachment at `position`: PNG at even positions, JPEG at odd ones.
    pub fn image(position: i64, sha256: &str) -> NewAttachment {
        NewAttachment {
            position,
            sha256: sha256.to_owned(),
            media_type: if position % 2 == 0 {
                "image/png"
            } else {
                "image/jpeg"
            }
            .to_owned(),
            width: Some(640 + position),
            height: Some(480),
            byte_len: 100,
            blob_path: None,
        }
    }

    /// A user message carrying `hashes` as its images, in that order.
    pub async fn with_images(
        store: &Store,
        conversation_id: &str,
        parent: Option<&str>,
        hashes: &[&str],
    ) -> String {
        let attachments: Vec<NewAttachment> = hashes
            .iter()
            .enumerate()
            .map(|(i, h)| image(i as i64, h))
            .collect();
        store
            .insert_message_with_attachments(
                &NewMessage::done(conversation_id, parent, Role::User, "look"),
                &attachments,
            )
            .await
            .unwrap()
            .id
    }

    impl NewMessage {
        /// A finished message whose content is one text block.
        pub fn done(
            conversation_id: &str,
            parent_id: Option<&str>,
            role: Role,
            text: &str,
        ) -> NewMessage {
            NewMessage {
                conversation_id: conversation_id.to_owned(),
                parent_id: parent_id.map(str::to_owned),
                role,
                content_json: format!(r#"[{{"type":"text","text":{text:?}}}]"#),
                text: text.to_owned(),
                model: None,
                status: crate::MessageStatus::Done,
            }
        }
    }
}
