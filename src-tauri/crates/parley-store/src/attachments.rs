//! The `attachments` table: metadata for images attached to a message. The
//! bytes live outside the database (see `blob_path`), content-addressed by
//! SHA-256 so the same image attached twice is stored once.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::{Store, StoreError, new_id};

macro_rules! attachment_columns {
    () => {
        "id, message_id, position, sha256, media_type, width, height, byte_len, blob_path, \
         created_at"
    };
}

/// One stored attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Attachment {
    /// UUID v7.
    pub id: String,
    /// The message it belongs to.
    pub message_id: String,
    /// Its order among the message's attachments, from 0.
    pub position: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// E.g. `image/png`.
    pub media_type: String,
    /// Pixel width, if known.
    pub width: Option<i64>,
    /// Pixel height, if known.
    pub height: Option<i64>,
    /// Size of the bytes.
    pub byte_len: i64,
    /// Where the bytes are stored, if they are.
    pub blob_path: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// An attachment to insert; the store assigns the id and time, and the message it belongs to is
/// given with it (see [`Store::insert_attachment`] and [`Store::insert_message_with_attachments`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAttachment {
    /// Its order among the message's attachments, from 0.
    pub position: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// E.g. `image/png`.
    pub media_type: String,
    /// Pixel width, if known.
    pub width: Option<i64>,
    /// Pixel height, if known.
    pub height: Option<i64>,
    /// Size of the bytes.
    pub byte_len: i64,
    /// Where the bytes are stored, if they are.
    pub blob_path: Option<String>,
}

impl Store {
    /// Records an attachment of an existing message.
    pub async fn insert_attachment(
        &self,
        message_id: &str,
        new: &NewAttachment,
    ) -> Result<Attachment, StoreError> {
        let mut connection = self.pool.acquire().await?;
        insert_attachment(&mut connection, message_id, new, self.now()).await
    }

    /// The message's attachments in `position` order. An unknown message
    /// simply has none.
    pub async fn attachments_for_message(
        &self,
        message_id: &str,
    ) -> Result<Vec<Attachment>, StoreError> {
        let attachments = sqlx::query_as(concat!(
            "SELECT ",
            attachment_columns!(),
            " FROM attachments WHERE message_id = ? ORDER BY position, id"
        ))
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(attachments)
    }

    /// Every image hash some message still uses: what the image files on disk must keep.
    pub async fn referenced_attachment_hashes(&self) -> Result<HashSet<String>, StoreError> {
        let hashes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments")
            .fetch_all(&self.pool)
            .await?;
        Ok(hashes.into_iter().collect())
    }
}

/// Inserts one attachment on `connection` (which may be inside a transaction).
pub(crate) async fn insert_attachment(
    connection: &mut SqliteConnection,
    message_id: &str,
    new: &NewAttachment,
    now: i64,
) -> Result<Attachment, StoreError> {
    // Inserting only when the message exists turns a foreign-key failure
    // into a clear NotFound. (Parameters are all numbered: sqlx binds
    // a mix of `?` and `?N` to the wrong values.)
    sqlx::query_as(concat!(
        "INSERT INTO attachments (id, message_id, position, sha256, media_type, width,
                                      height, byte_len, blob_path, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
             WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?2)
             RETURNING ",
        attachment_columns!()
    ))
    .bind(new_id())
    .bind(message_id)
    .bind(new.position)
    .bind(&new.sha256)
    .bind(&new.media_type)
    .bind(new.width)
    .bind(new.height)
    .bind(new.byte_len)
    .bind(&new.blob_path)
    .bind(now)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or_else(|| StoreError::not_found("message", message_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::test_support::{conversation, memory_store, message};

    fn png(position: i64) -> NewAttachment {
        NewAttachment {
            position,
            sha256: format!("{position:064x}"),
            media_type: "image/png".to_owned(),
            width: Some(640),
            height: Some(480),
            byte_len: 1234,
            blob_path: Some(format!("blobs/{position}.png")),
        }
    }

    #[tokio::test]
    async fn attachments_are_listed_in_position_order() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let msg = message(&store, &conv, None, Role::User, "look").await;
        let second = store.insert_attachment(&msg.id, &png(1)).await.unwrap();
        let first = store.insert_attachment(&msg.id, &png(0)).await.unwrap();
        assert_eq!(first.media_type, "image/png");
        assert_eq!(first.width, Some(640));
        assert_eq!(first.byte_len, 1234);
        assert_eq!(first.blob_path.as_deref(), Some("blobs/0.png"));

        let listed = store.attachments_for_message(&msg.id).await.unwrap();
        assert_eq!(listed, [first, second]);
        assert!(
            store
                .attachments_for_message("nope")
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn an_attachment_needs_an_existing_message() {
        let store = memory_store().await;
        let err = store.insert_attachment("nope", &png(0)).await.unwrap_err();
        assert!(matches!(
            err,
            StoreError::NotFound(ref what) if what.starts_with("message ")
        ));
    }

    #[tokio::test]
    async fn attachments_go_with_their_conversation() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let msg = message(&store, &conv, None, Role::User, "look").await;
        store.insert_attachment(&msg.id, &png(0)).await.unwrap();
        store.delete_conversation(&conv).await.unwrap();
        assert!(
            store
                .attachments_for_message(&msg.id)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_message_and_its_attachments_are_stored_together() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let new = crate::NewMessage {
            conversation_id: conv.clone(),
            parent_id: None,
            role: Role::User,
            content_json: "[]".into(),
            text: String::new(),
            model: None,
            status: crate::MessageStatus::Done,
        };
        let msg = store
            .insert_message_with_attachments(&new, &[png(0), png(1)])
            .await
            .unwrap();
        let listed = store.attachments_for_message(&msg.id).await.unwrap();
        assert_eq!(
            listed.iter().map(|a| a.position).collect::<Vec<_>>(),
            [0, 1]
        );
        assert!(listed.iter().all(|a| a.message_id == msg.id));
    }

    #[tokio::test]
    async fn deleting_a_conversation_reports_the_images_nothing_else_uses() {
        let store = memory_store().await;
        let first = conversation(&store, "first").await;
        let second = conversation(&store, "second").await;
        let a = message(&store, &first, None, Role::User, "a").await;
        let b = message(&store, &second, None, Role::User, "b").await;
        // png(0) is shared by both conversations; png(1) only by the first.
        store.insert_attachment(&a.id, &png(0)).await.unwrap();
        store.insert_attachment(&a.id, &png(1)).await.unwrap();
        store.insert_attachment(&b.id, &png(0)).await.unwrap();
        assert_eq!(store.referenced_attachment_hashes().await.unwrap().len(), 2);

        let orphaned = store.delete_conversation(&first).await.unwrap();
        assert_eq!(orphaned, [png(1).sha256]);
        let orphaned = store.delete_conversation(&second).await.unwrap();
        assert_eq!(orphaned, [png(0).sha256]);
        assert!(
            store
                .referenced_attachment_hashes()
                .await
                .unwrap()
                .is_empty()
        );
    }
}
