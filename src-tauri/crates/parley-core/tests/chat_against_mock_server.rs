//! The core against the mock Claude server over real HTTP/SSE on 127.0.0.1, with a real SQLite
//! file: what was sent (headers, body), what streamed to the UI, and what was stored.

// A test crate: `unwrap` is how its helpers fail a test. clippy.toml's allow-unwrap-in-tests
// covers `#[test]` functions and `cfg(test)` modules, not the helpers of an integration test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use parley_claude::{AuthStyle, RetryPolicy};
use parley_core::{
    ChatEvent, CollectingSink, ComposerImage, Environment, ErrorKind, ImagePlacement, Parley,
    SendRequest, Settings, StreamTuning,
};
use parley_mock_claude::{MockServer, Scenario};
use parley_secrets::MemorySecretStore;
use parley_store::{MessageStatus, Store};

const KEY: &str = "sk-ant-test-key-0123456789";

struct Harness {
    parley: Parley,
    server: MockServer,
    _dir: tempfile::TempDir,
    dir_path: std::path::PathBuf,
}

fn fast_tuning() -> StreamTuning {
    StreamTuning {
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        persist_every: Duration::from_millis(100),
        save_retry_delays: vec![Duration::from_millis(5), Duration::from_millis(10)],
        save_retry_every: Duration::from_millis(50),
        ..StreamTuning::default()
    }
}

async fn harness_with(auth_style: AuthStyle, base_suffix: &str) -> Harness {
    harness_in(tempfile::tempdir().unwrap(), auth_style, base_suffix).await
}

/// The harness with its data folder in `dir`.
async fn harness_in(dir: tempfile::TempDir, auth_style: AuthStyle, base_suffix: &str) -> Harness {
    let server = MockServer::start().await.unwrap();
    // Keys are bound to their origin: this one is for the mock server's.
    let secrets = Arc::new(MemorySecretStore::with_key_for(&server.base_url(), KEY).unwrap());
    let mut parley = Parley::open(dir.path(), secrets, Environment::default())
        .await
        .unwrap();
    parley.set_stream_tuning(fast_tuning());
    let mut settings = Settings::defaults(None);
    settings.base_url = format!("{}{base_suffix}", server.base_url());
    settings.auth_style = auth_style;
    // Off here so each test sees only its own requests; the title tests turn it on.
    settings.title_model = None;
    parley.save_settings(settings).await.unwrap();
    let dir_path = dir.path().to_owned();
    Harness {
        parley,
        server,
        _dir: dir,
        dir_path,
    }
}

async fn harness() -> Harness {
    harness_with(AuthStyle::XApiKey, "").await
}

fn request(text: &str) -> SendRequest {
    SendRequest {
        conversation_id: None,
        text: text.into(),
        model: "claude-haiku-4-5-20251001".into(),
        system_prompt: None,
        images: Vec::new(),
        image_placement: ImagePlacement::BeforeText,
        params: None,
        prefill: None,
    }
}

async fn send(
    h: &Harness,
    req: SendRequest,
) -> (
    parley_core::SendStarted,
    parley_core::MessageView,
    CollectingSink,
) {
    let sink = CollectingSink::default();
    let started = h
        .parley
        .send_message(req, Arc::new(sink.clone()))
        .await
        .unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(20), sink.finished())
        .await
        .expect("the reply finishes");
    (started, finished, sink)
}

fn text_of(message: &parley_core::MessageView) -> String {
    parley_claude::plain_text(&message.blocks)
}

fn streamed_text(sink: &CollectingSink) -> String {
    sink.events()
        .into_iter()
        .filter_map(|e| match e {
            ChatEvent::TextDelta { text, .. } => Some(text),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_reply_streams_to_the_ui_and_is_stored_with_usage() {
    let h = harness().await;
    let mut req = request("Hello 世界, how are you?");
    req.system_prompt = Some("Be brief.".into());
    let (started, finished, sink) = send(&h, req).await;

    assert_eq!(finished.status, parley_core::view::StatusView::Done);
    assert_eq!(text_of(&finished), "Echo: Hello 世界, how are you?");
    assert_eq!(
        streamed_text(&sink),
        text_of(&finished),
        "the deltas add up to the stored text"
    );
    // The text crosses to the UI once, in the deltas: the block's end and the finish leave it
    // out, and what the UI builds from the events is the stored reply.
    let events = sink.events();
    let stops: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::BlockStop {
                block,
                text_streamed,
                ..
            } => Some((block.clone(), *text_streamed)),
            _ => None,
        })
        .collect();
    assert_eq!(stops, vec![(parley_claude::ContentBlock::text(""), true)]);
    let Some(ChatEvent::Finished {
        message,
        blocks_streamed,
    }) = events
        .iter()
        .find(|e| matches!(e, ChatEvent::Finished { .. }))
    else {
        panic!("a Finished event: {events:?}")
    };
    assert!(*blocks_streamed && message.blocks.is_empty(), "{message:?}");
    let usage = finished
        .usage
        .clone()
        .expect("usage is shown for every reply");
    // Prompt caching is on by default: the whole prompt is written to the cache.
    let input = usage.input_tokens + usage.cache_creation_input_tokens.unwrap_or(0);
    assert!(input > 0 && usage.output_tokens > 0, "{usage:?}");
    assert_eq!(finished.stop_reason.as_deref(), Some("end_turn"));

    // What was sent.
    let requests = h.server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert!(
        sent.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert_eq!(
        sent.header("authorization"),
        None,
        "x-api-key style sends no bearer header"
    );
    let body = sent.json().unwrap();
    assert_eq!(body["model"], "claude-haiku-4-5-20251001");
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["system"],
        serde_json::json!([{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]),
        "the system prompt is a cache breakpoint"
    );
    assert_eq!(body["max_tokens"], 4096);
    assert_eq!(body["messages"][0]["role"], "user");
    assert_eq!(
        body["messages"][0]["content"][0]["text"],
        "Hello 世界, how are you?"
    );

    // What was stored, read back after a restart.
    let conversation_id = started.conversation.id.clone();
    drop(h.parley);
    let reopened = Parley::open(
        &h.dir_path,
        Arc::new(MemorySecretStore::default()),
        Environment::default(),
    )
    .await
    .unwrap();
    let list = reopened.list_history().await.unwrap().conversations;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, "Hello 世界, how are you?");
    let view = reopened.open_conversation(&conversation_id).await.unwrap();
    assert_eq!(view.messages.len(), 2);
    assert_eq!(text_of(&view.messages[1]), "Echo: Hello 世界, how are you?");
    assert_eq!(view.messages[1].usage, finished.usage);
    assert_eq!(
        view.conversation.system_prompt.as_deref(),
        Some("Be brief.")
    );
}

#[tokio::test]
async fn bearer_style_and_a_base_url_typed_with_v1_work() {
    let h = harness_with(AuthStyle::Bearer, "/v1/").await;
    let (_, finished, _) = send(&h, request("hi")).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Done);
    let sent = &h.server.requests()[0];
    assert_eq!(
        sent.path, "/v1/messages",
        "the /v1 typed by the user is not doubled"
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(sent.header("x-api-key"), None);
}

#[tokio::test]
async fn client_errors_are_never_retried_and_keep_their_kind_and_request_id() {
    for (status, error_type, kind) in [
        (400, "invalid_request_error", ErrorKind::InvalidRequest),
        (401, "authentication_error", ErrorKind::Auth),
        (403, "permission_error", ErrorKind::Permission),
        (404, "not_found_error", ErrorKind::NotFound),
        (413, "request_too_large", ErrorKind::RequestTooLarge),
    ] {
        let h = harness().await;
        h.server.push_scenario(Scenario::HttpError {
            status,
            error_type: error_type.into(),
            message: format!("mock says {status}"),
            retry_after: None,
        });
        let (_, finished, sink) = send(&h, request("hi")).await;
        let error = finished.error.clone().expect("the reply carries its error");
        assert_eq!(error.kind, kind, "status {status}");
        assert!(
            error.message.contains(&format!("mock says {status}")),
            "{}",
            error.message
        );
        assert!(
            error
                .request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("req_"))
        );
        assert_eq!(h.server.requests().len(), 1, "{status} must not be retried");
        assert!(
            !sink
                .events()
                .iter()
                .any(|e| matches!(e, ChatEvent::Retrying { .. }))
        );
        assert!(
            !error.message.contains(KEY),
            "the key never appears in error text"
        );
    }
}

#[tokio::test]
async fn overloaded_and_rate_limited_requests_are_retried_before_any_text() {
    let h = harness().await;
    for _ in 0..2 {
        h.server.push_scenario(Scenario::HttpError {
            status: 529,
            error_type: "overloaded_error".into(),
            message: "busy".into(),
            retry_after: Some(0),
        });
    }
    let (_, finished, sink) = send(&h, request("persist")).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Done);
    assert_eq!(text_of(&finished), "Echo: persist");
    assert_eq!(h.server.requests().len(), 3, "two 529s, then the reply");
    let retries: Vec<_> = sink
        .events()
        .into_iter()
        .filter_map(|e| match e {
            ChatEvent::Retrying { attempt, error, .. } => Some((attempt, error.kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        vec![(1, ErrorKind::Overloaded), (2, ErrorKind::Overloaded)]
    );
}

#[tokio::test]
async fn retries_stop_after_the_policy_limit() {
    let h = harness().await;
    for _ in 0..10 {
        h.server.push_scenario(Scenario::HttpError {
            status: 429,
            error_type: "rate_limit_error".into(),
            message: "slow down".into(),
            retry_after: None,
        });
    }
    let (_, finished, _) = send(&h, request("hi")).await;
    assert_eq!(finished.error.unwrap().kind, ErrorKind::RateLimit);
    assert_eq!(h.server.requests().len(), 4, "one try and three retries");
}

#[tokio::test]
async fn a_mid_stream_error_keeps_the_partial_text_and_is_not_retried() {
    let h = harness().await;
    h.server.push_scenario(Scenario::MidStreamError {
        text_before: "Partial answer".into(),
        error_type: "overloaded_error".into(),
    });
    let (_, finished, _) = send(&h, request("hi")).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Error);
    assert_eq!(finished.error.clone().unwrap().kind, ErrorKind::Overloaded);
    assert_eq!(text_of(&finished), "Partial answer");
    assert_eq!(
        h.server.requests().len(),
        1,
        "text was shown: offer retry instead of retrying"
    );
    let stored = h.parley.store().get_message(&finished.id).await.unwrap();
    assert_eq!(stored.text, "Partial answer");
    assert_eq!(stored.error_kind.as_deref(), Some("overloaded"));
}

#[tokio::test]
async fn a_dropped_connection_is_an_interrupted_reply_with_its_text_kept() {
    let h = harness().await;
    h.server.push_scenario(Scenario::Drop {
        text_before: "Half of it".into(),
    });
    let (_, finished, _) = send(&h, request("hi")).await;
    assert_eq!(
        finished.error.clone().unwrap().kind,
        ErrorKind::StreamInterrupted
    );
    assert_eq!(text_of(&finished), "Half of it");
    let stored = h.parley.store().get_message(&finished.id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Error);
    assert_eq!(stored.text, "Half of it");
}

#[tokio::test]
async fn stop_closes_the_connection_at_once_and_keeps_the_partial_reply() {
    let h = harness().await;
    h.server.push_scenario(Scenario::Slow {
        text: "one two three four five six seven eight nine ten ".repeat(20),
        delay_ms_between_chunks: 50,
    });
    let sink = CollectingSink::default();
    let started = h
        .parley
        .send_message(request("hi"), Arc::new(sink.clone()))
        .await
        .unwrap();
    let id = started.assistant_message.id.clone();
    // Wait for some text, and for the throttled write to have stored part of it.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let stored = h.parley.store().get_message(&id).await.unwrap();
            if !stored.text.is_empty() {
                assert_eq!(stored.status, MessageStatus::Streaming);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("partial text reaches the database while the reply streams");
    assert_eq!(h.server.active_connections(), 1);

    assert!(h.parley.cancel_stream(&id));
    let finished = tokio::time::timeout(Duration::from_secs(5), sink.finished())
        .await
        .unwrap();
    assert_eq!(finished.status, parley_core::view::StatusView::Cancelled);
    assert!(!text_of(&finished).is_empty(), "the partial reply is kept");
    tokio::time::timeout(Duration::from_secs(2), async {
        while h.server.active_connections() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the HTTP connection is closed when the user stops");
    let stored = h.parley.store().get_message(&id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Cancelled);
    assert_eq!(stored.text, text_of(&finished));
}

/// Starts a reply that streams `text` slowly; returns its id, its conversation's id and the sink.
async fn start_slow(h: &Harness, text: &str, delay_ms: u64) -> (String, String, CollectingSink) {
    h.server.push_scenario(Scenario::Slow {
        text: text.into(),
        delay_ms_between_chunks: delay_ms,
    });
    let sink = CollectingSink::default();
    let started = h
        .parley
        .send_message(request("hi"), Arc::new(sink.clone()))
        .await
        .unwrap();
    (started.assistant_message.id, started.conversation.id, sink)
}

/// Waits until the throttled write has stored part of reply `id`.
async fn wait_for_partial_write(h: &Harness, id: &str) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let stored = h.parley.store().get_message(id).await.unwrap();
            if !stored.text.is_empty() {
                assert_eq!(stored.status, MessageStatus::Streaming);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("partial text reaches the database while the reply streams");
}

/// The `Finished` messages so far, whole (blocks the event left out rebuilt as the UI does).
fn finished_events(sink: &CollectingSink) -> Vec<parley_core::MessageView> {
    sink.finished_messages()
}

/// Waits for the `n`th (from 1) `Finished` event.
async fn nth_finished(sink: &CollectingSink, n: usize) -> parley_core::MessageView {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Some(message) = finished_events(sink).into_iter().nth(n - 1) {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("Finished event number {n} arrives"))
}

/// What a reply whose final write failed must look like: everything streamed, status `error`,
/// kind `database` with a message that says the text is not stored.
fn assert_shown_whole_but_unsaved(shown: &parley_core::MessageView, text: &str) {
    assert_eq!(
        text_of(shown),
        text,
        "the UI never shows less than was streamed, even when nothing could be stored"
    );
    assert_eq!(shown.status, parley_core::view::StatusView::Error);
    let error = shown.error.clone().expect("the failed write is shown");
    assert_eq!(error.kind, ErrorKind::Database, "{error:?}");
    assert!(
        error.message.contains("could not save this reply") && error.message.contains("not stored"),
        "the message says what happened to the text: {}",
        error.message
    );
}

/// After the write works again, the stored reply arrives in a second `Finished`.
async fn assert_saved_later(h: &Harness, sink: &CollectingSink, id: &str, text: &str) {
    let saved = nth_finished(sink, 2).await;
    assert_eq!(saved.status, parley_core::view::StatusView::Done);
    assert_eq!(saved.error, None);
    assert_eq!(text_of(&saved), text);
    let stored = h.parley.store().get_message(id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Done);
    assert_eq!(
        stored.text, text,
        "the retried write stored the whole reply"
    );
}

#[tokio::test]
async fn a_reply_whose_final_write_fails_is_shown_whole_with_a_database_error_then_saved() {
    use sqlx::Connection;
    let h = harness().await;
    let path = h.dir_path.join(parley_core::app::DATABASE_FILE);
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    // The write that ends a reply fails as on a full disk; the throttled partial writes (which
    // leave the status alone) still work.
    sqlx::query(
        "CREATE TRIGGER fail_final_write BEFORE UPDATE OF status ON messages
         WHEN NEW.status <> 'streaming'
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let text = "one two three four five six seven eight nine ten ".repeat(10);
    let (id, _, sink) = start_slow(&h, &text, 20).await;

    let shown = nth_finished(&sink, 1).await;
    assert_shown_whole_but_unsaved(&shown, &text);
    assert_eq!(streamed_text(&sink), text);
    let stored = h.parley.store().get_message(&id).await.unwrap();
    assert_eq!(
        stored.status,
        MessageStatus::Streaming,
        "the final write failed"
    );
    assert!(
        !stored.text.is_empty() && text.starts_with(&stored.text),
        "the row keeps what was last written: {:?}",
        stored.text
    );

    sqlx::query("DROP TRIGGER fail_final_write")
        .execute(&mut db)
        .await
        .unwrap();
    assert_saved_later(&h, &sink, &id, &text).await;
}

/// A small tmpfs mounted for one test and unmounted when dropped.
struct SmallDisk {
    mount_point: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` where mounting is not allowed (not root, no `CAP_SYS_ADMIN`).
    fn mount(bytes: u64) -> Option<Self> {
        let mount_point = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "parley-test"])
            .arg(mount_point.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(Self { mount_point })
    }

    fn path(&self) -> &std::path::Path {
        self.mount_point.path()
    }

    /// Fills the disk with a file, to the last byte; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        for size in [1 << 16, 512, 1] {
            let chunk = vec![0u8; size];
            while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_during_a_reply_keeps_the_whole_text_shows_the_error_and_saves_it_later() {
    let Some(disk) = SmallDisk::mount(32 << 20) else {
        eprintln!("skipped: mounting a tmpfs needs root; the injected failure test covers this");
        return;
    };
    let h = harness_in(
        tempfile::tempdir_in(disk.path()).unwrap(),
        AuthStyle::XApiKey,
        "",
    )
    .await;
    let text = "The disk fills up while this reply streams. ".repeat(20);
    let (id, _, sink) = start_slow(&h, &text, 20).await;
    wait_for_partial_write(&h, &id).await;
    let filler = disk.fill();

    let shown = nth_finished(&sink, 1).await;
    assert_shown_whole_but_unsaved(&shown, &text);
    let stored = h.parley.store().get_message(&id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Streaming);
    assert!(
        text.starts_with(&stored.text) && stored.text.len() < text.len(),
        "the row keeps what was written before the disk filled: {:?}",
        stored.text
    );

    std::fs::remove_file(filler).unwrap();
    assert_saved_later(&h, &sink, &id, &text).await;
}

#[tokio::test]
async fn trashing_a_conversation_stops_its_reply_first_and_nothing_writes_into_it_afterwards() {
    let h = harness().await;
    let text = "one two three four five six seven eight nine ten ".repeat(40);
    let (id, conversation_id, sink) = start_slow(&h, &text, 50).await;
    wait_for_partial_write(&h, &id).await;

    h.parley
        .trash_conversations(&[conversation_id])
        .await
        .unwrap();
    let finished = finished_events(&sink);
    assert_eq!(
        finished.len(),
        1,
        "the reply ended, and stored its text, before the conversation went to the trash"
    );
    assert_eq!(finished[0].status, parley_core::view::StatusView::Cancelled);
    assert!(!h.parley.cancel_stream(&id), "no stream is left running");
    let stored = h.parley.store().get_message(&id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Cancelled);
    assert_eq!(stored.text, text_of(&finished[0]));

    let events = sink.events().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.parley.store().get_message(&id).await.unwrap(),
        stored,
        "nothing wrote into the trashed conversation"
    );
    assert_eq!(sink.events().len(), events, "no event came after the trash");
    tokio::time::timeout(Duration::from_secs(2), async {
        while h.server.active_connections() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the HTTP request was dropped");
}

#[tokio::test]
async fn purging_the_trash_stops_a_reply_still_streaming_into_it_and_leaves_no_orphan_writes() {
    let h = harness().await;
    let text = "one two three four five six seven eight nine ten ".repeat(40);
    let (id, conversation_id, sink) = start_slow(&h, &text, 50).await;
    wait_for_partial_write(&h, &id).await;
    // Trashed behind Parley's back, so the stream is still running when the purge comes.
    h.parley
        .store()
        .trash_conversations(&[conversation_id])
        .await
        .unwrap();

    h.parley.purge_trash().await.unwrap();
    let finished = finished_events(&sink);
    assert_eq!(
        finished.len(),
        1,
        "the reply ended before its row was deleted"
    );
    assert_eq!(finished[0].status, parley_core::view::StatusView::Cancelled);
    let events = sink.events().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.events().len(), events, "no event came after the purge");
    assert!(
        h.parley.store().get_message(&id).await.is_err(),
        "the reply went with its conversation"
    );
    assert!(!h.parley.cancel_stream(&id), "no stream is left running");
}

#[tokio::test]
async fn regenerate_and_edit_create_alternatives_that_can_be_switched() {
    let h = harness().await;
    let (started, first_reply, _) = send(&h, request("first question")).await;
    let conversation_id = started.conversation.id.clone();
    let mut follow_up = request("second question");
    follow_up.conversation_id = Some(conversation_id.clone());
    let (second, _, _) = send(&h, follow_up).await;
    let second_user = second.user_message.unwrap();

    // Regenerate the first reply: a new sibling becomes active, the old one is kept.
    let sink = CollectingSink::default();
    let regenerated = h
        .parley
        .regenerate_reply(&first_reply.id, Arc::new(sink.clone()))
        .await
        .unwrap();
    let new_reply = sink.finished().await;
    assert_eq!(regenerated.assistant_message.id, new_reply.id);
    assert_eq!(
        new_reply.sibling_ids,
        vec![first_reply.id.clone(), new_reply.id.clone()]
    );
    assert_eq!(new_reply.sibling_index, 1);
    let view = h.parley.open_conversation(&conversation_id).await.unwrap();
    assert_eq!(
        view.messages.len(),
        2,
        "the new branch has only the first turn"
    );
    // The regenerate request held only the first question.
    let body = h.server.requests().last().unwrap().json().unwrap();
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);

    // Switching back restores the old branch with its follow-up.
    let view = h.parley.select_branch(&first_reply.id).await.unwrap();
    assert_eq!(view.messages.len(), 4);
    assert_eq!(view.messages[2].id, second_user.id);
    assert_eq!(view.messages[1].sibling_index, 0);
    assert_eq!(view.messages[1].sibling_ids.len(), 2);

    // Edit the second question: a sibling user message with its own reply; history is sent.
    let sink = CollectingSink::default();
    let edited = h
        .parley
        .edit_and_resend(
            &second_user.id,
            "second question, edited".into(),
            Arc::new(sink.clone()),
        )
        .await
        .unwrap();
    let reply = sink.finished().await;
    assert_eq!(text_of(&reply), "Echo: second question, edited");
    let edited_user = edited.user_message.unwrap();
    assert_eq!(
        edited_user.sibling_ids,
        vec![second_user.id.clone(), edited_user.id.clone()]
    );
    let body = h.server.requests().last().unwrap().json().unwrap();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "question, reply, edited question");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"][0]["text"], "Echo: first question");
    assert_eq!(messages[2]["content"][0]["text"], "second question, edited");
}

#[tokio::test]
async fn without_a_key_nothing_is_stored_and_the_error_says_so() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let parley = Parley::open(
        dir.path(),
        Arc::new(MemorySecretStore::default()),
        Environment::default(),
    )
    .await
    .unwrap();
    let mut settings = Settings::defaults(None);
    settings.base_url = server.base_url();
    parley.save_settings(settings).await.unwrap();
    let error = parley
        .send_message(request("hello"), Arc::new(CollectingSink::default()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoApiKey);
    assert!(
        parley
            .list_history()
            .await
            .unwrap()
            .conversations
            .is_empty(),
        "no half-made conversation"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn the_environment_key_is_never_sent_to_another_origin_than_anthropic() {
    // A user whose shell exports an Anthropic key points Parley at a gateway (here the mock):
    // the key must not travel there, and the error must say which origin needs a key.
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = Environment {
        api_key: Some("sk-ant-from-env".into()),
        base_url: Some(server.base_url()),
    };
    let parley = Parley::open(dir.path(), Arc::new(MemorySecretStore::default()), env)
        .await
        .unwrap();
    let view = parley.settings_view().await.unwrap();
    assert_eq!(
        view.settings.base_url,
        server.base_url(),
        "ANTHROPIC_BASE_URL is the initial base URL"
    );
    assert_eq!(view.key.status, parley_core::KeyStatus::Unset);
    assert_eq!(view.key.origin, server.base_url());
    let error = parley
        .send_message(request("hi"), Arc::new(CollectingSink::default()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoApiKey);
    assert!(error.to_string().contains(&server.base_url()), "{error}");
    let error = parley.test_connection().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoApiKey);
    assert!(
        server.requests().is_empty(),
        "nothing, least of all the environment's key, reached the gateway"
    );
    let anthropic = parley
        .api_key_status("https://api.anthropic.com")
        .await
        .unwrap();
    assert_eq!(anthropic.status, parley_core::KeyStatus::Env);
}

#[tokio::test]
async fn a_key_goes_only_to_the_origin_it_was_saved_for_whatever_url_is_saved_later() {
    let h = harness().await;
    // The webview saves another base URL (a second server, another origin): the first
    // server's key must not follow it there.
    let other = MockServer::start().await.unwrap();
    let mut settings = h.parley.settings().await.unwrap();
    settings.base_url = other.base_url();
    h.parley.save_settings(settings.clone()).await.unwrap();
    let error = h
        .parley
        .send_message(request("hi"), Arc::new(CollectingSink::default()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoApiKey);
    assert!(other.requests().is_empty(), "the other origin saw nothing");
    // A key saved for the other origin is used there, and the first keeps its own.
    h.parley
        .set_api_key(&other.base_url(), "sk-other".into())
        .await
        .unwrap();
    let (_, finished, _) = send(&h, request("hi")).await;
    assert!(finished.error.is_none(), "{:?}", finished.error);
    assert_eq!(other.requests()[0].header("x-api-key"), Some("sk-other"));
    settings.base_url = format!("{}/v1", h.server.base_url());
    h.parley.save_settings(settings).await.unwrap();
    let (_, finished, _) = send(&h, request("hi")).await;
    assert!(finished.error.is_none(), "{:?}", finished.error);
    assert_eq!(
        h.server.requests().last().unwrap().header("x-api-key"),
        Some(KEY)
    );
    assert!(
        other
            .requests()
            .iter()
            .all(|r| r.header("x-api-key") != Some(KEY)),
        "the first origin's key never reached the second"
    );
}

#[tokio::test]
async fn a_wrong_key_is_an_auth_error() {
    let h = harness().await;
    h.parley
        .set_api_key(&h.server.base_url(), "sk-wrong".into())
        .await
        .unwrap();
    let (_, finished, _) = send(&h, request("hi")).await;
    assert_eq!(finished.error.unwrap().kind, ErrorKind::Auth);
}

#[tokio::test]
async fn test_connection_reports_success_and_the_exact_error() {
    let h = harness().await;
    let report = h.parley.test_connection().await.unwrap();
    assert!(!report.model.is_empty());
    let sent = h.server.requests()[0].json().unwrap();
    assert_eq!(
        sent["max_tokens"], 1,
        "the connection test is one cheap request"
    );
    h.parley
        .set_api_key(&h.server.base_url(), "sk-wrong".into())
        .await
        .unwrap();
    let error = h.parley.test_connection().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn replies_streaming_when_the_app_died_are_marked_interrupted_on_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(parley_core::app::DATABASE_FILE))
        .await
        .unwrap();
    let conversation = store
        .create_conversation(&parley_store::NewConversation {
            title: "t".into(),
            model: "m".into(),
            system_prompt: None,
        })
        .await
        .unwrap();
    let partial = store
        .insert_message(&parley_store::NewMessage {
            conversation_id: conversation.id.clone(),
            parent_id: None,
            role: parley_store::Role::Assistant,
            content_json: r#"[{"type":"text","text":"cut off here"}]"#.into(),
            text: "cut off here".into(),
            model: None,
            status: MessageStatus::Streaming,
        })
        .await
        .unwrap();
    drop(store);
    let parley = Parley::open(
        dir.path(),
        Arc::new(MemorySecretStore::default()),
        Environment::default(),
    )
    .await
    .unwrap();
    let view = parley.open_conversation(&conversation.id).await.unwrap();
    let message = view.messages.iter().find(|m| m.id == partial.id).unwrap();
    assert_eq!(message.status, parley_core::view::StatusView::Error);
    assert_eq!(
        message.error.clone().unwrap().kind,
        ErrorKind::StreamInterrupted
    );
    assert_eq!(text_of(message), "cut off here");
}

#[tokio::test]
async fn the_key_is_never_written_to_the_database() {
    let h = harness().await;
    h.server.push_scenario(Scenario::HttpError {
        status: 401,
        error_type: "authentication_error".into(),
        message: "invalid x-api-key".into(),
        retry_after: None,
    });
    send(&h, request("one")).await;
    send(&h, request("two")).await;
    // Look while the store is open (the WAL holds recent writes) and again after it closed.
    assert_no_file_holds_the_key(&h.dir_path);
    h.parley.store().close().await;
    assert_no_file_holds_the_key(&h.dir_path);
}

fn assert_no_file_holds_the_key(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        // The -wal and -shm files may vanish between listing and reading when the pool closes.
        let Ok(bytes) = std::fs::read(entry.unwrap().path()) else {
            continue;
        };
        let needle = KEY.as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the API key must not be in any database file"
        );
    }
}

fn encoded(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        // Noise-like content, so the photo stays a photo (JPEG) after preparation.
        let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) as u8;
        image::Rgb([v, v.wrapping_add(85), (x + y) as u8])
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

fn decoded_size(data: &str) -> (u32, u32) {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    image::load_from_memory(&bytes)
        .map(|image| (image.width(), image.height()))
        .unwrap()
}

#[tokio::test]
async fn images_are_sent_in_order_stored_once_and_removed_with_their_conversation() {
    let h = harness().await;
    let photo_path = h.dir_path.join("holiday photo.jpg");
    std::fs::write(&photo_path, encoded(3000, 2000, image::ImageFormat::Jpeg)).unwrap();
    let photo = h.parley.prepare_image_file(&photo_path).await.unwrap();
    assert_eq!(photo.name, "holiday photo.jpg");
    assert_eq!(photo.media_type, "image/jpeg");
    assert_eq!((photo.original_width, photo.original_height), (3000, 2000));
    assert!(photo.width <= 1568 && u64::from(photo.width) * u64::from(photo.height) <= 1_150_000);
    let small = h
        .parley
        .prepare_image_bytes(
            encoded(64, 48, image::ImageFormat::Png),
            "pasted image".into(),
        )
        .await
        .unwrap();

    let mut req = request("What is in these pictures?");
    req.images = vec![
        ComposerImage::Stored {
            sha256: photo.sha256.clone(),
        },
        ComposerImage::Url {
            url: "https://example.com/cat.png".into(),
        },
        ComposerImage::Stored {
            sha256: small.sha256.clone(),
        },
    ];
    req.image_placement = ImagePlacement::AfterText;
    let (started, finished, _) = send(&h, req).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Done);

    // The request holds the text, then the images in order, as base64 the API can decode.
    let body = h.server.last_request().unwrap().json().unwrap();
    let content = body["messages"][0]["content"].as_array().unwrap().clone();
    assert_eq!(content.len(), 4);
    assert_eq!(content[0]["type"], "text");
    assert_eq!(content[1]["source"]["type"], "base64");
    assert_eq!(content[1]["source"]["media_type"], "image/jpeg");
    assert_eq!(
        decoded_size(content[1]["source"]["data"].as_str().unwrap()),
        (photo.width, photo.height)
    );
    assert_eq!(
        content[2]["source"],
        serde_json::json!({"type": "url", "url": "https://example.com/cat.png"})
    );
    assert_eq!(
        content[3]["source"]["media_type"],
        small.media_type.as_str()
    );
    assert_eq!(
        decoded_size(content[3]["source"]["data"].as_str().unwrap()),
        (64, 48)
    );
    assert!(
        !body.to_string().contains("parley-attachment:"),
        "the internal image URL never leaves the app"
    );

    // Stored: the user message refers to the images by hash, and the files are in the data dir.
    let user = started.user_message.clone().unwrap();
    let stored_urls: Vec<String> = user
        .blocks
        .iter()
        .filter_map(|block| match block {
            parley_claude::ContentBlock::Image {
                source: parley_claude::ImageSource::Url { url },
            } => Some(url.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        stored_urls,
        [
            format!("parley-attachment:{}", photo.sha256),
            "https://example.com/cat.png".to_owned(),
            format!("parley-attachment:{}", small.sha256),
        ]
    );
    let images_dir = h.dir_path.join("images");
    assert!(images_dir.join(&photo.sha256).is_file());
    let thumbnail = h
        .parley
        .read_image(&photo.sha256, parley_core::ImageVariant::Thumbnail)
        .await
        .unwrap();
    assert!(thumbnail.starts_with("data:image/"));

    // Edit-and-resend keeps the images where they were (after the text).
    let sink = CollectingSink::default();
    h.parley
        .edit_and_resend(&user.id, "And now?".into(), Arc::new(sink.clone()))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), sink.finished())
        .await
        .unwrap();
    let body = h.server.last_request().unwrap().json().unwrap();
    let content = body["messages"][0]["content"].as_array().unwrap();
    assert_eq!(content.len(), 4);
    assert_eq!(content[0]["text"], "And now?");
    assert_eq!(content[1]["source"]["media_type"], "image/jpeg");

    // The same photo in another conversation: deleting the first keeps the shared file.
    let mut other = request("");
    other.images = vec![ComposerImage::Stored {
        sha256: photo.sha256.clone(),
    }];
    let (other_started, _, _) = send(&h, other).await;
    assert_eq!(other_started.conversation.title, "Image");
    h.parley
        .trash_conversations(std::slice::from_ref(&started.conversation.id))
        .await
        .unwrap();
    h.parley.purge_trash().await.unwrap();
    assert!(
        images_dir.join(&photo.sha256).is_file(),
        "still used elsewhere"
    );
    assert!(
        !images_dir.join(&small.sha256).exists(),
        "used by nothing now"
    );
    assert!(!images_dir.join(format!("{}.thumb", small.sha256)).exists());
    h.parley
        .trash_conversations(std::slice::from_ref(&other_started.conversation.id))
        .await
        .unwrap();
    h.parley.purge_trash().await.unwrap();
    assert!(!images_dir.join(&photo.sha256).exists());
}

#[tokio::test]
async fn refused_and_missing_images_say_why_and_lose_nothing() {
    let h = harness().await;
    let notes = h.dir_path.join("notes.png");
    std::fs::write(&notes, "not a picture at all").unwrap();
    let refused = h.parley.prepare_image_file(&notes).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ImageNotImage);
    assert!(refused.to_string().contains("notes.png"), "{refused}");
    let empty = h.dir_path.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        h.parley
            .prepare_image_file(&empty)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::ImageEmpty
    );

    // A send naming an image that is not in the store fails before anything is stored.
    let mut req = request("look");
    req.images = vec![ComposerImage::Stored {
        sha256: "ab".repeat(32),
    }];
    let sink = CollectingSink::default();
    let error = h
        .parley
        .send_message(req, Arc::new(sink))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ImageMissing);
    assert!(
        h.parley
            .list_history()
            .await
            .unwrap()
            .conversations
            .is_empty()
    );
    assert!(h.server.requests().is_empty());

    // An image file that vanished after sending: the retry fails as a reply with that kind.
    let draft = h
        .parley
        .prepare_image_bytes(encoded(32, 32, image::ImageFormat::Png), "dot.png".into())
        .await
        .unwrap();
    let mut req = request("again");
    req.images = vec![ComposerImage::Stored {
        sha256: draft.sha256.clone(),
    }];
    let (_, finished, _) = send(&h, req).await;
    std::fs::remove_file(h.dir_path.join("images").join(&draft.sha256)).unwrap();
    let sink = CollectingSink::default();
    h.parley
        .regenerate_reply(&finished.id, Arc::new(sink.clone()))
        .await
        .unwrap();
    let retried = tokio::time::timeout(Duration::from_secs(20), sink.finished())
        .await
        .unwrap();
    assert_eq!(retried.status, parley_core::view::StatusView::Error);
    assert_eq!(retried.error.unwrap().kind, ErrorKind::ImageMissing);
    assert_eq!(h.server.message_requests().len(), 1, "nothing was sent");
}

async fn harness_with_titles(model: Option<&str>) -> Harness {
    let h = harness().await;
    let mut settings = h.parley.settings().await.unwrap();
    settings.title_model = model.map(str::to_owned);
    h.parley.save_settings(settings).await.unwrap();
    h
}

/// Waits until a `TitleUpdated` event arrives (or fails after a few seconds).
async fn title_event(sink: &CollectingSink) -> (String, String) {
    for _ in 0..500 {
        if let Some(found) = sink.events().into_iter().find_map(|e| match e {
            ChatEvent::TitleUpdated {
                conversation_id,
                title,
            } => Some((conversation_id, title)),
            _ => None,
        }) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no titleUpdated event");
}

#[tokio::test]
async fn the_first_reply_gets_a_title_from_the_title_model_with_a_small_capped_request() {
    let h = harness_with_titles(Some("claude-sonnet-4-5-20250929")).await;
    let long_tail = "x".repeat(3_000);
    let text = format!("Plan a trip {long_tail}");
    let mut req = request(&text);
    req.model = "claude-opus-4-1-20250805".into();
    let (started, finished, sink) = send(&h, req).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Done);
    let id = started.conversation.id.clone();

    let (event_id, title) = title_event(&sink).await;
    assert_eq!(event_id, id);
    // The mock echoes the prompt, so the title is its first line, capped.
    assert!(title.starts_with("Echo: User: Plan a trip x"), "{title}");
    assert!(title.chars().count() <= parley_core::titles::TITLE_MAX_CHARS);
    let stored = h.parley.store().get_conversation(&id).await.unwrap();
    assert_eq!(stored.title, title);
    assert_eq!(stored.title_source, parley_store::TitleSource::Auto);
    let (input, output) = h.parley.store().title_usage(&id).await.unwrap().unwrap();
    assert!(input > 0 && output > 0, "the title's cost is counted");
    let events = sink.events();
    let finished_at = events
        .iter()
        .position(|e| matches!(e, ChatEvent::Finished { .. }))
        .unwrap();
    let title_at = events
        .iter()
        .position(|e| matches!(e, ChatEvent::TitleUpdated { .. }))
        .unwrap();
    assert!(
        title_at > finished_at,
        "the reply is never held up by its title"
    );
    let json = serde_json::to_value(&events[title_at]).unwrap();
    assert_eq!(json["type"], "titleUpdated");
    assert_eq!(json["conversationId"], id.as_str());

    let requests = h.server.message_requests();
    assert_eq!(requests.len(), 2, "one reply, one title");
    let body = requests[1].json().unwrap();
    assert_eq!(body["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(body["max_tokens"], 24);
    assert_ne!(body["stream"], true, "the title is not streamed");
    assert!(body["system"].as_str().unwrap().contains("title"));
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    let prompt = messages[0]["content"]
        .as_str()
        .expect("text only, no images");
    let excerpt = parley_core::titles::TITLE_EXCERPT_CHARS;
    assert!(
        prompt.chars().count() <= 2 * excerpt + 40,
        "capped: {}",
        prompt.len()
    );
    assert!(prompt.contains("Plan a trip"));
    assert!(prompt.contains("Assistant: Echo: Plan a trip"));

    // Later replies leave the title alone and send no more title requests.
    let mut next = request("and the hotel?");
    next.conversation_id = Some(id.clone());
    let (_, _, sink) = send(&h, next).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.server.message_requests().len(), 3);
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, ChatEvent::TitleUpdated { .. }))
    );
}

#[tokio::test]
async fn a_user_title_is_never_replaced_and_costs_no_title_request() {
    let h = harness_with_titles(Some("claude-haiku-4-5-20251001")).await;
    // The first reply fails: no title yet.
    h.server.push_scenario(Scenario::http_error(400));
    let (started, finished, _) = send(&h, request("name me")).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Error);
    let id = started.conversation.id.clone();
    h.parley
        .rename_conversation(&id, "My own title")
        .await
        .unwrap();

    // The retry is the first reply that finishes: the title stays the user's.
    let sink = CollectingSink::default();
    h.parley
        .regenerate_reply(&finished.id, Arc::new(sink.clone()))
        .await
        .unwrap();
    let retried = tokio::time::timeout(Duration::from_secs(20), sink.finished())
        .await
        .unwrap();
    assert_eq!(retried.status, parley_core::view::StatusView::Done);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.server.message_requests().len(), 2, "no title request");
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, ChatEvent::TitleUpdated { .. }))
    );
    let stored = h.parley.store().get_conversation(&id).await.unwrap();
    assert_eq!(stored.title, "My own title");
    assert_eq!(h.parley.store().title_usage(&id).await.unwrap(), None);
}

#[tokio::test]
async fn titles_turned_off_send_nothing_and_a_failed_title_keeps_the_first_words() {
    let h = harness_with_titles(None).await;
    let (started, _, sink) = send(&h, request("Untitled talk")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.server.message_requests().len(), 1);
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, ChatEvent::TitleUpdated { .. }))
    );
    assert_eq!(started.conversation.title, "Untitled talk");

    let h = harness_with_titles(Some("claude-haiku-4-5-20251001")).await;
    // The reply succeeds, the title request fails: only logged.
    h.server.push_scenario(Scenario::reply("Sure."));
    h.server.push_scenario(Scenario::http_error(400));
    let (started, finished, sink) = send(&h, request("Keep my words")).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Done);
    assert!(h.server.wait_for_requests(2, Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, ChatEvent::TitleUpdated { .. }))
    );
    let stored = h
        .parley
        .store()
        .get_conversation(&started.conversation.id)
        .await
        .unwrap();
    assert_eq!(stored.title, "Keep my words");
}

#[tokio::test]
async fn an_oversized_event_fails_the_reply_and_keeps_the_text_before_it() {
    let h = harness().await;
    // A few deltas, then a `data:` line that never ends: refused at the real 16 MB limit.
    h.server.push_scenario(Scenario::EndlessLine {
        text_before: "Everything before the endless line".into(),
    });
    let (_, finished, sink) = send(&h, request("hi")).await;
    assert_eq!(finished.status, parley_core::view::StatusView::Error);
    let error = finished.error.clone().unwrap();
    assert_eq!(error.kind, ErrorKind::ResponseTooLarge);
    assert!(error.message.contains("16 MB"), "{}", error.message);
    assert_eq!(text_of(&finished), "Everything before the endless line");
    assert_eq!(streamed_text(&sink), "Everything before the endless line");
    let stored = h.parley.store().get_message(&finished.id).await.unwrap();
    assert_eq!(stored.text, "Everything before the endless line");
    assert_eq!(stored.error_kind.as_deref(), Some("response_too_large"));
    assert_eq!(
        h.server.requests().len(),
        1,
        "a reply that would be as large again is not retried"
    );
    assert!(
        h.server.wait_for_disconnect(Duration::from_secs(5)).await,
        "the endless body is hung up on"
    );
}
