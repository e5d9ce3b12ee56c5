//! The `attachments` table: metadata for images attached to a message. The
//! bytes live outside the database (see `blob_path`), content-addressed by
//! SHA-256 so the same image attached twice is stored once.

use serde::{Deserialize, Serialize};

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

/// An attachment to insert; the store assigns the id and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAttachment {
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
}

impl Store {
    /// Records an attachment of an existing message.
    pub async fn insert_attachment(&self, new: &NewAttachment) -> Result<Attachment, StoreError> {
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
        .bind(&new.message_id)
        .bind(new.position)
        .bind(&new.sha256)
        .bind(&new.media_type)
        .bind(new.width)
        .bind(new.height)
        .bind(new.byte_len)
        .bind(&new.blob_path)
        .bind(self.now())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("message", &new.message_id))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::test_support::{conversation, memory_store, message};

    fn png(message_id: &str, position: i64) -> NewAttachment {
        NewAttachment {
            message_id: message_id.to_owned(),
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
        let second = store.insert_attachment(&png(&msg.id, 1)).await.unwrap();
        let first = store.insert_attachment(&png(&msg.id, 0)).await.unwrap();
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
        let err = store.insert_attachment(&png("nope", 0)).await.unwrap_err();
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
        store.insert_attachment(&png(&msg.id, 0)).await.unwrap();
        store.delete_conversation(&conv).await.unwrap();
        assert!(
            store
                .attachments_for_message(&msg.id)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
