//! Rendered replies kept across launches (`render_cache.rs`) through `Parley`: an entry survives
//! a restart, and emptying the trash, now or at the next start-up, removes them all (an entry
//! holds a message's text).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use parley_core::{Environment, Parley};
use parley_secrets::MemorySecretStore;
use parley_store::NewConversation;

const KEY: &str = "m1-0-650000-1a2b3c-en-1";

async fn open(dir: &tempfile::TempDir) -> Parley {
    Parley::open(
        dir.path(),
        Arc::new(MemorySecretStore::default()),
        Environment::default(),
    )
    .await
    .unwrap()
}

async fn trash_one(parley: &Parley) {
    let conversation = parley
        .store()
        .create_conversation(&NewConversation {
            title: "to be deleted".into(),
            model: "claude-haiku-4-5-20251001".into(),
            system_prompt: None,
        })
        .await
        .unwrap();
    parley
        .trash_conversations(std::slice::from_ref(&conversation.id))
        .await
        .unwrap();
}

#[tokio::test]
async fn rendered_html_outlives_a_restart_but_not_an_emptied_trash() {
    let dir = tempfile::tempdir().unwrap();
    let parley = open(&dir).await;
    parley.write_rendered(KEY, "<p>long reply</p>".into()).await;
    drop(parley);

    let parley = open(&dir).await;
    assert_eq!(
        parley.read_rendered(KEY).await.as_deref(),
        Some("<p>long reply</p>"),
        "kept across the restart (nothing was in the trash)"
    );
    trash_one(&parley).await;
    assert!(
        parley.read_rendered(KEY).await.is_some(),
        "the trash can still be undone"
    );
    parley.purge_trash().await.unwrap();
    assert_eq!(
        parley.read_rendered(KEY).await,
        None,
        "emptied with the trash"
    );

    // The trash a launch leaves is emptied at the next start-up, and the cache with it.
    parley.write_rendered(KEY, "<p>again</p>".into()).await;
    trash_one(&parley).await;
    drop(parley);
    let parley = open(&dir).await;
    assert_eq!(parley.read_rendered(KEY).await, None);
}
