//! Browsing and organising the history: the sidebar index, renames, pins, folders, the trash
//! (a soft delete, purged for good when the undo toast expires or at the next start-up) and
//! search.

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::view::{ConversationSummary, ConversationView, Folder, HistoryIndex, SearchHit};

/// The most search hits one call returns, whatever the UI asks for.
pub const MAX_SEARCH_HITS: u32 = 200;

/// Titles and folder names longer than this (in characters) are cut.
const MAX_NAME_CHARS: usize = 200;

/// `name` trimmed and capped, or `invalid_input` naming `what` when it is empty.
fn clean_name(name: &str, what: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::InvalidInput(format!("The {what} is empty")));
    }
    Ok(name.chars().take(MAX_NAME_CHARS).collect())
}

impl Parley {
    /// One conversation's row in the sidebar, so the UI can patch that row after a send, a
    /// finished reply or a new title instead of listing every conversation again.
    pub async fn conversation_summary(&self, id: &str) -> CoreResult<ConversationSummary> {
        Ok(self.store.get_summary(id).await?.into())
    }

    /// Every live conversation (pinned first, then newest first) and every folder.
    pub async fn list_history(&self) -> CoreResult<HistoryIndex> {
        let conversations = self.store.list_history().await?;
        let folders = self.store.list_folders().await?;
        Ok(HistoryIndex {
            conversations: conversations
                .into_iter()
                .map(ConversationSummary::from)
                .collect(),
            folders: folders.into_iter().map(Folder::from).collect(),
        })
    }

    /// Gives the conversation the user's title; automatic titles never replace it.
    pub async fn rename_conversation(
        &self,
        id: &str,
        title: &str,
    ) -> CoreResult<ConversationSummary> {
        let title = clean_name(title, "title")?;
        Ok(self.store.rename_conversation(id, &title).await?.into())
    }

    pub async fn set_pinned(&self, id: &str, pinned: bool) -> CoreResult<ConversationSummary> {
        Ok(self.store.set_pinned(id, pinned).await?.into())
    }

    pub async fn create_folder(&self, name: &str) -> CoreResult<Folder> {
        let name = clean_name(name, "folder name")?;
        Ok(self.store.create_folder(&name).await?.into())
    }

    pub async fn rename_folder(&self, id: &str, name: &str) -> CoreResult<Folder> {
        let name = clean_name(name, "folder name")?;
        Ok(self.store.rename_folder(id, &name).await?.into())
    }

    /// Deletes the folder; its conversations move out of it, none is deleted.
    pub async fn delete_folder(&self, id: &str) -> CoreResult<()> {
        Ok(self.store.delete_folder(id).await?)
    }

    /// Moves conversations into a folder, or out of any with `None`.
    pub async fn move_to_folder(&self, ids: &[String], folder_id: Option<&str>) -> CoreResult<()> {
        Ok(self.store.move_to_folder(ids, folder_id).await?)
    }

    /// Hides conversations at once from the history and search; restorable until purged. Their
    /// running replies are stopped (and store their partial text) first, so nothing writes into
    /// a conversation in the trash.
    pub async fn trash_conversations(&self, ids: &[String]) -> CoreResult<()> {
        self.stop_streams_of(ids).await;
        Ok(self.store.trash_conversations(ids).await?)
    }

    /// Undoes [`Parley::trash_conversations`].
    pub async fn restore_conversations(&self, ids: &[String]) -> CoreResult<()> {
        Ok(self.store.restore_conversations(ids).await?)
    }

    /// Deletes the trashed conversations for good, and the image files nothing else uses. A
    /// stream still writing into one (trashing stops them, but waits only so long) is stopped
    /// first.
    pub async fn purge_trash(&self) -> CoreResult<()> {
        let trashed = self.store.trashed_conversations().await?;
        self.stop_streams_of(&trashed).await;
        let purged = self.store.purge_trash().await?;
        self.images.remove(&purged.orphaned_images).await;
        if purged.conversations > 0 {
            self.forget_rendered().await;
        }
        Ok(())
    }

    /// Messages of live conversations containing `query` as literal text, newest first; at most
    /// `limit`, capped at [`MAX_SEARCH_HITS`].
    pub async fn search_history(&self, query: &str, limit: u32) -> CoreResult<Vec<SearchHit>> {
        let limit = limit.clamp(1, MAX_SEARCH_HITS);
        let hits = self.store.search_messages(query, i64::from(limit)).await?;
        Ok(hits.into_iter().map(SearchHit::from).collect())
    }

    /// Opens the conversation of a search hit with the branch holding that message made active.
    pub async fn open_search_hit(&self, message_id: &str) -> CoreResult<ConversationView> {
        self.select_branch(message_id).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parley_secrets::MemorySecretStore;
    use parley_store::{NewAttachment, NewMessage, Role};

    use super::*;
    use crate::app::Environment;
    use crate::error::ErrorKind;
    use crate::test_support::{conversation, parley};
    use crate::view::TitleSourceView;

    async fn say(
        parley: &Parley,
        conversation_id: &str,
        parent: Option<&str>,
        role: Role,
        text: &str,
    ) -> String {
        parley
            .store()
            .insert_message(&NewMessage {
                conversation_id: conversation_id.into(),
                parent_id: parent.map(str::to_owned),
                role,
                content_json: serde_json::to_string(&[parley_claude::ContentBlock::text(text)])
                    .unwrap(),
                text: text.into(),
                model: None,
                status: parley_store::MessageStatus::Done,
            })
            .await
            .unwrap()
            .id
    }

    #[tokio::test]
    async fn the_index_holds_conversations_and_folders_and_follows_each_action() {
        let dir = tempfile::tempdir().unwrap();
        let parley = parley(dir.path()).await;
        let a = conversation(&parley, "a").await;
        let b = conversation(&parley, "b").await;

        let renamed = parley.rename_conversation(&a, "  Alpha  ").await.unwrap();
        assert_eq!(renamed.title, "Alpha");
        assert_eq!(renamed.title_source, TitleSourceView::User);
        let error = parley.rename_conversation(&a, "   ").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        let long = parley.rename_conversation(&a, &"x".repeat(500)).await;
        assert_eq!(long.unwrap().title.chars().count(), MAX_NAME_CHARS);

        assert!(parley.set_pinned(&a, true).await.unwrap().pinned);
        let folder = parley.create_folder(" Work ").await.unwrap();
        assert_eq!(folder.name, "Work");
        assert_eq!(
            parley.create_folder("").await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            parley
                .rename_folder(&folder.id, " ")
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        let folder = parley.rename_folder(&folder.id, "Job").await.unwrap();
        parley
            .move_to_folder(std::slice::from_ref(&b), Some(&folder.id))
            .await
            .unwrap();

        let index = parley.list_history().await.unwrap();
        assert_eq!(index.folders, std::slice::from_ref(&folder));
        let ids: Vec<&str> = index.conversations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [a.as_str(), b.as_str()], "pinned first");
        assert_eq!(
            index.conversations[1].folder_id.as_deref(),
            Some(&*folder.id)
        );

        let json = serde_json::to_value(&index).unwrap();
        let row = &json["conversations"][0];
        for field in [
            "id",
            "title",
            "model",
            "updatedAt",
            "createdAt",
            "pinned",
            "folderId",
            "titleSource",
            "thumbnailSha256",
        ] {
            assert!(row.get(field).is_some(), "{field} in {row}");
        }
        assert_eq!(row["titleSource"], "user");
        assert_eq!(json["folders"][0]["name"], "Job");

        parley.delete_folder(&folder.id).await.unwrap();
        let index = parley.list_history().await.unwrap();
        assert!(index.folders.is_empty());
        assert_eq!(index.conversations.len(), 2);
        assert_eq!(
            parley.delete_folder(&folder.id).await.unwrap_err().kind(),
            ErrorKind::Missing
        );
    }

    #[tokio::test]
    async fn trash_restore_and_purge_remove_unused_image_files() {
        let dir = tempfile::tempdir().unwrap();
        let parley = parley(dir.path()).await;
        let keep = conversation(&parley, "keep").await;
        let gone = conversation(&parley, "gone").await;
        let hash = "a".repeat(64);
        let images = dir.path().join("images");
        std::fs::create_dir_all(&images).unwrap();
        std::fs::write(images.join(&hash), b"png").unwrap();
        std::fs::write(images.join(format!("{hash}.thumb")), b"thumb").unwrap();
        let message = say(&parley, &gone, None, Role::User, "needle here").await;
        parley
            .store()
            .insert_attachment(
                &message,
                &NewAttachment {
                    position: 0,
                    sha256: hash.clone(),
                    media_type: "image/png".into(),
                    width: None,
                    height: None,
                    byte_len: 3,
                    blob_path: None,
                },
            )
            .await
            .unwrap();

        parley
            .trash_conversations(std::slice::from_ref(&gone))
            .await
            .unwrap();
        let index = parley.list_history().await.unwrap();
        assert_eq!(index.conversations.len(), 1);
        assert!(
            parley
                .search_history("needle", 10)
                .await
                .unwrap()
                .is_empty()
        );
        parley
            .restore_conversations(std::slice::from_ref(&gone))
            .await
            .unwrap();
        let index = parley.list_history().await.unwrap();
        assert_eq!(index.conversations.len(), 2);
        let thumb = index.conversations.iter().find(|c| c.id == gone).unwrap();
        assert_eq!(thumb.thumbnail_sha256.as_deref(), Some(hash.as_str()));
        assert_eq!(parley.search_history("needle", 10).await.unwrap().len(), 1);

        parley
            .trash_conversations(std::slice::from_ref(&gone))
            .await
            .unwrap();
        assert!(
            images.join(&hash).exists(),
            "trash keeps the files for undo"
        );
        parley.purge_trash().await.unwrap();
        assert!(!images.join(&hash).exists());
        assert!(!images.join(format!("{hash}.thumb")).exists());
        assert_eq!(parley.list_history().await.unwrap().conversations.len(), 1);
        assert_eq!(
            parley.store().get_conversation(&keep).await.unwrap().id,
            keep
        );
    }

    #[tokio::test]
    async fn start_up_purges_what_a_previous_run_left_in_the_trash() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecretStore::default());
        let first = Parley::open(dir.path(), secrets.clone(), Environment::default())
            .await
            .unwrap();
        let kept = conversation(&first, "kept").await;
        let trashed = conversation(&first, "trashed").await;
        first
            .trash_conversations(std::slice::from_ref(&trashed))
            .await
            .unwrap();
        first.store().close().await;
        drop(first);

        let second = Parley::open(dir.path(), secrets, Environment::default())
            .await
            .unwrap();
        assert_eq!(
            second.store().trashed_conversations().await.unwrap().len(),
            0
        );
        assert_eq!(
            second
                .store()
                .get_conversation(&trashed)
                .await
                .unwrap_err()
                .kind(),
            "not_found"
        );
        assert_eq!(
            second.store().get_conversation(&kept).await.unwrap().id,
            kept
        );
        second.store().close().await;
    }

    #[tokio::test]
    async fn search_caps_the_limit_keeps_markers_and_opening_a_hit_activates_its_branch() {
        let dir = tempfile::tempdir().unwrap();
        let parley = parley(dir.path()).await;
        let id = conversation(&parley, "Branches").await;
        let question = say(&parley, &id, None, Role::User, "question").await;
        let hidden = say(&parley, &id, Some(&question), Role::Assistant, "old needle").await;
        let below = say(&parley, &id, Some(&hidden), Role::User, "follow-up").await;
        let shown = say(&parley, &id, Some(&question), Role::Assistant, "new answer").await;
        parley.select_branch(&shown).await.unwrap();

        let hits = parley.search_history("needle", 10).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].message_id, hidden);
        assert_eq!(hits[0].conversation_title, "Branches");
        assert!(
            hits[0].snippet.contains("\u{2}needle\u{3}"),
            "{:?}",
            hits[0]
        );
        let json = serde_json::to_value(&hits[0]).unwrap();
        assert!(json.get("messageId").is_some() && json.get("createdAt").is_some());

        let view = parley.open_search_hit(&hidden).await.unwrap();
        let path: Vec<&str> = view.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(path, [question.as_str(), hidden.as_str(), below.as_str()]);
        assert_eq!(
            parley.open_search_hit("nope").await.unwrap_err().kind(),
            ErrorKind::Missing
        );

        for i in 0..(MAX_SEARCH_HITS + 5) {
            say(&parley, &id, None, Role::User, &format!("many {i}")).await;
        }
        let capped = parley.search_history("many", 10_000).await.unwrap();
        assert_eq!(capped.len(), MAX_SEARCH_HITS as usize);
        assert_eq!(parley.search_history("many", 0).await.unwrap().len(), 1);
        for hostile in ["\"", "\"unbalanced", "*", "AND", "NEAR(", "-", "^", ":"] {
            parley.search_history(hostile, 10).await.unwrap();
        }
    }

    /// Issue 13: opening sends the newest messages only, the rest comes a page at a time, and
    /// a branch switch or search hit far up sends the branch from just before that message.
    #[tokio::test]
    async fn a_long_branch_opens_on_its_newest_messages_and_pages_back_to_its_root() {
        use crate::app::{OPEN_WINDOW, WINDOW_MARGIN};
        let dir = tempfile::tempdir().unwrap();
        let parley = parley(dir.path()).await;
        let id = conversation(&parley, "Long").await;
        let mut branch: Vec<String> = Vec::new();
        for i in 0..100 {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            let text = format!("message {i}");
            branch.push(say(&parley, &id, branch.last().map(String::as_str), role, &text).await);
        }
        // An alternative reply at position 11, older than what follows it on the main branch.
        let alternative = say(&parley, &id, Some(&branch[10]), Role::Assistant, "other").await;
        parley.select_branch(&branch[99]).await.unwrap();

        let view = parley.open_conversation(&id).await.unwrap();
        let shown: Vec<&str> = view.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(shown, branch[100 - OPEN_WINDOW..]);
        assert_eq!(view.earlier as usize, 100 - OPEN_WINDOW);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["earlier"], 100 - OPEN_WINDOW);

        // Paging back from the first shown message reaches the root, with siblings intact.
        let mut before = view.messages[0].id.clone();
        let mut pages = Vec::new();
        loop {
            let page = parley.branch_before(&before, 25).await.unwrap();
            let ids: Vec<String> = page.messages.iter().map(|m| m.id.clone()).collect();
            assert!(!ids.is_empty() && ids.len() <= 25);
            before = ids[0].clone();
            pages.splice(0..0, ids);
            assert_eq!(page.earlier as usize, 100 - OPEN_WINDOW - pages.len());
            if page.earlier == 0 {
                break;
            }
        }
        assert_eq!(pages, branch[..100 - OPEN_WINDOW]);
        let root_page = parley.branch_before(&branch[0], 25).await.unwrap();
        assert!(root_page.messages.is_empty() && root_page.earlier == 0);
        let eleventh = parley.branch_before(&branch[12], 1).await.unwrap();
        assert_eq!(eleventh.messages[0].id, branch[11]);
        assert_eq!(
            eleventh.messages[0].sibling_ids,
            [branch[11].clone(), alternative.clone()]
        );
        assert_eq!(eleventh.earlier, 11);
        assert_eq!(
            parley.branch_before("nope", 10).await.unwrap_err().kind(),
            ErrorKind::Missing
        );

        // Switching to the alternative: a branch of 12, sent whole.
        let switched = parley.select_branch(&alternative).await.unwrap();
        let ids: Vec<&str> = switched.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!((ids.len(), switched.earlier), (12, 0));
        assert_eq!(ids.last().copied(), Some(alternative.as_str()));
        // Back to the long branch from its 21st message: sent from just before that one.
        let back = parley.select_branch(&branch[20]).await.unwrap();
        let ids: Vec<&str> = back.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(back.earlier as usize, 20 - WINDOW_MARGIN);
        assert_eq!(ids, branch[20 - WINDOW_MARGIN..]);
        // A short branch is sent whole.
        let short = conversation(&parley, "Short").await;
        say(&parley, &short, None, Role::User, "hi").await;
        let view = parley.open_conversation(&short).await.unwrap();
        assert_eq!((view.messages.len(), view.earlier), (1, 0));
    }
}
