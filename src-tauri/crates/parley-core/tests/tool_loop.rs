//! The tool loop for real: the test MCP server as a child process, the mock Claude server over
//! HTTP/SSE, a real SQLite file. Tools listed in the request; one and parallel calls answered
//! with matching ids; allow once, always allow (remembered, revocable), deny, timeout, crash,
//! Stop mid-call; hand-written tools; the round cap and resuming; a restart mid-round; thinking
//! kept within the loop; secrets kept out of SQLite, exports and the webview.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parley_core::params::{HandTool, RequestParams, ToolChoiceSetting};
use parley_core::tool_calls::{CallState, Decision, ToolCallView, ToolSource};
use parley_core::tools::{McpServerDraft, McpServerState, SecretEntry, TransportDraft};
use parley_core::{
    ChatEvent, CollectingSink, Environment, ExportFormat, ImagePlacement, MessageView, NoProgress,
    Parley, SendRequest, SendStarted, Settings,
};
use parley_mock_claude::MockServer;
use parley_secrets::MemorySecretStore;
use parley_tools::{Backoff, HostOptions};
use serde_json::{Value, json};

const KEY: &str = "sk-ant-test-key-tool-loop";
const HAIKU: &str = "claude-haiku-4-5-20251001";
const SONNET: &str = "claude-sonnet-4-5-20250929";
const SECRET: &str = "mcp-secret-value-7f3a9c";
const WAIT: Duration = Duration::from_secs(30);

/// The test server's binary, built on demand when this package is tested alone.
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let binary = profile_dir.join("parley-mcp-test-server");
    if !binary.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-p", "parley-mcp-test-server"])
            .status()
            .unwrap();
        assert!(status.success(), "building the test server failed");
    }
    binary
}

struct Harness {
    parley: Parley,
    server: MockServer,
    dir: tempfile::TempDir,
    server_id: String,
}

async fn open(dir: &Path, base_url: &str) -> Parley {
    let secrets = Arc::new(MemorySecretStore::with_key_for(base_url, KEY).unwrap());
    let mut parley = Parley::open(dir, secrets, Environment::default())
        .await
        .unwrap();
    parley.set_mcp_options(HostOptions {
        child_path: None,
        backoff: Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
            healthy_after: Duration::from_secs(60),
        },
        http_client: None,
    });
    parley
}

async fn harness(configure: impl FnOnce(&mut Settings)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let parley = open(dir.path(), &server.base_url()).await;
    let mut settings = Settings::defaults(None);
    settings.base_url = server.base_url();
    settings.title_model = None;
    configure(&mut settings);
    parley.save_settings(settings).await.unwrap();
    let saved = parley
        .save_mcp_server(McpServerDraft {
            id: None,
            name: "t".into(),
            transport: TransportDraft::Stdio {
                command: server_binary().to_string_lossy().into_owned(),
                args: vec![],
                env: vec![
                    SecretEntry {
                        name: "TEST_TOKEN".into(),
                        value: Some(SECRET.into()),
                    },
                    SecretEntry {
                        name: "MCP_TEST_PRINT_ENV".into(),
                        value: Some("TEST_TOKEN".into()),
                    },
                ],
                cwd: None,
            },
            enabled: true,
        })
        .await
        .unwrap();
    let h = Harness {
        parley,
        server,
        dir,
        server_id: saved.id,
    };
    wait_until_ready(&h).await;
    h
}

async fn wait_until_ready(h: &Harness) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let servers = h.parley.list_mcp_servers().await.unwrap();
        if servers[0].state == McpServerState::Ready {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server became ready: {servers:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn request(
    conversation_id: Option<&str>,
    text: &str,
    params: Option<RequestParams>,
) -> SendRequest {
    SendRequest {
        conversation_id: conversation_id.map(str::to_owned),
        text: text.into(),
        model: HAIKU.into(),
        system_prompt: None,
        images: Vec::new(),
        image_placement: ImagePlacement::BeforeText,
        params,
        prefill: None,
    }
}

/// Waits for the first event (from the start) that `pick` maps to something.
async fn wait_for<T>(sink: &CollectingSink, mut pick: impl FnMut(&ChatEvent) -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(found) = sink.events().iter().find_map(&mut pick) {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the event arrives")
}

/// The calls of the first round event where `ready` holds.
async fn calls_when(
    sink: &CollectingSink,
    ready: impl Fn(&[ToolCallView], bool) -> bool,
) -> (String, Vec<ToolCallView>) {
    wait_for(sink, |event| match event {
        ChatEvent::ToolCalls {
            message_id,
            calls,
            awaiting,
            ..
        } if ready(calls, *awaiting) => Some((message_id.clone(), calls.clone())),
        _ => None,
    })
    .await
}

/// The finished reply that ends the loop: a `Finished` whose stop reason is not `tool_use`,
/// whole (blocks the event left out rebuilt as the UI does).
async fn final_reply(sink: &CollectingSink) -> MessageView {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(found) = sink
                .finished_messages()
                .into_iter()
                .find(|message| message.stop_reason.as_deref() != Some("tool_use"))
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the final reply arrives")
}

async fn send(h: &Harness, req: SendRequest) -> (SendStarted, CollectingSink) {
    let sink = CollectingSink::default();
    let started = h
        .parley
        .send_message(req, Arc::new(sink.clone()))
        .await
        .unwrap();
    (started, sink)
}

fn text_of(message: &MessageView) -> String {
    parley_claude::plain_text(&message.blocks)
}

fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .message_requests()
        .iter()
        .filter_map(|r| r.json())
        .collect()
}

fn tool_use_ids(message: &MessageView) -> Vec<String> {
    message
        .blocks
        .iter()
        .filter_map(|block| match block {
            parley_claude::ContentBlock::ToolUse { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_are_sent_and_a_call_allowed_once_answers_with_its_id() {
    let h = harness(|_| {}).await;
    let (started, sink) = send(
        &h,
        request(None, r#"Say hi [[tool:t__echo:{"text":"hi there"}]]"#, None),
    )
    .await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    assert_eq!(reply_id, started.assistant_message.id);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "t__echo");
    assert_eq!(calls[0].state, CallState::Pending);
    assert_eq!(calls[0].input, json!({"text": "hi there"}));
    assert_eq!(
        calls[0].source,
        ToolSource::Mcp {
            server_name: "t".into(),
            tool_name: "echo".into()
        }
    );
    // The request listed the server's tools under API names, with their schemas.
    let first = &bodies(&h.server)[0];
    let names: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    for expected in [
        "t__echo", "t__add", "t__sleep", "t__fail", "t__image", "t__crash",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let echo = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "t__echo")
        .unwrap();
    assert_eq!(echo["description"], "Echo the text back (schema version 0)");
    assert_eq!(echo["input_schema"]["properties"]["text"]["type"], "string");
    assert!(first.get("tool_choice").is_none(), "auto is not sent");

    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AllowOnce)
        .await
        .unwrap();
    let last = final_reply(&sink).await;
    assert_eq!(
        text_of(&last),
        format!("Tool results: {}=hi there", calls[0].id)
    );
    // Stored: user → reply with tool_use → user with the tool_result → final reply.
    let view = h
        .parley
        .open_conversation(&started.conversation.id)
        .await
        .unwrap();
    assert_eq!(view.messages.len(), 4);
    let results = serde_json::to_value(&view.messages[2].blocks).unwrap();
    assert_eq!(
        results,
        json!([{"type": "tool_result", "tool_use_id": calls[0].id, "content": "hi there"}])
    );
    // "Allow once" is not remembered.
    assert!(h.parley.list_tool_permissions().await.unwrap().is_empty());
    // The events told the UI the results and the next reply.
    let events = sink.events();
    assert!(events.iter().any(
        |e| matches!(e, ChatEvent::ToolResults { message } if message.id == view.messages[2].id)
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ChatEvent::NextReply { message } if message.id == last.id))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_calls_run_and_always_allow_is_remembered_until_revoked() {
    let h = harness(|_| {}).await;
    let (started, sink) = send(
        &h,
        request(
            None,
            r#"[[tools:t__echo:{"text":"a"}|t__add:{"a":2,"b":3}]]"#,
            None,
        ),
    )
    .await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    assert_eq!(calls.len(), 2);
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AlwaysAllow)
        .await
        .unwrap();
    h.parley
        .decide_tool_call(&reply_id, &calls[1].id, Decision::AllowOnce)
        .await
        .unwrap();
    let last = final_reply(&sink).await;
    assert_eq!(
        text_of(&last),
        format!("Tool results: {}=a; {}=5", calls[0].id, calls[1].id)
    );
    let permissions = h.parley.list_tool_permissions().await.unwrap();
    assert_eq!(permissions.len(), 1);
    assert_eq!(
        (permissions[0].tool_name.as_str(), permissions[0].stale),
        ("echo", false)
    );

    // The next call of echo runs without asking.
    let conversation = started.conversation.id.as_str();
    let (_, sink) = send(
        &h,
        request(
            Some(conversation),
            r#"[[tool:t__echo:{"text":"again"}]]"#,
            None,
        ),
    )
    .await;
    let last = final_reply(&sink).await;
    assert!(text_of(&last).ends_with("=again"), "{}", text_of(&last));
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, ChatEvent::ToolCalls { awaiting: true, .. })),
        "nothing waited for the user"
    );

    // Revoked: it asks again.
    h.parley
        .revoke_tool_permission(&h.server_id, "echo")
        .await
        .unwrap();
    assert!(h.parley.list_tool_permissions().await.unwrap().is_empty());
    let (_, sink) = send(
        &h,
        request(
            Some(conversation),
            r#"[[tool:t__echo:{"text":"3rd"}]]"#,
            None,
        ),
    )
    .await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::Deny)
        .await
        .unwrap();
    let last = final_reply(&sink).await;
    assert_eq!(
        text_of(&last),
        format!(
            "Tool results: {}=(error) The user denied this tool call.",
            calls[0].id
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_and_a_failing_tool_give_error_results() {
    let h = harness(|settings| settings.tool_timeout_secs = 1).await;
    let (_, sink) = send(
        &h,
        request(
            None,
            r#"[[tools:t__sleep:{"ms":20000}|t__fail:{"message":"boom"}]]"#,
            None,
        ),
    )
    .await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    for call in &calls {
        h.parley
            .decide_tool_call(&reply_id, &call.id, Decision::AllowOnce)
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    let last = final_reply(&sink).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeout held"
    );
    let text = text_of(&last);
    assert!(
        text.contains(&format!("{}=(error)", calls[0].id))
            && text.contains("did not answer within 1 s"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}=(error) boom", calls[1].id)),
        "{text}"
    );
    let (_, settled) = calls_when(&sink, |calls, _| {
        calls.iter().all(|call| call.state.is_settled())
    })
    .await;
    assert!(settled.iter().all(|call| call.state == CallState::Error));
}

/// Waits until the first MCP server's stderr holds a line containing `text`.
async fn stderr_shows(h: &Harness, text: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let servers = h.parley.list_mcp_servers().await.unwrap();
        if servers[0].stderr_tail.iter().any(|l| l.contains(text)) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {text:?}: {servers:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_during_a_slow_tool_cancels_it_and_the_conversation_goes_on() {
    let h = harness(|_| {}).await;
    let (started, sink) = send(&h, request(None, r#"[[tool:t__sleep:{"ms":60000}]]"#, None)).await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AllowOnce)
        .await
        .unwrap();
    calls_when(&sink, |calls, _| calls[0].state == CallState::Running).await;
    // Running here means sent; the server must have it before a cancel can reach it (a cancel
    // that arrives first names a request it does not know yet, which MCP says to ignore; seen
    // once in a full test run).
    stderr_shows(&h, "sleep started").await;
    let stopped_at = std::time::Instant::now();
    assert!(h.parley.cancel_stream(&reply_id), "Stop reaches the round");
    let results = wait_for(&sink, |event| match event {
        ChatEvent::ToolResults { message } => Some((**message).clone()),
        _ => None,
    })
    .await;
    assert!(stopped_at.elapsed() < Duration::from_secs(5));
    assert_eq!(
        serde_json::to_value(&results.blocks).unwrap()[0]["is_error"],
        true
    );
    let (_, cancelled) = calls_when(&sink, |calls, _| calls[0].state == CallState::Cancelled).await;
    assert_eq!(cancelled[0].state, CallState::Cancelled);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.server.message_requests().len(),
        1,
        "no request after Stop"
    );
    // The tool's stderr shows the cancel reached it.
    stderr_shows(&h, "sleep cancelled").await;
    // The next message is accepted: the tool_use has its (cancelled) result.
    let (_, sink) = send(
        &h,
        request(Some(&started.conversation.id), "And now?", None),
    )
    .await;
    let last = final_reply(&sink).await;
    assert_eq!(
        last.status,
        parley_core::view::StatusView::Done,
        "{:?}",
        last.error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_call_is_an_error_result_and_the_server_comes_back() {
    let h = harness(|_| {}).await;
    let (_, sink) = send(&h, request(None, r#"[[tool:t__crash:{}]]"#, None)).await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AllowOnce)
        .await
        .unwrap();
    let last = final_reply(&sink).await;
    assert!(
        text_of(&last).contains(&format!("{}=(error)", calls[0].id)),
        "{}",
        text_of(&last)
    );
    wait_until_ready(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_written_tools_take_the_users_answer() {
    let h = harness(|_| {}).await;
    let params = RequestParams {
        hand_tools: vec![HandTool {
            name: "lookup".into(),
            description: "Look a word up".into(),
            input_schema: json!({"type": "object", "properties": {"q": {"type": "string"}}}),
        }],
        ..Default::default()
    };
    let (_, sink) = send(
        &h,
        request(None, r#"[[tool:lookup:{"q":"x"}]]"#, Some(params)),
    )
    .await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    assert_eq!(calls[0].source, ToolSource::Hand);
    let first = &bodies(&h.server)[0];
    assert!(
        first["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|tool| tool["name"] == "lookup" && tool["description"] == "Look a word up")
    );
    let refused = h
        .parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AllowOnce)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("by hand"), "{refused}");
    h.parley
        .submit_tool_result(&reply_id, &calls[0].id, "forty-two".into(), false)
        .await
        .unwrap();
    let last = final_reply(&sink).await;
    assert_eq!(
        text_of(&last),
        format!("Tool results: {}=forty-two", calls[0].id)
    );

    // Invalid definitions are refused before anything is stored.
    let bad = RequestParams {
        hand_tools: vec![HandTool {
            name: "has space".into(),
            description: String::new(),
            input_schema: json!({"type": "string"}),
        }],
        ..Default::default()
    };
    let error = h
        .parley
        .send_message(
            request(None, "x", Some(bad)),
            Arc::new(CollectingSink::default()),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("has space") && error.contains("\"type\": \"object\""),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_choice_is_sent_and_checked() {
    let h = harness(|_| {}).await;
    let forced = RequestParams {
        tool_choice: ToolChoiceSetting::Tool {
            name: "t__add".into(),
        },
        ..Default::default()
    };
    let (_, sink) = send(&h, request(None, "add please", Some(forced))).await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    assert_eq!(calls[0].name, "t__add");
    assert_eq!(
        bodies(&h.server)[0]["tool_choice"],
        json!({"type": "tool", "name": "t__add"})
    );
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::Deny)
        .await
        .unwrap();
    let missing = RequestParams {
        tool_choice: ToolChoiceSetting::Tool {
            name: "nope".into(),
        },
        ..Default::default()
    };
    let error = h
        .parley
        .send_message(
            request(None, "x", Some(missing)),
            Arc::new(CollectingSink::default()),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("nope"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_round_cap_pauses_the_loop_and_resume_goes_on() {
    let h = harness(|settings| settings.tool_round_cap = 2).await;
    let (_, sink) = send(
        &h,
        request(None, r#"[[tool-rounds:3:t__echo:{"text":"r"}]]"#, None),
    )
    .await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AlwaysAllow)
        .await
        .unwrap();
    let (paused_id, rounds) = wait_for(&sink, |event| match event {
        ChatEvent::ToolLoopPaused { message_id, rounds } => Some((message_id.clone(), *rounds)),
        _ => None,
    })
    .await;
    assert_eq!(rounds, 2);
    assert_eq!(h.server.message_requests().len(), 3);
    let resumed = CollectingSink::default();
    h.parley
        .resume_tool_loop(&paused_id, Arc::new(resumed.clone()))
        .await
        .unwrap();
    let last = final_reply(&resumed).await;
    assert!(
        text_of(&last).starts_with("Tool results: "),
        "{}",
        text_of(&last)
    );
    // Once answered, the calls cannot be run again.
    assert!(
        h.parley
            .resume_tool_loop(&paused_id, Arc::new(CollectingSink::default()))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_goes_back_with_its_signature_within_the_loop() {
    let h = harness(|_| {}).await;
    let params = RequestParams {
        thinking: true,
        max_tokens: Some(8000),
        ..Default::default()
    };
    let mut req = request(None, r#"[[tool:t__echo:{"text":"t"}]]"#, Some(params));
    req.model = SONNET.into();
    let (_, sink) = send(&h, req).await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AllowOnce)
        .await
        .unwrap();
    let last = final_reply(&sink).await;
    assert_eq!(
        last.status,
        parley_core::view::StatusView::Done,
        "{:?}",
        last.error
    );
    let second = &bodies(&h.server)[1];
    let assistant = &second["messages"][1];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["content"][0]["type"], "thinking");
    assert!(
        !assistant["content"][0]["signature"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(second["messages"][2]["content"][0]["type"], "tool_result");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_round_leaves_a_conversation_that_continues() {
    let h = harness(|_| {}).await;
    let (started, sink) = send(
        &h,
        request(None, r#"[[tool:t__echo:{"text":"lost"}]]"#, None),
    )
    .await;
    let (reply_id, _) = calls_when(&sink, |_, awaiting| awaiting).await;
    let Harness {
        parley,
        server,
        dir,
        ..
    } = h;
    // The process dies with the round waiting: nothing of it was stored but the reply.
    drop(parley);
    let parley = open(dir.path(), &server.base_url()).await;
    let view = parley
        .open_conversation(&started.conversation.id)
        .await
        .unwrap();
    assert_eq!(view.messages.len(), 2);
    assert_eq!(tool_use_ids(&view.messages[1]).len(), 1);
    assert!(parley.live_tool_calls().is_empty());
    // A new message is accepted: the unanswered call goes as "not run".
    let sink = CollectingSink::default();
    parley
        .send_message(
            request(Some(&started.conversation.id), "hello again", None),
            Arc::new(sink.clone()),
        )
        .await
        .unwrap();
    let last = final_reply(&sink).await;
    assert_eq!(
        last.status,
        parley_core::view::StatusView::Done,
        "{:?}",
        last.error
    );
    let body = server.last_request().unwrap().json().unwrap();
    assert_eq!(body["messages"][2]["content"][0]["type"], "tool_result");
    assert_eq!(body["messages"][2]["content"][0]["is_error"], true);
    assert_eq!(reply_id, view.messages[1].id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_sqlite_exports_or_the_webview() {
    let h = harness(|_| {}).await;
    let (started, sink) = send(&h, request(None, r#"[[tool:t__echo:{"text":"x"}]]"#, None)).await;
    let (reply_id, calls) = calls_when(&sink, |_, awaiting| awaiting).await;
    h.parley
        .decide_tool_call(&reply_id, &calls[0].id, Decision::AlwaysAllow)
        .await
        .unwrap();
    final_reply(&sink).await;
    // What the settings view gets: names, and stderr with the value masked.
    let servers = h.parley.list_mcp_servers().await.unwrap();
    let shown = serde_json::to_string(&servers).unwrap();
    assert!(shown.contains("TEST_TOKEN"));
    assert!(
        shown.contains("=••••"),
        "the server printed its variable, masked: {shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");
    let permissions =
        serde_json::to_string(&h.parley.list_tool_permissions().await.unwrap()).unwrap();
    assert!(!permissions.contains(SECRET));
    // Exports.
    let out = tempfile::tempdir().unwrap();
    let json_file = out.path().join("all.json");
    h.parley
        .export_to_path(None, ExportFormat::Json, &json_file, Arc::new(NoProgress))
        .await
        .unwrap();
    let md_file = out.path().join("one.md");
    h.parley
        .export_to_path(
            Some(std::slice::from_ref(&started.conversation.id)),
            ExportFormat::Markdown,
            &md_file,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    for file in [&json_file, &md_file] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(!text.contains(SECRET), "{}", file.display());
    }
    // Every file of the data folder (the database, its WAL).
    drop(h.parley);
    for entry in walk(h.dir.path()) {
        // The WAL and lock files may go while the store closes: a file gone holds nothing.
        let Ok(bytes) = std::fs::read(&entry) else {
            continue;
        };
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_count_includes_the_tools_a_request_would_send() {
    let h = harness(|_| {}).await;
    let count = h
        .parley
        .count_tokens(&parley_core::tokens::TokenCountRequest {
            conversation_id: None,
            text: "How many tokens?".into(),
            images: Vec::new(),
            model: HAIKU.into(),
            system_prompt: None,
            params: None,
            prefill: None,
        })
        .await
        .unwrap();
    assert!(count.tokens > 0);
    let counted = h
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/messages/count_tokens")
        .filter_map(|r| r.json())
        .next_back()
        .expect("count_tokens was asked");
    let names: Vec<&str> = counted["tools"]
        .as_array()
        .expect("tools in the counted request")
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    assert!(names.contains(&"t__echo"), "{names:?}");
}
