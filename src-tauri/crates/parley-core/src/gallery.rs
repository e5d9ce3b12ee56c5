//! The images gallery: every image sent in a live conversation, newest first, a page at a time.
//! Opening one reuses [`Parley::open_search_hit`], which makes the branch holding its message
//! active.

use parley_store::{GalleryCursor as StoredCursor, GalleryImage as StoredImage};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::app::Parley;
use crate::error::CoreResult;

/// The most images one page holds, whatever the UI asks for.
pub const MAX_GALLERY_PAGE: u32 = 200;

/// One image of the gallery: a stored image (its thumbnail comes from `read_image`) and the
/// message it was sent with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GalleryImage {
    pub sha256: String,
    pub media_type: String,
    #[ts(type = "number | null")]
    pub width: Option<i64>,
    #[ts(type = "number | null")]
    pub height: Option<i64>,
    pub message_id: String,
    /// Its order among the message's images, from 0.
    #[ts(type = "number")]
    pub position: i64,
    pub conversation_id: String,
    pub conversation_title: String,
    /// When the message was sent (ms since the epoch).
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<StoredImage> for GalleryImage {
    fn from(i: StoredImage) -> Self {
        Self {
            sha256: i.sha256,
            media_type: i.media_type,
            width: i.width,
            height: i.height,
            message_id: i.message_id,
            position: i.position,
            conversation_id: i.conversation_id,
            conversation_title: i.conversation_title,
            created_at: i.created_at,
        }
    }
}

/// Where the next page starts: the sort key of the last image shown. The UI passes it back as
/// it got it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GalleryCursor {
    #[ts(type = "number")]
    pub created_at: i64,
    pub message_id: String,
    #[ts(type = "number")]
    pub position: i64,
}

impl From<GalleryCursor> for StoredCursor {
    fn from(c: GalleryCursor) -> Self {
        Self {
            created_at: c.created_at,
            message_id: c.message_id,
            position: c.position,
        }
    }
}

impl From<StoredCursor> for GalleryCursor {
    fn from(c: StoredCursor) -> Self {
        Self {
            created_at: c.created_at,
            message_id: c.message_id,
            position: c.position,
        }
    }
}

/// A page of the gallery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GalleryPage {
    /// Newest message first, then in the order the images were attached.
    pub images: Vec<GalleryImage>,
    /// Pass as `before` for the next page; `null` when this page is the last.
    pub next: Option<GalleryCursor>,
}

impl Parley {
    /// Up to `limit` images (capped at [`MAX_GALLERY_PAGE`]) after `before`, or the newest
    /// when `before` is `None`. Trashed conversations are left out.
    pub async fn list_gallery(
        &self,
        before: Option<GalleryCursor>,
        limit: u32,
    ) -> CoreResult<GalleryPage> {
        let limit = limit.clamp(1, MAX_GALLERY_PAGE);
        let before = before.map(StoredCursor::from);
        // One more than asked tells whether another page exists without a second query.
        let mut images = self
            .store
            .list_gallery(before.as_ref(), i64::from(limit) + 1)
            .await?;
        let more = images.len() > limit as usize;
        images.truncate(limit as usize);
        let next = if more {
            images.last().map(|image| image.cursor().into())
        } else {
            None
        };
        Ok(GalleryPage {
            images: images.into_iter().map(GalleryImage::from).collect(),
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use parley_store::{MessageStatus, NewAttachment, NewMessage, Role};

    use super::*;
    use crate::test_support::{conversation, parley};

    /// A user message with one image per hash (64 hex digits, as the image store names them).
    async fn send_images(
        parley: &Parley,
        conversation_id: &str,
        parent: Option<&str>,
        hashes: &[String],
    ) -> String {
        let attachments: Vec<NewAttachment> = hashes
            .iter()
            .enumerate()
            .map(|(i, sha256)| NewAttachment {
                position: i as i64,
                sha256: sha256.clone(),
                media_type: "image/png".into(),
                width: Some(300),
                height: Some(200),
                byte_len: 10,
                blob_path: None,
            })
            .collect();
        parley
            .store()
            .insert_message_with_attachments(
                &NewMessage {
                    conversation_id: conversation_id.into(),
                    parent_id: parent.map(str::to_owned),
                    role: Role::User,
                    content_json: "[]".into(),
                    text: String::new(),
                    model: None,
                    status: MessageStatus::Done,
                },
                &attachments,
            )
            .await
            .unwrap()
            .id
    }

    fn sha(n: u32) -> String {
        format!("{n:064x}")
    }

    #[tokio::test]
    async fn pages_carry_a_cursor_until_the_last_and_limits_are_clamped() {
        let dir = tempfile::tempdir().unwrap();
        let parley = parley(dir.path()).await;
        let id = conversation(&parley, "Photos").await;
        let mut parent = None;
        for n in 0..5 {
            parent = Some(send_images(&parley, &id, parent.as_deref(), &[sha(n)]).await);
        }

        let first = parley.list_gallery(None, 2).await.unwrap();
        assert_eq!(
            first.images.iter().map(|i| &i.sha256).collect::<Vec<_>>(),
            [&sha(4), &sha(3)]
        );
        assert_eq!(first.images[0].conversation_title, "Photos");
        assert_eq!(first.images[0].width, Some(300));
        let next = first.next.clone().expect("three more images");
        assert_eq!(next.message_id, first.images[1].message_id);

        let second = parley.list_gallery(Some(next), 2).await.unwrap();
        assert_eq!(second.images[0].sha256, sha(2));
        let third = parley.list_gallery(second.next, 2).await.unwrap();
        assert_eq!(third.images.len(), 1);
        assert_eq!(third.images[0].sha256, sha(0));
        assert_eq!(third.next, None, "the last page has no cursor");

        // A page of exactly the remaining images is the last one too.
        let exact = parley.list_gallery(None, 5).await.unwrap();
        assert_eq!((exact.images.len(), exact.next), (5, None));
        // 0 means at least one; huge asks get at most MAX_GALLERY_PAGE.
        assert_eq!(parley.list_gallery(None, 0).await.unwrap().images.len(), 1);
        for n in 5..(MAX_GALLERY_PAGE + 10) {
            send_images(&parley, &id, None, &[sha(n)]).await;
        }
        let capped = parley.list_gallery(None, u32::MAX).await.unwrap();
        assert_eq!(capped.images.len(), MAX_GALLERY_PAGE as usize);
        assert!(capped.next.is_some());
    }

    #[tokio::test]
    async fn the_cursor_crosses_the_ipc_boundary_in_camel_case() {
        let cursor: GalleryCursor =
            serde_json::from_str(r#"{"createdAt":17,"messageId":"m","position":2}"#).unwrap();
        assert_eq!(
            cursor,
            GalleryCursor {
                created_at: 17,
                message_id: "m".into(),
                position: 2
            }
        );
        let page = GalleryPage {
            images: vec![],
            next: Some(cursor),
        };
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            serde_json::json!({
                "images": [],
                "next": { "createdAt": 17, "messageId": "m", "position": 2 }
            })
        );
    }

    /// Opening an image on an older branch (an edited message's first version) brings that
    /// branch back, so the message is in the opened view.
    #[tokio::test]
    async fn an_image_on_an_inactive_branch_opens_with_its_branch() {
        let dir = tempfile::tempdir().unwrap();
        let parley = parley(dir.path()).await;
        let id = conversation(&parley, "Edits").await;
        let original = send_images(&parley, &id, None, &[sha(1)]).await;
        // An edit is a second root: the original drops off the active branch.
        let edited = send_images(&parley, &id, None, &[sha(2)]).await;
        let active = parley.open_conversation(&id).await.unwrap();
        assert_eq!(active.messages[0].id, edited);

        let page = parley.list_gallery(None, 10).await.unwrap();
        let older = page
            .images
            .iter()
            .find(|i| i.sha256 == sha(1))
            .expect("images of inactive branches are in the gallery");
        assert_eq!(older.message_id, original);
        let opened = parley.open_search_hit(&older.message_id).await.unwrap();
        assert_eq!(opened.conversation.id, older.conversation_id);
        assert!(opened.messages.iter().any(|m| m.id == original));
    }

    #[tokio::test]
    async fn trashed_conversations_have_no_images_in_the_gallery() {
        let dir = tempfile::tempdir().unwrap();
        let parley = parley(dir.path()).await;
        let kept = conversation(&parley, "kept").await;
        let binned = conversation(&parley, "binned").await;
        send_images(&parley, &kept, None, &[sha(1)]).await;
        send_images(&parley, &binned, None, &[sha(2)]).await;
        parley
            .trash_conversations(std::slice::from_ref(&binned))
            .await
            .unwrap();
        let page = parley.list_gallery(None, 10).await.unwrap();
        assert_eq!(
            page.images
                .iter()
                .map(|i| i.conversation_id.as_str())
                .collect::<Vec<_>>(),
            [kept.as_str()]
        );
    }
}
