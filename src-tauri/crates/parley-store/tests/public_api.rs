//! The store as the app uses it, through the public API only, on a real file:
//! a chat with a streamed reply, a crash mid-stream, a restart, and search.

use parley_store::{
    INTERRUPTED_ERROR_KIND, MessageFinish, MessageStatus, NewConversation, NewMessage, Role,
    SNIPPET_END, SNIPPET_START, Store, StoredUsage,
};

fn prompt(conversation_id: &str, parent_id: Option<&str>, text: &str) -> NewMessage {
    NewMessage {
        conversation_id: conversation_id.to_owned(),
        parent_id: parent_id.map(str::to_owned),
        role: Role::User,
        content_json: format!(r#"[{{"type":"text","text":{text:?}}}]"#),
        text: text.to_owned(),
        model: None,
        status: MessageStatus::Done,
    }
}

fn reply(conversation_id: &str, parent_id: &str) -> NewMessage {
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

#[tokio::test]
async fn a_chat_survives_a_crash_mid_stream_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("parley.db");

    let store = Store::open(&path).await.unwrap();
    let conversation = store
        .create_conversation(&NewConversation {
            title: "New chat".to_owned(),
            model: "claude-test".to_owned(),
            system_prompt: None,
        })
        .await
        .unwrap();
    let question = store
        .insert_message(&prompt(&conversation.id, None, "What is a trigram index?"))
        .await
        .unwrap();
    let answer = store
        .insert_message(&reply(&conversation.id, &question.id))
        .await
        .unwrap();
    store
        .update_streaming_content(&answer.id, "[]", "A trigram index stores")
        .await
        .unwrap();
    store
        .finish_message(
            &answer.id,
            &MessageFinish {
                status: MessageStatus::Done,
                content_json: "[]".to_owned(),
                text: "A trigram index stores every three-character substring.".to_owned(),
                stop_reason: Some("end_turn".to_owned()),
                stop_sequence: None,
                usage: StoredUsage {
                    input_tokens: Some(10),
                    output_tokens: Some(12),
                    ..StoredUsage::default()
                },
                error_kind: None,
                error_message: None,
                request_id: Some("req_1".to_owned()),
            },
        )
        .await
        .unwrap();
    let follow_up = store
        .insert_message(&prompt(
            &conversation.id,
            Some(&answer.id),
            "And for Chinese?",
        ))
        .await
        .unwrap();
    let interrupted = store
        .insert_message(&reply(&conversation.id, &follow_up.id))
        .await
        .unwrap();
    store
        .update_streaming_content(&interrupted.id, "[]", "It works for 中文全文搜索 too")
        .await
        .unwrap();
    // The app is killed here: no finish_message, no close.
    drop(store);

    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.recover_interrupted_streams().await.unwrap(), 1);
    let path_ids: Vec<String> = store
        .active_path(&conversation.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(
        path_ids,
        [
            question.id.as_str(),
            answer.id.as_str(),
            follow_up.id.as_str(),
            interrupted.id.as_str()
        ]
    );
    let recovered = store.get_message(&interrupted.id).await.unwrap();
    assert_eq!(recovered.status, MessageStatus::Error);
    assert_eq!(
        recovered.error_kind.as_deref(),
        Some(INTERRUPTED_ERROR_KIND)
    );
    assert_eq!(recovered.text, "It works for 中文全文搜索 too");

    let hits = store.search_messages("全文搜索", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].message_id, interrupted.id);
    assert!(hits[0].snippet.contains(SNIPPET_START) && hits[0].snippet.contains(SNIPPET_END));
    let listed = store.list_conversations(10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, conversation.id);
    store.close().await;
}

/// Tauri runs commands on a multi-threaded runtime, so every future the store
/// returns must be `Send`; spawning them proves it at compile time.
#[tokio::test]
async fn store_futures_can_be_spawned() {
    let store = Store::open_in_memory().await.unwrap();
    let handle = tokio::spawn({
        let store = store.clone();
        async move {
            let conversation = store
                .create_conversation(&NewConversation {
                    title: "t".to_owned(),
                    model: "m".to_owned(),
                    system_prompt: None,
                })
                .await?;
            let message = store
                .insert_message(&prompt(&conversation.id, None, "hello there"))
                .await?;
            store.select_branch(&message.id).await?;
            store.active_path(&conversation.id).await?;
            store.search_messages("hello", 5).await?;
            store.search_messages("he", 5).await?;
            store.recover_interrupted_streams().await?;
            store.set_setting("k", "v").await?;
            store.get_setting("k").await
        }
    });
    assert_eq!(handle.await.unwrap().unwrap().as_deref(), Some("v"));
}
