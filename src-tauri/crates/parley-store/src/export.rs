//! Whole conversations out and back in, for export and import: every column of the
//! conversation, every message of every branch and every attachment row, written back with
//! their original ids so that a second import of the same file finds them and adds nothing.
//!
//! Image bytes are not the store's business (they live beside the database); the caller
//! exports and imports them alongside.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::messages::{
    conversation_id_column, conversation_seq_of, message_columns, stored_content_json,
};
use crate::{
    Attachment, Folder, INTERRUPTED_ERROR_KIND, INTERRUPTED_ERROR_MESSAGE, MessageStatus, Store,
    StoreError, StoredMessage, StoredPreset, TitleSource,
};

/// Every column of a `conversations` row, including the ones the app's own views leave out
/// (folder, trash time, the cost of automatic titles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ConversationRecord {
    /// UUID v7 (any non-empty text on import).
    pub id: String,
    /// Shown in the sidebar.
    pub title: String,
    /// Whether the title may still be replaced automatically.
    pub title_source: TitleSource,
    /// The model new replies use.
    pub model: String,
    /// The system prompt, if any.
    pub system_prompt: Option<String>,
    /// Other request parameters as a JSON object, owned by the caller.
    pub params_json: String,
    /// The root message of the visible branch (may dangle).
    pub active_root_id: Option<String>,
    /// Listed first in the sidebar.
    pub pinned: bool,
    /// The folder it is in, if any.
    pub folder_id: Option<String>,
    /// When it was moved to the trash, if it is there.
    pub deleted_at: Option<i64>,
    /// Input tokens spent on automatic titles.
    pub title_input_tokens: Option<i64>,
    /// Output tokens spent on automatic titles.
    pub title_output_tokens: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last activity, in milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// A conversation with everything that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationBundle {
    /// The conversation row.
    pub conversation: ConversationRecord,
    /// Every message on every branch, oldest first (by `created_at`, then id), so a parent
    /// always comes before its children.
    pub messages: Vec<StoredMessage>,
    /// Every attachment of those messages, by message order, then position.
    pub attachments: Vec<Attachment>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Conversations inserted.
    pub imported: u64,
    /// Conversations left out because one with the same id already exists (live or in the
    /// trash).
    pub skipped: u64,
    /// Messages inserted.
    pub messages: u64,
    /// Folders created (the ones that were not there yet).
    pub folders: u64,
    /// Presets added (the ones whose id was not there yet).
    pub presets: u64,
}

macro_rules! record_columns {
    () => {
        "id, title, title_source, model, system_prompt, params_json, active_root_id, pinned, \
         folder_id, deleted_at, title_input_tokens, title_output_tokens, created_at, updated_at"
    };
}

impl Store {
    /// The ids of every live conversation (the trash is left out), oldest first: what "export
    /// everything" exports.
    pub async fn exportable_conversation_ids(&self) -> Result<Vec<String>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE deleted_at IS NULL ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    /// The conversation with every message and attachment, read in one transaction so the
    /// three parts agree even while a reply is being written.
    pub async fn conversation_bundle(&self, id: &str) -> Result<ConversationBundle, StoreError> {
        let mut tx = self.pool.begin().await?;
        let conversation: ConversationRecord = sqlx::query_as(concat!(
            "SELECT ",
            record_columns!(),
            " FROM conversations WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("conversation", id))?;
        let messages: Vec<StoredMessage> = sqlx::query_as(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE conversation_seq = ",
            conversation_seq_of!(),
            " ORDER BY created_at, id"
        ))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let attachments: Vec<Attachment> = sqlx::query_as(concat!(
            "SELECT a.id, a.message_id, a.position, a.sha256, a.media_type, a.width, a.height,
                    a.byte_len, a.blob_path, a.created_at
             FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE m.conversation_seq = ",
            conversation_seq_of!(),
            " ORDER BY m.created_at, m.id, a.position, a.id"
        ))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ConversationBundle {
            conversation,
            messages,
            attachments,
        })
    }

    /// Inserts the folders and conversations with their original ids and times, all in one
    /// transaction: on any error nothing is written. [`Store::begin_import`] does the same
    /// one conversation at a time, for files too large to hold.
    ///
    /// Fails with [`StoreError::Invalid`] as [`Import::add_conversation`] does.
    pub async fn import_conversations(
        &self,
        folders: &[Folder],
        bundles: &[ConversationBundle],
    ) -> Result<ImportOutcome, StoreError> {
        let mut import = self.begin_import().await?;
        for folder in folders {
            import.add_folder(folder).await?;
        }
        for bundle in bundles {
            import.add_conversation(bundle).await?;
        }
        import.commit().await
    }

    /// Starts an import: one write transaction that conversations and folders are added to in
    /// any order, as a file is read, and that is committed only when the whole file was good.
    /// Dropping the [`Import`] without [`Import::commit`] writes nothing.
    ///
    /// The transaction holds SQLite's write lock until it ends (reads go on, from the WAL's
    /// last commit); its pending pages spill to the WAL file, not memory, so its size is not
    /// bounded by memory.
    pub async fn begin_import(&self) -> Result<Import, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Folders come after the conversations in an export file: a conversation may name a
        // folder that is only added later. The foreign key is checked at commit instead, and
        // `commit` first drops the folder ids that never arrived.
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut *tx)
            .await?;
        // SQLite gives a new row the largest rowid plus one, and nothing else writes while
        // the transaction holds the write lock: the rows above these are this import's.
        let conversations_before: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM conversations")
                .fetch_one(&mut *tx)
                .await?;
        let attachments_before: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM attachments")
                .fetch_one(&mut *tx)
                .await?;
        Ok(Import {
            tx,
            conversations_before,
            attachments_before,
            outcome: ImportOutcome::default(),
        })
    }
}

/// An import under way: see [`Store::begin_import`]. Rolled back when dropped uncommitted.
pub struct Import {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    /// The largest rowid of `conversations` before the import: the rows above are new.
    conversations_before: i64,
    /// The largest rowid of `attachments` before the import: the rows above are new.
    attachments_before: i64,
    outcome: ImportOutcome,
}

impl Import {
    /// Adds a folder; one whose id exists is left as it is (not renamed).
    pub async fn add_folder(&mut self, folder: &Folder) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO folders (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&folder.id)
        .bind(&folder.name)
        .bind(folder.created_at)
        .bind(folder.updated_at)
        .execute(&mut *self.tx)
        .await?;
        self.outcome.folders += result.rows_affected();
        Ok(())
    }

    /// Adds a preset with its original id and times; returns whether it was added.
    ///
    /// - A preset whose id exists is left as it is (never overwritten), so importing the same
    ///   file twice adds nothing the second time.
    /// - It arrives as the default only when it is the default in the file and the database
    ///   has no default yet (this import's earlier presets included): an import never takes
    ///   the default away from the user's own choice, and never trips the one-default index.
    pub async fn add_preset(&mut self, preset: &StoredPreset) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO presets (id, name, model, system_prompt, params_json, is_default,
                                  created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5,
                     ?6 AND NOT EXISTS (SELECT 1 FROM presets WHERE is_default = 1),
                     ?7, ?8)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&preset.id)
        .bind(&preset.name)
        .bind(&preset.model)
        .bind(&preset.system_prompt)
        .bind(&preset.params_json)
        .bind(preset.is_default)
        .bind(preset.created_at)
        .bind(preset.updated_at)
        .execute(&mut *self.tx)
        .await?;
        let added = result.rows_affected() == 1;
        self.outcome.presets += u64::from(added);
        Ok(added)
    }

    /// Adds a conversation with its messages and attachments; returns whether it was added.
    ///
    /// - A conversation whose id exists (live or in the trash) is skipped, so importing the
    ///   same file twice adds nothing the second time.
    /// - A conversation in a folder that is neither here nor added to this import by the time
    ///   it commits goes in no folder.
    /// - A message still `streaming` in the file becomes `error` / [`INTERRUPTED_ERROR_KIND`]:
    ///   no stream will ever finish it here.
    ///
    /// Fails with [`StoreError::Invalid`] when the bundle contradicts itself or the database
    /// (see [`ConversationBundle::check`]; also a message or attachment id already used by
    /// another conversation). The caller then drops the import: nothing of it is written.
    pub async fn add_conversation(
        &mut self,
        bundle: &ConversationBundle,
    ) -> Result<bool, StoreError> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM conversations WHERE id = ?")
            .bind(&bundle.conversation.id)
            .fetch_optional(&mut *self.tx)
            .await?;
        if exists.is_some() {
            self.outcome.skipped += 1;
            return Ok(false);
        }
        self.outcome.messages += insert_bundle(&mut self.tx, bundle).await?;
        self.outcome.imported += 1;
        Ok(true)
    }

    /// Whether a conversation this import added has an attachment with the image `sha256`:
    /// the image files an import must keep.
    pub async fn adds_image(&mut self, sha256: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM attachments WHERE sha256 = ? AND rowid > ? LIMIT 1")
                .bind(sha256)
                .bind(self.attachments_before)
                .fetch_optional(&mut *self.tx)
                .await?;
        Ok(found.is_some())
    }

    /// Writes everything added, after dropping folder ids that no folder answers.
    pub async fn commit(mut self) -> Result<ImportOutcome, StoreError> {
        sqlx::query(
            "UPDATE conversations SET folder_id = NULL
             WHERE rowid > ? AND folder_id IS NOT NULL
               AND folder_id NOT IN (SELECT id FROM folders)",
        )
        .bind(self.conversations_before)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(self.outcome)
    }

    /// Writes nothing. Dropping the import does the same, a little later (when the connection
    /// is next used).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl ConversationBundle {
    /// Checks what the bundle can get wrong by itself, without a database: every message
    /// belongs to the conversation, no message id repeats, every parent is in the
    /// conversation (which rules out cycles), every attachment belongs to one of its messages.
    /// Fails with [`StoreError::Invalid`] saying which.
    pub fn check(&self) -> Result<(), StoreError> {
        parents_first(self)?;
        stray_attachment(self)
    }
}

/// Fails when an attachment belongs to a message the bundle does not have.
fn stray_attachment(bundle: &ConversationBundle) -> Result<(), StoreError> {
    let message_ids: HashSet<&str> = bundle.messages.iter().map(|m| m.id.as_str()).collect();
    match bundle
        .attachments
        .iter()
        .find(|a| !message_ids.contains(a.message_id.as_str()))
    {
        Some(stray) => Err(StoreError::Invalid(format!(
            "attachment {} of conversation {} belongs to message {}, which the conversation does \
             not have",
            stray.id, bundle.conversation.id, stray.message_id
        ))),
        None => Ok(()),
    }
}

/// Inserts one conversation that does not exist yet; returns how many messages it has.
async fn insert_bundle(
    connection: &mut SqliteConnection,
    bundle: &ConversationBundle,
) -> Result<u64, StoreError> {
    let conversation = &bundle.conversation;
    // Everything the bundle can get wrong by itself is checked before the first write.
    let ordered = parents_first(bundle)?;
    stray_attachment(bundle)?;
    sqlx::query(concat!(
        "INSERT INTO conversations (",
        record_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&conversation.id)
    .bind(&conversation.title)
    .bind(conversation.title_source)
    .bind(&conversation.model)
    .bind(&conversation.system_prompt)
    .bind(&conversation.params_json)
    .bind(&conversation.active_root_id)
    .bind(conversation.pinned)
    .bind(&conversation.folder_id)
    .bind(conversation.deleted_at)
    .bind(conversation.title_input_tokens)
    .bind(conversation.title_output_tokens)
    .bind(conversation.created_at)
    .bind(conversation.updated_at)
    .execute(&mut *connection)
    .await?;

    for message in ordered {
        let taken: Option<String> = sqlx::query_scalar(concat!(
            "SELECT ",
            conversation_id_column!(),
            " FROM messages WHERE id = ?"
        ))
        .bind(&message.id)
        .fetch_optional(&mut *connection)
        .await?;
        if let Some(owner) = taken {
            return Err(StoreError::Invalid(format!(
                "message {} of conversation {} already exists in conversation {owner}",
                message.id, conversation.id
            )));
        }
        insert_message_row(connection, message).await?;
    }
    // A message names its visible child by the child's `seq` (migrations/0007), which exists
    // only once the child is stored; one that names no message of the bundle keeps none.
    for message in &bundle.messages {
        if let Some(child) = &message.active_child_id {
            sqlx::query(concat!(
                "UPDATE messages
                 SET active_child_seq = (SELECT seq FROM messages
                                         WHERE id = ?1 AND conversation_seq = ",
                conversation_seq_of!("?3"),
                ")
                 WHERE id = ?2"
            ))
            .bind(child)
            .bind(&message.id)
            .bind(&conversation.id)
            .execute(&mut *connection)
            .await?;
        }
    }

    for attachment in &bundle.attachments {
        let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM attachments WHERE id = ?")
            .bind(&attachment.id)
            .fetch_optional(&mut *connection)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Invalid(format!(
                "attachment id {} is used twice",
                attachment.id
            )));
        }
        sqlx::query(
            "INSERT INTO attachments (id, message_id, position, sha256, media_type, width,
                                      height, byte_len, blob_path, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&attachment.id)
        .bind(&attachment.message_id)
        .bind(attachment.position)
        .bind(&attachment.sha256)
        .bind(&attachment.media_type)
        .bind(attachment.width)
        .bind(attachment.height)
        .bind(attachment.byte_len)
        .bind(&attachment.blob_path)
        .bind(attachment.created_at)
        .execute(&mut *connection)
        .await?;
    }
    Ok(bundle.messages.len() as u64)
}

async fn insert_message_row(
    connection: &mut SqliteConnection,
    message: &StoredMessage,
) -> Result<(), StoreError> {
    let (status, error_kind, error_message) = if message.status == MessageStatus::Streaming {
        (
            MessageStatus::Error,
            Some(INTERRUPTED_ERROR_KIND.to_owned()),
            Some(INTERRUPTED_ERROR_MESSAGE.to_owned()),
        )
    } else {
        (
            message.status,
            message.error_kind.clone(),
            message.error_message.clone(),
        )
    };
    sqlx::query(concat!(
        "INSERT INTO messages (id, conversation_seq, parent_seq, role, content_json, text, model,
                               status, stop_reason, stop_sequence, input_tokens, output_tokens,
                               cache_creation_input_tokens, cache_read_input_tokens, error_kind,
                               error_message, request_id, created_at, updated_at, prefill)
         VALUES (?, ",
        conversation_seq_of!(),
        ", (SELECT seq FROM messages WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                 ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&message.id)
    .bind(&message.conversation_id)
    .bind(&message.parent_id)
    .bind(message.role)
    .bind(stored_content_json(&message.content_json, &message.text))
    .bind(&message.text)
    .bind(&message.model)
    .bind(status)
    .bind(&message.stop_reason)
    .bind(&message.stop_sequence)
    .bind(message.usage.input_tokens)
    .bind(message.usage.output_tokens)
    .bind(message.usage.cache_creation_input_tokens)
    .bind(message.usage.cache_read_input_tokens)
    .bind(error_kind)
    .bind(error_message)
    .bind(&message.request_id)
    .bind(message.created_at)
    .bind(message.updated_at)
    .bind(&message.prefill)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The bundle's messages ordered so every parent is inserted before its children (the
/// `parent_id` foreign key needs it), whatever order the file listed them in. Checks that each
/// message belongs to the conversation, that no id repeats and that every parent is in the
/// conversation (which also rules out cycles).
fn parents_first(bundle: &ConversationBundle) -> Result<Vec<&StoredMessage>, StoreError> {
    let conversation_id = &bundle.conversation.id;
    let mut children: HashMap<Option<&str>, Vec<&StoredMessage>> = HashMap::new();
    let mut ids = HashSet::new();
    for message in &bundle.messages {
        if &message.conversation_id != conversation_id {
            return Err(StoreError::Invalid(format!(
                "message {} is listed in conversation {conversation_id} but belongs to {}",
                message.id, message.conversation_id
            )));
        }
        if !ids.insert(message.id.as_str()) {
            return Err(StoreError::Invalid(format!(
                "message id {} is used twice in conversation {conversation_id}",
                message.id
            )));
        }
        children
            .entry(message.parent_id.as_deref())
            .or_default()
            .push(message);
    }
    let mut ordered = Vec::with_capacity(bundle.messages.len());
    let mut frontier: Vec<Option<&str>> = vec![None];
    while let Some(parent) = frontier.pop() {
        for message in children.remove(&parent).unwrap_or_default() {
            frontier.push(Some(message.id.as_str()));
            ordered.push(message);
        }
    }
    if let Some(orphan) = children.values().flatten().next() {
        return Err(StoreError::Invalid(format!(
            "message {} of conversation {conversation_id} follows message {}, which is not in \
             that conversation or never leads back to a first message",
            orphan.id,
            orphan.parent_id.as_deref().unwrap_or_default()
        )));
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{conversation, memory_store, message};
    use crate::{MessageFinish, NewAttachment, NewMessage, Role, StoredUsage};

    async fn count(store: &Store, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    /// A conversation in a folder with a regenerated reply, an edited prompt, an image and a
    /// user title: every kind of row and column the export has to carry.
    async fn rich_conversation(store: &Store) -> String {
        let folder = store.create_folder("Work").await.unwrap();
        let id = conversation(store, "Trip").await;
        store.rename_conversation(&id, "My trip").await.unwrap();
        store.set_pinned(&id, true).await.unwrap();
        store
            .move_to_folder(std::slice::from_ref(&id), Some(&folder.id))
            .await
            .unwrap();
        store.record_title_usage(&id, 30, 5).await.unwrap();
        store
            .set_params(&id, r#"{"temperature":0.3,"stop_sequences":["END"]}"#)
            .await
            .unwrap();
        let question = store
            .insert_message_with_attachments(
                &NewMessage::done(&id, None, Role::User, "Where to go?"),
                &[NewAttachment {
                    position: 0,
                    sha256: "ab".repeat(32),
                    media_type: "image/png".into(),
                    width: Some(3),
                    height: Some(2),
                    byte_len: 70,
                    blob_path: Some(format!("images/{}", "ab".repeat(32))),
                }],
            )
            .await
            .unwrap();
        let first = message(store, &id, Some(&question.id), Role::Assistant, "Lisbon").await;
        let second = message(store, &id, Some(&question.id), Role::Assistant, "Porto").await;
        store
            .finish_message(
                &second.id,
                &MessageFinish {
                    status: MessageStatus::Done,
                    content_json: r#"[{"type":"text","text":"Porto"}]"#.into(),
                    text: "Porto".into(),
                    stop_reason: Some("end_turn".into()),
                    stop_sequence: None,
                    usage: StoredUsage {
                        input_tokens: Some(11),
                        output_tokens: Some(3),
                        cache_creation_input_tokens: Some(0),
                        cache_read_input_tokens: Some(7),
                    },
                    error_kind: None,
                    error_message: None,
                    request_id: Some("req_1".into()),
                },
            )
            .await
            .unwrap();
        message(store, &id, None, Role::User, "Where to go in May?").await;
        store.select_branch(&first.id).await.unwrap();
        id
    }

    #[tokio::test]
    async fn a_bundle_holds_every_branch_attachment_and_column() {
        let store = memory_store().await;
        let id = rich_conversation(&store).await;
        let bundle = store.conversation_bundle(&id).await.unwrap();
        let record = &bundle.conversation;
        assert_eq!(record.title, "My trip");
        assert_eq!(record.title_source, TitleSource::User);
        assert!(record.pinned);
        assert!(record.folder_id.is_some());
        assert_eq!(
            (record.title_input_tokens, record.title_output_tokens),
            (Some(30), Some(5))
        );
        assert_eq!(
            record.params_json,
            r#"{"temperature":0.3,"stop_sequences":["END"]}"#
        );
        assert_eq!(
            bundle.messages,
            store.messages_in_conversation(&id).await.unwrap(),
            "every message of every branch, as stored"
        );
        assert_eq!(bundle.messages.len(), 4);
        assert_eq!(bundle.attachments.len(), 1);
        assert_eq!(bundle.attachments[0].message_id, bundle.messages[0].id);
        assert!(matches!(
            store.conversation_bundle("nope").await.unwrap_err(),
            StoreError::NotFound(_)
        ));
    }

    #[tokio::test]
    async fn everything_means_the_live_conversations_oldest_first() {
        let store = memory_store().await;
        let older = conversation(&store, "older").await;
        let trashed = conversation(&store, "trashed").await;
        let newer = conversation(&store, "newer").await;
        store.trash_conversations(&[trashed]).await.unwrap();
        assert_eq!(
            store.exportable_conversation_ids().await.unwrap(),
            [older, newer]
        );
    }

    #[tokio::test]
    async fn import_recreates_the_same_rows_and_skips_them_the_second_time() {
        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let bundle = source.conversation_bundle(&id).await.unwrap();
        let folders = source.list_folders().await.unwrap();

        let target = memory_store().await;
        let outcome = target
            .import_conversations(&folders, std::slice::from_ref(&bundle))
            .await
            .unwrap();
        assert_eq!(
            (
                outcome.imported,
                outcome.skipped,
                outcome.messages,
                outcome.folders
            ),
            (1, 0, 4, 1)
        );
        assert_eq!(target.conversation_bundle(&id).await.unwrap(), bundle);
        assert_eq!(target.list_folders().await.unwrap(), folders);
        assert_eq!(
            target.active_path(&id).await.unwrap(),
            source.active_path(&id).await.unwrap(),
            "the same branch is shown"
        );
        let hits = target.search_messages("Lisbon", 10).await.unwrap();
        assert_eq!(hits.len(), 1, "the search index is kept by the triggers");

        let again = target
            .import_conversations(&folders, std::slice::from_ref(&bundle))
            .await
            .unwrap();
        assert_eq!(
            (again.imported, again.skipped, again.messages, again.folders),
            (0, 1, 0, 0)
        );
        assert_eq!(count(&target, "conversations").await, 1);
        assert_eq!(count(&target, "messages").await, 4);
        assert_eq!(count(&target, "attachments").await, 1);
        assert_eq!(count(&target, "folders").await, 1);
    }

    #[tokio::test]
    async fn an_existing_folder_is_kept_and_an_unknown_one_is_dropped() {
        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let mut bundle = source.conversation_bundle(&id).await.unwrap();
        let mut folders = source.list_folders().await.unwrap();

        let target = memory_store().await;
        target.import_conversations(&folders, &[]).await.unwrap();
        folders[0].name = "Renamed in the file".into();
        let outcome = target.import_conversations(&folders, &[]).await.unwrap();
        assert_eq!(outcome.folders, 0);
        assert_eq!(target.list_folders().await.unwrap()[0].name, "Work");

        bundle.conversation.folder_id = Some("not-in-the-file".into());
        target.import_conversations(&[], &[bundle]).await.unwrap();
        let record = target.conversation_bundle(&id).await.unwrap().conversation;
        assert_eq!(record.folder_id, None);
    }

    #[tokio::test]
    async fn a_folder_added_after_its_conversation_keeps_it_in_the_folder() {
        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let bundle = source.conversation_bundle(&id).await.unwrap();
        let folders = source.list_folders().await.unwrap();

        // An export file lists the folders after the conversations.
        let target = memory_store().await;
        let mut import = target.begin_import().await.unwrap();
        assert!(import.add_conversation(&bundle).await.unwrap());
        import.add_folder(&folders[0]).await.unwrap();
        let outcome = import.commit().await.unwrap();
        assert_eq!((outcome.imported, outcome.folders), (1, 1));
        let record = target.conversation_bundle(&id).await.unwrap().conversation;
        assert_eq!(
            record.folder_id,
            Some(folders[0].id.clone()),
            "a folder that arrives later still holds its conversation"
        );
    }

    #[tokio::test]
    async fn an_import_dropped_or_rolled_back_writes_nothing() {
        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let bundle = source.conversation_bundle(&id).await.unwrap();
        let folders = source.list_folders().await.unwrap();
        let target = memory_store().await;
        let before = table_counts(&target).await;

        let mut import = target.begin_import().await.unwrap();
        import.add_folder(&folders[0]).await.unwrap();
        import.add_conversation(&bundle).await.unwrap();
        import.rollback().await.unwrap();
        assert_eq!(table_counts(&target).await, before, "rolled back");

        let mut import = target.begin_import().await.unwrap();
        import.add_conversation(&bundle).await.unwrap();
        drop(import);
        assert_eq!(table_counts(&target).await, before, "dropped");
    }

    #[tokio::test]
    async fn adds_image_answers_for_this_imports_attachments_only() {
        let target = memory_store().await;
        let here = conversation(&target, "here").await;
        let old_hash = "aa".repeat(32);
        target
            .insert_message_with_attachments(
                &NewMessage::done(&here, None, Role::User, "old"),
                &[crate::test_support::image(0, &old_hash)],
            )
            .await
            .unwrap();

        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let bundle = source.conversation_bundle(&id).await.unwrap();
        let new_hash = bundle.attachments[0].sha256.clone();

        let mut import = target.begin_import().await.unwrap();
        assert!(
            !import.adds_image(&new_hash).await.unwrap(),
            "nothing added yet"
        );
        import.add_conversation(&bundle).await.unwrap();
        assert!(import.adds_image(&new_hash).await.unwrap());
        assert!(
            !import.adds_image(&old_hash).await.unwrap(),
            "an image only older conversations use is not this import's"
        );
        import.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_bundle_checks_itself_without_a_database() {
        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let good = source.conversation_bundle(&id).await.unwrap();
        good.check().unwrap();
        let mut orphan = good.clone();
        orphan.messages[1].parent_id = Some("missing".into());
        assert!(matches!(orphan.check(), Err(StoreError::Invalid(_))));
        let mut stray = good.clone();
        stray.attachments[0].message_id = "missing".into();
        assert!(
            matches!(stray.check(), Err(StoreError::Invalid(text)) if text.contains("does not have"))
        );
    }

    #[tokio::test]
    async fn a_streaming_message_arrives_as_interrupted_and_searchable() {
        let source = memory_store().await;
        let id = conversation(&source, "c").await;
        let question = message(&source, &id, None, Role::User, "q").await;
        let reply = source
            .insert_message(&NewMessage {
                status: MessageStatus::Streaming,
                ..NewMessage::done(&id, Some(&question.id), Role::Assistant, "half a repl")
            })
            .await
            .unwrap();
        let bundle = source.conversation_bundle(&id).await.unwrap();
        let target = memory_store().await;
        target.import_conversations(&[], &[bundle]).await.unwrap();
        let imported = target.get_message(&reply.id).await.unwrap();
        assert_eq!(imported.status, MessageStatus::Error);
        assert_eq!(imported.error_kind.as_deref(), Some(INTERRUPTED_ERROR_KIND));
        assert_eq!(imported.text, "half a repl");
        assert_eq!(target.search_messages("repl", 5).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn messages_listed_children_first_are_still_inserted() {
        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let mut bundle = source.conversation_bundle(&id).await.unwrap();
        bundle.messages.reverse();
        let target = memory_store().await;
        target.import_conversations(&[], &[bundle]).await.unwrap();
        assert_eq!(count(&target, "messages").await, 4);
    }

    #[tokio::test]
    async fn contradictory_bundles_are_refused_and_nothing_is_written() {
        let source = memory_store().await;
        let id = rich_conversation(&source).await;
        let good = source.conversation_bundle(&id).await.unwrap();
        let folders = source.list_folders().await.unwrap();

        // A second, valid conversation goes first in every import below: it must not stay.
        let other_store = memory_store().await;
        let other = conversation(&other_store, "other").await;
        message(&other_store, &other, None, Role::User, "fine").await;
        let valid = other_store.conversation_bundle(&other).await.unwrap();

        let mut orphan = good.clone();
        orphan.messages[1].parent_id = Some("missing".into());
        let mut foreign = good.clone();
        foreign.messages[2].conversation_id = "elsewhere".into();
        let mut twice = good.clone();
        twice.messages[3].id = twice.messages[2].id.clone();
        let mut cycle = good.clone();
        let (a, b) = (cycle.messages[0].id.clone(), cycle.messages[1].id.clone());
        cycle.messages[0].parent_id = Some(b);
        cycle.messages[1].parent_id = Some(a);
        let mut stray_attachment = good.clone();
        stray_attachment.attachments[0].message_id = "missing".into();
        let mut taken_message = good.clone();
        taken_message.conversation.id = "another-id".into();
        for message in &mut taken_message.messages {
            message.conversation_id = "another-id".into();
        }

        let target = memory_store().await;
        target
            .import_conversations(&[], std::slice::from_ref(&good))
            .await
            .unwrap();
        let before: Vec<i64> = table_counts(&target).await;
        for (name, bad, needle) in [
            ("orphan", orphan, "not in that conversation"),
            ("foreign", foreign, "belongs to elsewhere"),
            ("twice", twice, "used twice"),
            ("cycle", cycle, "not in that conversation"),
            ("stray attachment", stray_attachment, "does not have"),
            ("message id taken", taken_message, "already exists"),
        ] {
            // The good one is skipped (present), the valid one would be new: neither may stay.
            let mut renamed = bad.clone();
            if name != "message id taken" {
                renamed.conversation.id = format!("{name}-conversation");
                for message in &mut renamed.messages {
                    if message.conversation_id == good.conversation.id {
                        message.conversation_id = renamed.conversation.id.clone();
                    }
                }
            }
            let err = target
                .import_conversations(&folders, &[valid.clone(), renamed])
                .await
                .unwrap_err();
            assert!(
                matches!(&err, StoreError::Invalid(text) if text.contains(needle)),
                "{name}: {err}"
            );
            assert_eq!(
                table_counts(&target).await,
                before,
                "{name}: a refused import writes nothing"
            );
        }
    }

    fn preset(id: &str, name: &str, is_default: bool) -> StoredPreset {
        StoredPreset {
            id: id.into(),
            name: name.into(),
            model: "claude-test".into(),
            system_prompt: Some("Be brief.".into()),
            params_json: r#"{"temperature":0.2}"#.into(),
            is_default,
            created_at: 5,
            updated_at: 6,
        }
    }

    #[tokio::test]
    async fn presets_are_added_with_their_ids_and_never_overwritten() {
        let target = memory_store().await;
        let imported = preset("p1", "From the file", false);
        let mut import = target.begin_import().await.unwrap();
        assert!(import.add_preset(&imported).await.unwrap());
        let outcome = import.commit().await.unwrap();
        assert_eq!(outcome.presets, 1);
        assert_eq!(target.get_preset("p1").await.unwrap(), imported);

        let mut changed = imported.clone();
        changed.name = "Renamed in the file".into();
        let mut import = target.begin_import().await.unwrap();
        assert!(!import.add_preset(&changed).await.unwrap());
        assert_eq!(import.commit().await.unwrap().presets, 0);
        assert_eq!(
            target.get_preset("p1").await.unwrap(),
            imported,
            "a preset already here is never overwritten"
        );
    }

    #[tokio::test]
    async fn an_imported_preset_never_takes_the_default_away() {
        let target = memory_store().await;
        let mut import = target.begin_import().await.unwrap();
        assert!(import.add_preset(&preset("a", "A", true)).await.unwrap());
        // A file with two defaults (hand-edited): only the first can be the default.
        assert!(import.add_preset(&preset("b", "B", true)).await.unwrap());
        import.commit().await.unwrap();
        assert!(
            target.get_preset("a").await.unwrap().is_default,
            "with no default here, the file's default becomes it"
        );
        assert!(!target.get_preset("b").await.unwrap().is_default);

        let mut import = target.begin_import().await.unwrap();
        assert!(import.add_preset(&preset("c", "C", true)).await.unwrap());
        import.commit().await.unwrap();
        assert!(
            !target.get_preset("c").await.unwrap().is_default,
            "the user's default stays the default"
        );
        assert!(target.get_preset("a").await.unwrap().is_default);
    }

    #[tokio::test]
    async fn presets_of_a_rolled_back_import_are_not_written() {
        let target = memory_store().await;
        let mut import = target.begin_import().await.unwrap();
        import.add_preset(&preset("p", "P", true)).await.unwrap();
        import.rollback().await.unwrap();
        assert!(target.list_presets().await.unwrap().is_empty());
    }

    async fn table_counts(store: &Store) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in ["conversations", "messages", "attachments", "folders"] {
            counts.push(count(store, table).await);
        }
        counts
    }
}
