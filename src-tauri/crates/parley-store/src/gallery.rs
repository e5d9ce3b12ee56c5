//! The images gallery: every image attached to a message of a live (not trashed) conversation,
//! newest message first, one row per attachment.
//!
//! Pages are cut with a keyset cursor (the last row's sort key), never `OFFSET`: a page walks the
//! `attachments_gallery` index from the cursor on, so the thousandth page costs what the first
//! does. The sort key is the message's time copied onto the attachment (`message_created_at`,
//! kept by triggers, see migration 0003), the message id, then the attachment's position.

use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// One image of the gallery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct GalleryImage {
    /// Hex SHA-256 of the stored bytes (the image file's name).
    pub sha256: String,
    /// E.g. `image/png`.
    pub media_type: String,
    /// Pixel width, if known.
    pub width: Option<i64>,
    /// Pixel height, if known.
    pub height: Option<i64>,
    /// The message the image was sent with.
    pub message_id: String,
    /// The image's order among that message's attachments, from 0.
    pub position: i64,
    /// The message's conversation.
    pub conversation_id: String,
    /// That conversation's title, for labels.
    pub conversation_title: String,
    /// When the message was created, in milliseconds since the Unix epoch.
    pub created_at: i64,
}

impl GalleryImage {
    /// Where the page after this image starts.
    pub fn cursor(&self) -> GalleryCursor {
        GalleryCursor {
            created_at: self.created_at,
            message_id: self.message_id.clone(),
            position: self.position,
        }
    }
}

/// The sort key of the last image of a page: the next page holds the images after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryCursor {
    /// The message's time (ms since the Unix epoch).
    pub created_at: i64,
    /// The message's id.
    pub message_id: String,
    /// The image's position in the message.
    pub position: i64,
}

/// The columns of a [`GalleryImage`] over `attachments a JOIN messages m JOIN conversations c`.
macro_rules! gallery_select {
    () => {
        "SELECT a.sha256, a.media_type, a.width, a.height, a.message_id, a.position,
                c.id AS conversation_id, c.title AS conversation_title,
                a.message_created_at AS created_at
         FROM attachments a
         JOIN messages m ON m.id = a.message_id
         JOIN conversations c ON c.seq = m.conversation_seq
         WHERE c.deleted_at IS NULL"
    };
}

/// The gallery order; the `attachments_gallery` index has exactly this order, so no sort runs.
macro_rules! gallery_order {
    () => {
        " ORDER BY a.message_created_at DESC, a.message_id DESC, a.position"
    };
}

impl Store {
    /// Up to `limit` images of live conversations after `before` (from the newest when `None`),
    /// newest message first, then in the order they were attached. The last image's
    /// [`GalleryImage::cursor`] continues the listing; a page shorter than `limit` is the last.
    pub async fn list_gallery(
        &self,
        before: Option<&GalleryCursor>,
        limit: i64,
    ) -> Result<Vec<GalleryImage>, StoreError> {
        let images = match before {
            None => {
                sqlx::query_as(concat!(gallery_select!(), gallery_order!(), " LIMIT ?1"))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            // The two descending columns are one row-value range, which SQLite seeks to in the
            // index. Position ascends, so inside the cursor's own message the images up to and
            // including the cursor are dropped by the second condition (a few rows at most).
            Some(cursor) => {
                sqlx::query_as(concat!(
                    gallery_select!(),
                    " AND (a.message_created_at, a.message_id) <= (?1, ?2)
                      AND NOT (a.message_created_at = ?1 AND a.message_id = ?2
                               AND a.position <= ?3)",
                    gallery_order!(),
                    " LIMIT ?4"
                ))
                .bind(cursor.created_at)
                .bind(&cursor.message_id)
                .bind(cursor.position)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::Role;
    use crate::test_support::{conversation, image, message, with_images};

    async fn file_store(dir: &Path) -> Store {
        Store::open(&dir.join("parley.db")).await.unwrap()
    }

    fn shas(images: &[GalleryImage]) -> Vec<&str> {
        images.iter().map(|i| i.sha256.as_str()).collect()
    }

    /// Every image, following cursors `page` at a time.
    async fn all_pages(store: &Store, page: i64) -> Vec<GalleryImage> {
        let mut out = Vec::new();
        let mut cursor: Option<GalleryCursor> = None;
        loop {
            let images = store.list_gallery(cursor.as_ref(), page).await.unwrap();
            assert!(
                images.len() as i64 <= page,
                "a page never exceeds its limit"
            );
            let last_page = (images.len() as i64) < page;
            cursor = images.last().map(GalleryImage::cursor);
            out.extend(images);
            if last_page {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn images_come_newest_message_first_then_in_attached_order_with_all_fields() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path()).await;
        let first = conversation(&store, "First chat").await;
        let second = conversation(&store, "Second chat").await;
        let old = with_images(&store, &first, None, &["a0", "a1"]).await;
        message(
            &store,
            &first,
            Some(&old),
            Role::Assistant,
            "no images here",
        )
        .await;
        let other = with_images(&store, &second, None, &["b0"]).await;
        // The same image sent again is a second occurrence, shown again.
        let newest = with_images(&store, &first, Some(&old), &["c0", "a0", "c2"]).await;

        let images = store.list_gallery(None, 50).await.unwrap();
        assert_eq!(shas(&images), ["c0", "a0", "c2", "b0", "a0", "a1"]);
        let top = &images[0];
        let stored = store.get_message(&newest).await.unwrap();
        assert_eq!(
            top,
            &GalleryImage {
                sha256: "c0".into(),
                media_type: "image/png".into(),
                width: Some(640),
                height: Some(480),
                message_id: newest.clone(),
                position: 0,
                conversation_id: first.clone(),
                conversation_title: "First chat".into(),
                created_at: stored.created_at,
            }
        );
        assert_eq!(images[1].media_type, "image/jpeg");
        assert_eq!(images[3].message_id, other);
        assert_eq!(images[3].conversation_title, "Second chat");
        assert_eq!(images[5].message_id, old);
        assert!(
            images
                .windows(2)
                .all(|w| w[0].created_at >= w[1].created_at),
            "newest first"
        );
        store.close().await;
    }

    #[tokio::test]
    async fn an_empty_history_has_an_empty_gallery() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path()).await;
        let id = conversation(&store, "words only").await;
        message(&store, &id, None, Role::User, "hello").await;
        assert!(store.list_gallery(None, 10).await.unwrap().is_empty());
        let nowhere = GalleryCursor {
            created_at: i64::MAX,
            message_id: "x".into(),
            position: 0,
        };
        assert!(
            store
                .list_gallery(Some(&nowhere), 10)
                .await
                .unwrap()
                .is_empty()
        );
        store.close().await;
    }

    #[tokio::test]
    async fn pages_follow_the_cursor_without_gaps_or_repeats_even_inside_one_message() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path()).await;
        let id = conversation(&store, "pictures").await;
        let mut parent: Option<String> = None;
        // Five messages of three images each: pages of 2 split messages in the middle.
        for i in 0..5 {
            let hashes = [format!("m{i}p0"), format!("m{i}p1"), format!("m{i}p2")];
            let hashes: Vec<&str> = hashes.iter().map(String::as_str).collect();
            parent = Some(with_images(&store, &id, parent.as_deref(), &hashes).await);
        }
        let whole = store.list_gallery(None, 100).await.unwrap();
        assert_eq!(whole.len(), 15);
        assert_eq!(&shas(&whole)[..4], ["m4p0", "m4p1", "m4p2", "m3p0"]);
        for page in [1, 2, 3, 4, 7, 15, 16] {
            assert_eq!(all_pages(&store, page).await, whole, "pages of {page}");
        }

        // Two messages created in the same millisecond are told apart by id.
        let tied = conversation(&store, "tied").await;
        let tie_a = with_images(&store, &tied, None, &["t0", "t1"]).await;
        let tie_b = with_images(&store, &tied, None, &["u0", "u1"]).await;
        sqlx::query("UPDATE messages SET created_at = 1 WHERE id IN (?, ?)")
            .bind(&tie_a)
            .bind(&tie_b)
            .execute(&store.pool)
            .await
            .unwrap();
        let whole = store.list_gallery(None, 100).await.unwrap();
        let (later, earlier) = if tie_a > tie_b {
            (["t0", "t1"], ["u0", "u1"])
        } else {
            (["u0", "u1"], ["t0", "t1"])
        };
        assert_eq!(&shas(&whole)[15..], [later, earlier].concat());
        assert_eq!(all_pages(&store, 3).await, whole);
        store.close().await;
    }

    #[tokio::test]
    async fn trashed_conversations_are_left_out_and_come_back_when_restored() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path()).await;
        let kept = conversation(&store, "kept").await;
        let binned = conversation(&store, "binned").await;
        with_images(&store, &kept, None, &["k0"]).await;
        with_images(&store, &binned, None, &["b0", "b1"]).await;
        with_images(&store, &kept, None, &["k1"]).await;

        store
            .trash_conversations(std::slice::from_ref(&binned))
            .await
            .unwrap();
        assert_eq!(shas(&all_pages(&store, 1).await), ["k1", "k0"]);
        store
            .restore_conversations(std::slice::from_ref(&binned))
            .await
            .unwrap();
        assert_eq!(
            shas(&store.list_gallery(None, 10).await.unwrap()),
            ["k1", "b0", "b1", "k0"]
        );
        store
            .trash_conversations(std::slice::from_ref(&binned))
            .await
            .unwrap();
        store.purge_trash().await.unwrap();
        assert_eq!(
            shas(&store.list_gallery(None, 10).await.unwrap()),
            ["k1", "k0"]
        );
        store.close().await;
    }

    #[tokio::test]
    async fn the_order_is_the_message_time_however_the_attachment_was_added() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path()).await;
        let id = conversation(&store, "c").await;
        let early = message(&store, &id, None, Role::User, "early").await;
        let late = with_images(&store, &id, Some(&early.id), &["late"]).await;
        // Attached afterwards (as an import might): still ordered by its message's time.
        store
            .insert_attachment(&early.id, &image(0, "early"))
            .await
            .unwrap();
        assert_eq!(
            shas(&store.list_gallery(None, 10).await.unwrap()),
            ["late", "early"]
        );
        // A message whose time changes carries its images along.
        sqlx::query("UPDATE messages SET created_at = created_at + 1000000 WHERE id = ?")
            .bind(&early.id)
            .execute(&store.pool)
            .await
            .unwrap();
        let images = store.list_gallery(None, 10).await.unwrap();
        assert_eq!(shas(&images), ["early", "late"]);
        assert_eq!(images[0].created_at, early.created_at + 1_000_000);
        assert_eq!(
            store.get_message(&late).await.unwrap().created_at,
            images[1].created_at
        );
        store.close().await;
    }

    /// The query plans: both the first page and a later one walk the gallery index (a later
    /// one seeks into it) and never sort.
    #[tokio::test]
    async fn pages_walk_the_gallery_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path()).await;
        let first: Vec<(i64, i64, i64, String)> = sqlx::query_as(concat!(
            "EXPLAIN QUERY PLAN ",
            gallery_select!(),
            gallery_order!(),
            " LIMIT 60"
        ))
        .fetch_all(&store.pool)
        .await
        .unwrap();
        let later: Vec<(i64, i64, i64, String)> = sqlx::query_as(concat!(
            "EXPLAIN QUERY PLAN ",
            gallery_select!(),
            " AND (a.message_created_at, a.message_id) <= (?1, ?2)
              AND NOT (a.message_created_at = ?1 AND a.message_id = ?2 AND a.position <= ?3)",
            gallery_order!(),
            " LIMIT ?4"
        ))
        .bind(5_i64)
        .bind("m")
        .bind(0_i64)
        .bind(60_i64)
        .fetch_all(&store.pool)
        .await
        .unwrap();
        for (which, plan) in [("first", first), ("later", later)] {
            let plan: Vec<String> = plan.into_iter().map(|row| row.3).collect();
            assert!(
                plan.iter()
                    .any(|step| step.contains("USING INDEX attachments_gallery")),
                "the {which} page walks the gallery index: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "the {which} page sorts nothing: {plan:?}"
            );
            if which == "later" {
                assert!(
                    plan.iter().any(|step| step.starts_with("SEARCH a")),
                    "a later page seeks to its cursor rather than scanning from the top: {plan:?}"
                );
            }
        }
        store.close().await;
    }

    /// 100,000 images in 2,000 conversations, among 200,000 messages: a page deep in the
    /// gallery comes back as quickly as the first (timings logged, not asserted, so a loaded
    /// machine cannot fail this), and the pages cover every image exactly once.
    #[tokio::test]
    async fn a_hundred_thousand_images_page_by_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path()).await;
        let mut tx = store.pool.begin().await.unwrap();
        for c in 0..2_000_i64 {
            sqlx::query(
                "INSERT INTO conversations (id, title, model, created_at, updated_at)
                 VALUES (?, ?, 'm', 0, 0)",
            )
            .bind(format!("c{c:04}"))
            .bind(format!("chat {c}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        for n in 0..200_000_i64 {
            // Every other message has an image; messages interleave across conversations.
            let message_id = format!("m{n:06}");
            sqlx::query(
                "INSERT INTO messages (id, conversation_seq, role, content_json, status,
                                       created_at, updated_at)
                 VALUES (?, (SELECT seq FROM conversations WHERE id = ?), 'user', '[]', 'done',
                         ?, ?)",
            )
            .bind(&message_id)
            .bind(format!("c{:04}", n % 2_000))
            .bind(n)
            .bind(n)
            .execute(&mut *tx)
            .await
            .unwrap();
            if n % 2 == 0 {
                sqlx::query(
                    "INSERT INTO attachments (id, message_id, position, sha256, media_type,
                                              byte_len, created_at)
                     VALUES (?, ?, 0, ?, 'image/png', 1, 0)",
                )
                .bind(format!("a{n:06}"))
                .bind(&message_id)
                .bind(format!("{n:064x}"))
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();

        let started = std::time::Instant::now();
        let first = store.list_gallery(None, 60).await.unwrap();
        let first_took = started.elapsed();
        assert_eq!(first[0].message_id, "m199998");
        assert_eq!(first[59].message_id, "m199880");

        let deep_cursor = GalleryCursor {
            created_at: 1_000,
            message_id: "m001000".into(),
            position: 0,
        };
        let started = std::time::Instant::now();
        let deep = store.list_gallery(Some(&deep_cursor), 60).await.unwrap();
        let deep_took = started.elapsed();
        assert_eq!(deep[0].message_id, "m000998");
        assert_eq!(deep[59].message_id, "m000880");
        eprintln!("gallery of 100,000 images: first page {first_took:?}, deep page {deep_took:?}");

        let started = std::time::Instant::now();
        let everything = all_pages(&store, 200).await;
        eprintln!("all 500 pages of 200 took {:?}", started.elapsed());
        assert_eq!(everything.len(), 100_000);
        assert!(
            everything
                .windows(2)
                .all(|w| w[0].created_at - w[1].created_at == 2),
            "every image once, newest first"
        );
        store.close().await;
    }

    /// A database with images from before migration 0003 gets the message times filled in.
    #[tokio::test]
    async fn images_stored_before_the_gallery_migration_are_in_the_gallery() {
        use sqlx::migrate::Migrator;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parley.db");
        let migrations = tempfile::tempdir().unwrap();
        for name in ["0001_init.sql", "0002_history.sql"] {
            let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(name);
            std::fs::copy(&shipped, migrations.path().join(name)).unwrap();
        }
        let before_gallery = Migrator::new(migrations.path()).await.unwrap();
        let old = crate::open::open_file(
            &path,
            &before_gallery,
            std::time::Duration::from_secs(5),
            &|_| {},
        )
        .await
        .unwrap();
        let id = conversation(&old, "from 0002").await;
        // Rows as Parley 0002 wrote them, in SQL: the store's own queries read later columns.
        let insert = |message_id: &'static str,
                      parent: Option<&'static str>,
                      at: i64,
                      hashes: &'static [&'static str]| {
            let old = &old;
            let id = id.clone();
            async move {
                sqlx::query(
                    "INSERT INTO messages (id, conversation_id, parent_id, role, content_json, text, status, created_at, updated_at)
                     VALUES (?, ?, ?, 'user', '[]', 'look', 'done', ?, ?)",
                )
                .bind(message_id).bind(&id).bind(parent).bind(at).bind(at)
                .execute(&old.pool).await.unwrap();
                for (position, sha) in hashes.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO attachments (id, message_id, position, sha256, media_type, byte_len, created_at)
                         VALUES (?, ?, ?, ?, 'image/png', 100, ?)",
                    )
                    .bind(format!("{message_id}-{position}")).bind(message_id).bind(position as i64).bind(sha).bind(at)
                    .execute(&old.pool).await.unwrap();
                }
                message_id.to_owned()
            }
        };
        let early = insert("m-early", None, 1_000, &["e0", "e1"]).await;
        let late = insert("m-late", Some("m-early"), 2_000, &["l0"]).await;
        old.close().await;

        let store = Store::open(&path).await.unwrap();
        let images = store.list_gallery(None, 10).await.unwrap();
        assert_eq!(shas(&images), ["l0", "e0", "e1"]);
        assert_eq!(
            images[0].created_at,
            store.get_message(&late).await.unwrap().created_at
        );
        assert_eq!(images[1].message_id, early);
        store.close().await;
    }
}
