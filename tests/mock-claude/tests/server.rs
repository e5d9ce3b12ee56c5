//! The mock over real TCP on 127.0.0.1, driven by a raw client.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use parley_mock_claude::{MockServer, Scenario, magic};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Collapses the deltas of one block into a single entry, so orders are easy to compare.
fn collapsed(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if name == "content_block_delta" && out.last() == Some(name) {
            continue;
        }
        out.push(name.clone());
    }
    out
}

#[tokio::test]
async fn echo_stream_has_the_api_event_order_in_every_framing() {
    let server = MockServer::start().await.unwrap();
    let text = "héllo wörld 🦀, ça va?";
    let mut saw_chunked = false;
    let mut saw_close_delimited = false;
    let mut saw_crlf = false;
    let mut saw_lf_only = false;
    // Consecutive requests rotate framing, line endings and `data:` layout.
    for _ in 0..6 {
        let resp = say(server.addr(), text).await;
        assert_eq!(resp.status, 200);
        assert!(
            resp.header("content-type")
                .unwrap()
                .starts_with("text/event-stream")
        );
        assert!(resp.header("request-id").unwrap().starts_with("req_mock_"));
        assert_eq!(resp.header("connection"), Some("close"));
        match resp.chunked_complete {
            Some(complete) => {
                assert!(complete, "a complete stream ends its chunked body");
                saw_chunked = true;
            }
            None => saw_close_delimited = true,
        }
        if resp.raw_body.windows(2).any(|w| w == b"\r\n") {
            saw_crlf = true;
        } else {
            saw_lf_only = true;
        }

        let events = resp.events();
        assert_eq!(
            collapsed(&event_names(&events)),
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ],
            "the API's event order"
        );
        assert!(
            events.iter().any(|e| e.event == "ping"),
            "pings are interleaved"
        );
        assert!(
            count_comments(&resp.body) > 0,
            "keep-alive comments are interleaved"
        );
        assert_eq!(streamed_text(&events), format!("Echo: {text}"));

        let start = events[0].json();
        assert_eq!(start["message"]["role"], "assistant");
        assert_eq!(start["message"]["model"], "claude-sonnet-4-5-20250929");
        assert!(start["message"]["usage"]["input_tokens"].as_u64().unwrap() >= 1);
        let deltas = events
            .iter()
            .filter(|e| e.event == "content_block_delta")
            .count() as u64;
        let delta = events.iter().find(|e| e.event == "message_delta").unwrap();
        let delta = delta.json();
        assert_eq!(delta["delta"]["stop_reason"], "end_turn");
        assert_eq!(
            delta["usage"]["output_tokens"], deltas,
            "output tokens = deltas sent"
        );
        for e in &events {
            let data = e.json();
            assert_eq!(
                data["type"],
                e.event.as_str(),
                "type field matches event name"
            );
        }
    }
    assert!(
        saw_chunked && saw_close_delimited,
        "both body framings are exercised"
    );
    assert!(saw_crlf && saw_lf_only, "both line endings are exercised");
}

#[tokio::test]
async fn header_overrides_pick_framing_and_cr_line_endings() {
    let server = MockServer::start().await.unwrap();
    let body = messages_body("bare CR é", true);
    let resp = post_json(
        server.addr(),
        "/v1/messages",
        &[("x-mock-eol", "cr"), ("x-mock-framing", "chunked")],
        &body,
    )
    .await;
    assert_eq!(resp.chunked_complete, Some(true));
    assert!(!resp.body.contains(&b'\n'), "only bare CR line endings");
    assert_eq!(streamed_text(&resp.events()), "Echo: bare CR é");
}

#[tokio::test]
async fn thinking_models_stream_a_signed_thinking_block_first() {
    let server = MockServer::start().await.unwrap();
    let mut body = messages_body("think about it", true);
    body["model"] = json!("claude-opus-4-1-20250805-thinking");
    let events = post_messages(server.addr(), &body).await.events();
    let starts: Vec<Value> = events
        .iter()
        .filter(|e| e.event == "content_block_start")
        .map(|e| e.json()["content_block"]["type"].clone())
        .collect();
    assert_eq!(starts, [json!("thinking"), json!("text")]);
    let deltas: Vec<Value> = events
        .iter()
        .filter(|e| e.event == "content_block_delta")
        .map(|e| e.json())
        .collect();
    assert!(
        deltas
            .iter()
            .any(|d| d["index"] == 0 && d["delta"]["type"] == "thinking_delta")
    );
    let signature = deltas
        .iter()
        .find(|d| d["delta"]["type"] == "signature_delta")
        .expect("a signature_delta");
    assert!(
        signature["delta"]["signature"]
            .as_str()
            .unwrap()
            .starts_with("EqMock")
    );
    assert_eq!(streamed_text(&events), "Echo: think about it");
}

#[tokio::test]
async fn magic_http_words_answer_with_the_api_error_shape() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (529, "overloaded_error"),
    ];
    for (status, error_type) in cases {
        let resp = say(server.addr(), &format!("please [[http:{status}]]")).await;
        assert_eq!(resp.status, status);
        let (ty, message) = resp.api_error();
        assert_eq!(ty, error_type, "status {status}");
        assert!(!message.is_empty());
        let retry_after = resp.header("retry-after");
        if matches!(status, 429 | 529) {
            assert_eq!(retry_after, Some("0"), "retryable codes say when to retry");
        } else {
            assert_eq!(retry_after, None);
        }
    }
}

#[tokio::test]
async fn flaky_fails_n_times_per_text_then_replies() {
    let server = MockServer::start().await.unwrap();
    let text = "[[flaky:2]] hello";
    for _ in 0..2 {
        let resp = say(server.addr(), text).await;
        assert_eq!(resp.status, 529);
        assert_eq!(resp.header("retry-after"), Some("0"));
        assert_eq!(resp.api_error().0, "overloaded_error");
    }
    let resp = say(server.addr(), text).await;
    assert_eq!(resp.status, 200);
    assert_eq!(streamed_text(&resp.events()), format!("Echo: {text}"));
    // Another text has its own counter.
    assert_eq!(say(server.addr(), "[[flaky:1]] other").await.status, 529);
}

#[tokio::test]
async fn midstream_error_arrives_after_text_with_status_200() {
    let server = MockServer::start().await.unwrap();
    let resp = say(server.addr(), "[[midstream-error]]").await;
    assert_eq!(resp.status, 200);
    let events = resp.events();
    assert_eq!(streamed_text(&events), magic::MIDSTREAM_TEXT);
    let last = events.last().unwrap();
    assert_eq!(last.event, "error");
    assert_eq!(last.json()["error"]["type"], "overloaded_error");
    assert!(!events.iter().any(|e| e.event == "message_stop"));
}

#[tokio::test]
async fn drop_closes_the_connection_before_message_stop() {
    let server = MockServer::start().await.unwrap();
    let resp = say(server.addr(), "[[drop]] please").await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.chunked_complete, None,
        "a drop is close-delimited: a clean EOF"
    );
    let events = resp.events();
    assert_eq!(streamed_text(&events), magic::DROP_TEXT);
    let names = event_names(&events);
    assert!(names.contains(&"content_block_delta".to_string()));
    for missing in ["content_block_stop", "message_delta", "message_stop"] {
        assert!(
            !names.iter().any(|n| n == missing),
            "{missing} must not be sent"
        );
    }

    // Asked for chunked framing, the drop leaves the chunked body unterminated.
    let resp = post_json(
        server.addr(),
        "/v1/messages",
        &[("x-mock-framing", "chunked")],
        &messages_body("[[drop]]", true),
    )
    .await;
    assert_eq!(resp.chunked_complete, Some(false));
}

#[tokio::test]
async fn authentication_and_version_headers_are_checked() {
    let server = MockServer::start().await.unwrap();
    let body = serde_json::to_vec(&messages_body("hi", true)).unwrap();
    let addr = server.addr();
    let send = |headers: Vec<(&'static str, &'static str)>| {
        let req = build_request("POST", "/v1/messages", &headers, &body);
        async move { send_raw(addr, &req).await }
    };

    let resp = send(vec![
        ("x-api-key", "sk-wrong"),
        ("anthropic-version", "2023-06-01"),
    ])
    .await;
    assert_eq!(resp.status, 401);
    assert_eq!(
        resp.api_error(),
        ("authentication_error".into(), "invalid x-api-key".into())
    );

    let resp = send(vec![("anthropic-version", "2023-06-01")]).await;
    assert_eq!(resp.status, 401);
    assert_eq!(resp.api_error().0, "authentication_error");

    let resp = send(vec![
        ("authorization", "Bearer sk-wrong"),
        ("anthropic-version", "2023-06-01"),
    ])
    .await;
    assert_eq!(resp.status, 401, "a bearer token is checked like x-api-key");

    let resp = send(vec![
        ("authorization", "Bearer sk-good"),
        ("anthropic-version", "2023-06-01"),
    ])
    .await;
    assert_eq!(resp.status, 200, "a bearer token is accepted");

    let resp = send(vec![("x-api-key", "sk-good")]).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.api_error(),
        (
            "invalid_request_error".into(),
            "anthropic-version: header is required".into()
        )
    );

    let resp = send(vec![
        ("x-api-key", "sk-good"),
        ("anthropic-version", "2023-06-01"),
        ("origin", "http://localhost:1420"),
    ])
    .await;
    assert_eq!(
        resp.status, 401,
        "browser-origin calls are refused, as by the API"
    );
}

#[tokio::test]
async fn bodies_are_validated_with_specific_messages() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        (
            json!({"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
            "model: Field required",
        ),
        (
            json!({"model": "m", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]}),
            "max_tokens: Input should be greater than or equal to 1",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
            "max_tokens: Field required",
        ),
        (
            json!({"model": "m", "max_tokens": 5, "messages": []}),
            "messages: at least one message is required",
        ),
        (
            json!({"model": "m", "max_tokens": 5, "messages": [{"role": "assistant", "content": "x"}]}),
            "messages: first message must use the \"user\" role",
        ),
        (
            json!({"model": "m", "max_tokens": 5, "temperature": 0.5, "top_p": 0.5, "messages": [{"role": "user", "content": "x"}]}),
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        ),
        (
            json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "AA=="}}]}]}),
            "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
        ),
    ];
    for (body, expected) in cases {
        let resp = post_messages(server.addr(), &body).await;
        assert_eq!(resp.status, 400, "{body}");
        assert_eq!(
            resp.api_error(),
            ("invalid_request_error".into(), expected.into())
        );
    }
    let resp = send_raw(
        server.addr(),
        &build_request(
            "POST",
            "/v1/messages",
            &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
            b"{not json",
        ),
    )
    .await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn paths_other_than_the_api_are_404() {
    let server = MockServer::start().await.unwrap();
    for path in [
        "/messages",
        "/v1/v1/messages",
        "/v1/messages/",
        "//v1/messages",
        "/",
    ] {
        let resp = post_messages_at(&server, path).await;
        assert_eq!(resp.status, 404, "{path}");
        assert_eq!(resp.api_error().0, "not_found_error");
    }
    assert_eq!(post_messages_at(&server, "/v1/messages").await.status, 200);
}

async fn post_messages_at(server: &MockServer, path: &str) -> Response {
    post_json(server.addr(), path, &[], &messages_body("hi", true)).await
}

#[tokio::test]
async fn count_tokens_and_models_answer() {
    let server = MockServer::start().await.unwrap();
    let mut body = messages_body(&"a".repeat(400), false);
    body.as_object_mut().unwrap().remove("max_tokens");
    let resp = post_json(server.addr(), "/v1/messages/count_tokens", &[], &body).await;
    assert_eq!(resp.status, 200);
    let n = resp.json()["input_tokens"].as_u64().unwrap();
    assert!((100..=110).contains(&n), "about chars/4: {n}");

    let get = |path: &'static str| {
        let req = build_request(
            "GET",
            path,
            &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
            b"",
        );
        let addr = server.addr();
        async move { send_raw(addr, &req).await }
    };
    let models = get("/v1/models").await.json();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, parley_mock_claude::MODELS);
    assert_eq!(models["has_more"], false);
    assert_eq!(models["first_id"], parley_mock_claude::MODELS[0]);

    let limited = get("/v1/models?limit=2").await.json();
    assert_eq!(limited["data"].as_array().unwrap().len(), 2);
    assert_eq!(limited["has_more"], true);
    let recorded = server.last_request().unwrap();
    assert_eq!(recorded.path, "/v1/models");
    assert_eq!(recorded.query.as_deref(), Some("limit=2"));
}

#[tokio::test]
async fn non_streaming_replies_are_json_and_can_be_gateway_wrapped() {
    let server = MockServer::start().await.unwrap();
    let resp = post_messages(server.addr(), &messages_body("plain", false)).await;
    assert_eq!(resp.status, 200);
    let message = resp.json();
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["content"][0]["text"], "Echo: plain");
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["stop_sequence"], Value::Null);
    assert!(message["usage"]["output_tokens"].as_u64().unwrap() > 0);

    let resp = post_json(
        server.addr(),
        "/v1/messages",
        &[("x-mock-wrap", "1")],
        &messages_body("wrapped", false),
    )
    .await;
    let wrapped = resp.json();
    assert_eq!(wrapped["code"], 200);
    assert_eq!(wrapped["data"]["content"][0]["text"], "Echo: wrapped");

    server.push_scenario(Scenario::Wrapped {
        text: "from the gateway".into(),
    });
    let resp = say(server.addr(), "ignored").await;
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        resp.json()["data"]["content"][0]["text"],
        "from the gateway"
    );
}

#[tokio::test]
async fn scenarios_are_consumed_in_order_before_magic_words() {
    let server = MockServer::start().await.unwrap();
    server.set_script(vec![
        Scenario::HttpError {
            status: 429,
            error_type: "rate_limit_error".into(),
            message: "slow down".into(),
            retry_after: Some(7),
        },
        Scenario::Reply {
            text: "scripted reply".into(),
            chunk_chars: 3,
            delay_ms_between_chunks: 0,
        },
        Scenario::Raw {
            status: 502,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html>bad gateway</html>".to_vec(),
        },
    ]);
    let resp = say(server.addr(), "[[markdown]]").await;
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), Some("7"));
    assert_eq!(
        resp.api_error(),
        ("rate_limit_error".into(), "slow down".into())
    );

    let resp = say(server.addr(), "[[markdown]]").await;
    let events = resp.events();
    assert_eq!(streamed_text(&events), "scripted reply");
    let deltas = events
        .iter()
        .filter(|e| e.event == "content_block_delta")
        .count();
    assert_eq!(deltas, 5, "chunk_chars is honoured");

    let resp = say(server.addr(), "[[markdown]]").await;
    assert_eq!(resp.status, 502);
    assert_eq!(resp.body, b"<html>bad gateway</html>");
    assert!(resp.header("request-id").is_some());

    assert_eq!(server.pending_scenarios(), 0);
    let resp = say(server.addr(), "[[markdown]]").await;
    assert_eq!(streamed_text(&resp.events()), magic::MARKDOWN_REPLY);
}

#[tokio::test]
async fn a_disconnecting_client_stops_the_stream_and_frees_the_connection() {
    let server = MockServer::start().await.unwrap();
    let body = serde_json::to_vec(&messages_body("[[slow]]", true)).unwrap();
    let req = build_request(
        "POST",
        "/v1/messages",
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        &body,
    );
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(&req).await.unwrap();
    // Read until the first text delta has arrived, then hang up.
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("text_delta") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the stream is still going");
        seen.extend_from_slice(&buf[..n]);
    }
    assert_eq!(server.active_connections(), 1);
    let hung_up = Instant::now();
    drop(stream);
    assert!(
        server.wait_for_disconnect(Duration::from_secs(2)).await,
        "the server notices the hang-up"
    );
    assert!(
        hung_up.elapsed() < Duration::from_millis(500),
        "promptly, not at the next write"
    );
    assert_eq!(server.active_connections(), 0);
}

#[tokio::test]
async fn tool_use_streams_input_json_and_the_pairing_is_checked() {
    let server = MockServer::start().await.unwrap();
    let mut body = messages_body("[[tool]]", true);
    body["tools"] = json!([{
        "name": "lookup",
        "description": "find things",
        "input_schema": {"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}}},
    }]);
    let events = post_messages(server.addr(), &body).await.events();
    let tool_start = events
        .iter()
        .map(|e| e.json())
        .find(|d| d["type"] == "content_block_start" && d["content_block"]["type"] == "tool_use")
        .expect("a tool_use block");
    assert_eq!(tool_start["content_block"]["name"], "lookup");
    let id = tool_start["content_block"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let partial: String = events
        .iter()
        .map(|e| e.json())
        .filter(|d| d["delta"]["type"] == "input_json_delta")
        .map(|d| d["delta"]["partial_json"].as_str().unwrap().to_string())
        .collect();
    let input: Value = serde_json::from_str(&partial).unwrap();
    assert_eq!(input, json!({"query": "mock value", "limit": 1}));
    let delta = events
        .iter()
        .find(|e| e.event == "message_delta")
        .unwrap()
        .json();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");

    // Answering the tool call is accepted and echoes the result.
    let assistant = json!({"role": "assistant", "content": [
        {"type": "text", "text": "Let me use the lookup tool."},
        {"type": "tool_use", "id": id, "name": "lookup", "input": input},
    ]});
    let mut follow_up = body.clone();
    follow_up["messages"] = json!([
        body["messages"][0],
        assistant,
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": "42 results"}]},
    ]);
    let resp = post_messages(server.addr(), &follow_up).await;
    assert_eq!(resp.status, 200);
    assert_eq!(streamed_text(&resp.events()), "Echo: 42 results");

    // A tool_result for an unknown id, or a missing one, is refused as by the API.
    follow_up["messages"][2]["content"][0]["tool_use_id"] = json!("toolu_other");
    let resp = post_messages(server.addr(), &follow_up).await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.api_error()
            .1
            .contains("unexpected `tool_use_id` found in `tool_result` blocks")
    );
    follow_up["messages"][2]["content"] = json!("no result");
    let resp = post_messages(server.addr(), &follow_up).await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.api_error()
            .1
            .contains("`tool_use` ids were found without `tool_result` blocks")
    );
}

#[tokio::test]
async fn thinking_signatures_must_come_back_unchanged() {
    let server = MockServer::start().await.unwrap();
    server.push_scenario(Scenario::Thinking {
        thinking: "deep thought".into(),
        text: "answer".into(),
    });
    let resp = post_messages(server.addr(), &messages_body("q", false)).await;
    let message = resp.json();
    let thinking = message["content"][0].clone();
    assert_eq!(thinking["type"], "thinking");
    assert_eq!(message["content"][1]["text"], "answer");

    let mut body = messages_body("next", false);
    body["messages"] = json!([
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [thinking.clone(), {"type": "text", "text": "answer"}]},
        {"role": "user", "content": "next"},
    ]);
    assert_eq!(post_messages(server.addr(), &body).await.status, 200);
    body["messages"][1]["content"][0]["thinking"] = json!("edited thought");
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(resp.status, 400);
    assert!(resp.api_error().1.contains("Invalid `signature`"));
}

#[tokio::test]
async fn huge_streams_exactly_n_tokens() {
    let server = MockServer::start().await.unwrap();
    let resp = say(server.addr(), "[[huge:2000]]").await;
    let events = resp.events();
    let text = streamed_text(&events);
    assert_eq!(text, magic::HUGE_TOKEN.repeat(2000));
    let delta = events
        .iter()
        .find(|e| e.event == "message_delta")
        .unwrap()
        .json();
    assert_eq!(delta["usage"]["output_tokens"], 2000);

    server.push_scenario(Scenario::Huge {
        tokens: 10,
        tokens_per_event: 4,
    });
    let events = say(server.addr(), "x").await.events();
    let deltas = events
        .iter()
        .filter(|e| e.event == "content_block_delta")
        .count();
    assert_eq!(deltas, 3, "4 + 4 + 2 tokens");
    assert_eq!(streamed_text(&events), magic::HUGE_TOKEN.repeat(10));
}

#[tokio::test]
async fn rate_paces_the_stream() {
    let server = MockServer::start().await.unwrap();
    // 600 tokens at 2,000/s: about 300 ms, where `[[huge:600]]` takes a few.
    let started = Instant::now();
    let resp = say(server.addr(), "[[rate:2000:600]]").await;
    let elapsed = started.elapsed();
    let events = resp.events();
    assert_eq!(streamed_text(&events), magic::HUGE_TOKEN.repeat(600));
    let deltas = events
        .iter()
        .filter(|e| e.event == "content_block_delta")
        .count();
    assert_eq!(deltas, 600, "one token per delta");
    assert!(
        elapsed >= Duration::from_millis(280),
        "600 tokens at 2000/s took only {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "600 tokens at 2000/s took {elapsed:?}"
    );
}

#[tokio::test]
async fn rate_rich_paces_a_reply_of_tables_code_and_formulas() {
    let server = MockServer::start().await.unwrap();
    // 2,400 pieces at 4,000/s: about 600 ms, enough for two whole sections and part of a third.
    let started = Instant::now();
    let resp = say(server.addr(), "[[rate-rich:4000:2400]]").await;
    let elapsed = started.elapsed();
    let events = resp.events();
    let deltas = events
        .iter()
        .filter(|e| e.event == "content_block_delta")
        .count();
    assert_eq!(deltas, 2400, "one piece per delta");
    let text = streamed_text(&events);
    assert!(
        text.starts_with("## Part 1: measuring the pipeline\n"),
        "{}",
        &text[..80]
    );
    assert!(text.contains("## Part 2:"), "two sections at least");
    assert!(
        text.contains("| --- | ---: | ---: | ---: | --- |\n| 1.0 | 1000 |"),
        "a table"
    );
    assert!(
        text.contains("\n```rust\nlet value_0 = items") && text.contains("\n    let value_1 = "),
        "an indented code block"
    );
    assert!(text.contains("\n$$\n\\sum_{i=1}^{n}"), "a display formula");
    let usage = events
        .iter()
        .find(|e| e.event == "message_delta")
        .unwrap()
        .json();
    assert_eq!(usage["usage"]["output_tokens"], 2400);
    assert!(
        elapsed >= Duration::from_millis(560),
        "2,400 pieces at 4,000/s took only {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(8),
        "2,400 pieces at 4,000/s took {elapsed:?}"
    );
}

#[tokio::test]
async fn echo_honours_stop_sequences_and_max_tokens() {
    let server = MockServer::start().await.unwrap();
    let mut body = messages_body("one two STOP three", true);
    body["stop_sequences"] = json!(["STOP"]);
    let events = post_messages(server.addr(), &body).await.events();
    assert_eq!(streamed_text(&events), "Echo: one two ");
    let delta = events
        .iter()
        .find(|e| e.event == "message_delta")
        .unwrap()
        .json();
    assert_eq!(delta["delta"]["stop_reason"], "stop_sequence");
    assert_eq!(delta["delta"]["stop_sequence"], "STOP");

    let mut body = messages_body("a fairly long message to cut short", true);
    body["max_tokens"] = json!(2);
    let events = post_messages(server.addr(), &body).await.events();
    assert_eq!(
        streamed_text(&events),
        "Echo: a ",
        "two deltas of 3 and 5 chars"
    );
    let delta = events
        .iter()
        .find(|e| e.event == "message_delta")
        .unwrap()
        .json();
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
}

#[tokio::test]
async fn markdown_and_xss_replies_carry_their_payloads() {
    let server = MockServer::start().await.unwrap();
    let md = streamed_text(&say(server.addr(), "[[markdown]]").await.events());
    for needle in ["# ", "- First item", "| Rust", "```rust", "🦀"] {
        assert!(md.contains(needle), "markdown has {needle:?}");
    }
    let xss = streamed_text(&say(server.addr(), "show [[xss]]").await.events());
    for needle in [
        "<script>window.__pwned=1</script>",
        "<img src=x onerror=\"window.__pwned=1\">",
        "[click](javascript:window.__pwned=1)",
    ] {
        assert!(xss.contains(needle), "xss probe has {needle:?}");
    }
    let thinking = say(server.addr(), "[[thinking]]").await.events();
    assert!(thinking.iter().any(|e| e.data.contains("signature_delta")));
    assert_eq!(streamed_text(&thinking), magic::THINKING_ANSWER);
}

#[tokio::test]
async fn only_the_last_user_message_steers() {
    let server = MockServer::start().await.unwrap();
    let mut body = messages_body("", true);
    body["messages"] = json!([
        {"role": "user", "content": "[[http:500]]"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "fine now"}]},
    ]);
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(resp.status, 200);
    assert_eq!(streamed_text(&resp.events()), "Echo: fine now");
}

#[tokio::test]
async fn requests_are_recorded_with_lowercased_headers() {
    let server = MockServer::start().await.unwrap();
    let body = messages_body("record me", true);
    let resp = post_json(server.addr(), "/v1/messages", &[("X-Custom", "Yes")], &body).await;
    let rid = resp.header("request-id").unwrap().to_string();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-custom"), Some("Yes"));
    assert_eq!(r.header("X-API-KEY"), Some(KEY));
    assert_eq!(r.json().unwrap(), body);
    assert_eq!(r.request_id, rid);
    assert_eq!(server.message_requests().len(), 1);
}

#[tokio::test]
async fn chunked_request_bodies_and_expect_continue_are_understood() {
    let server = MockServer::start().await.unwrap();
    let body = serde_json::to_string(&messages_body("chunked in", false)).unwrap();
    let (a, b) = body.split_at(10);
    let req = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: {KEY}\r\nanthropic-version: 2023-06-01\r\n\
         transfer-encoding: chunked\r\nexpect: 100-continue\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let continue_line = b"HTTP/1.1 100 Continue\r\n\r\n";
    assert!(raw.starts_with(continue_line));
    let resp = parse_response(&raw[continue_line.len()..]);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["content"][0]["text"], "Echo: chunked in");
}

#[tokio::test]
async fn non_streaming_drop_truncates_the_body() {
    let server = MockServer::start().await.unwrap();
    let resp = post_messages(server.addr(), &messages_body("[[drop]]", false)).await;
    assert_eq!(resp.status, 200);
    let declared: usize = resp.header("content-length").unwrap().parse().unwrap();
    assert!(
        resp.body.len() < declared,
        "fewer bytes than content-length"
    );
    let resp = post_messages(server.addr(), &messages_body("[[midstream-error]]", false)).await;
    assert_eq!(resp.status, 529);
}

#[tokio::test]
async fn multi_byte_characters_arrive_split_across_reads() {
    let server = MockServer::start().await.unwrap();
    let body = serde_json::to_vec(&messages_body(&"é🦀日".repeat(20), true)).unwrap();
    let req = build_request(
        "POST",
        "/v1/messages",
        &[
            ("x-api-key", KEY),
            ("anthropic-version", "2023-06-01"),
            ("x-mock-framing", "close"),
        ],
        &body,
    );
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(&req).await.unwrap();
    let mut reads: Vec<Vec<u8>> = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        reads.push(buf[..n].to_vec());
    }
    let split_inside_a_character = reads
        .iter()
        .filter(|r| std::str::from_utf8(r).is_err())
        .count();
    assert!(
        split_inside_a_character > 0,
        "some reads end inside a UTF-8 character ({} reads)",
        reads.len()
    );
    let raw = reads.concat();
    let resp = parse_response(&raw);
    assert_eq!(
        streamed_text(&resp.events()),
        format!("Echo: {}", "é🦀日".repeat(20))
    );
}

#[tokio::test]
async fn oversized_bodies_get_413_before_the_body_is_read() {
    let server = MockServer::start().await.unwrap();
    let req = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: {KEY}\r\nanthropic-version: 2023-06-01\r\ncontent-length: {}\r\n\r\n{{",
        64 * 1024 * 1024
    );
    let resp = send_raw(server.addr(), req.as_bytes()).await;
    assert_eq!(resp.status, 413);
    assert_eq!(resp.api_error().0, "request_too_large");
}

#[tokio::test]
async fn the_echo_counts_images() {
    let server = MockServer::start().await.unwrap();
    let mut body = messages_body("", false);
    body["messages"][0]["content"] = json!([
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
        {"type": "text", "text": "what is this?"},
    ]);
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(
        resp.json()["content"][0]["text"],
        "Echo: what is this? [2 images: image/png undecodable, url https://example.com/a.jpg]"
    );
    // A real image is described with its pixel size.
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(7, 5)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    body["messages"][0]["content"][0]["source"]["data"] = json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        &png
    ));
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(
        resp.json()["content"][0]["text"],
        "Echo: what is this? [2 images: image/png 7x5, url https://example.com/a.jpg]"
    );
    let oversized = "A".repeat(5 * 1024 * 1024 + 4);
    body["messages"][0]["content"][0]["source"]["data"] = json!(oversized);
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(resp.status, 400);
    assert!(resp.api_error().1.contains("image exceeds 5 MB maximum"));
}

#[tokio::test]
async fn redirect_answers_a_3xx_with_a_location_and_no_body() {
    let server = MockServer::start().await.unwrap();
    let resp = say(server.addr(), "[[redirect:307]]").await;
    assert_eq!(resp.status, 307);
    assert_eq!(resp.header("location"), Some(magic::REDIRECT_TARGET));
    assert!(resp.body.is_empty());

    server.push_scenario(Scenario::Redirect {
        status: 308,
        location: "http://127.0.0.1:9/v1/messages".into(),
    });
    let resp = say(server.addr(), "hi").await;
    assert_eq!(resp.status, 308);
    assert_eq!(
        resp.header("location"),
        Some("http://127.0.0.1:9/v1/messages")
    );
}

/// Sends `body` to `/v1/messages` and reads `want` bytes of the response, then hangs up.
async fn read_some(server: &MockServer, body: &Value, want: usize) -> Vec<u8> {
    let body = serde_json::to_vec(body).unwrap();
    let request = build_request(
        "POST",
        "/v1/messages",
        &[
            ("x-api-key", KEY),
            ("anthropic-version", "2023-06-01"),
            ("content-type", "application/json"),
            ("x-mock-framing", "close"),
            ("x-mock-eol", "lf"),
        ],
        &body,
    );
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(&request).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while raw.len() < want {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the endless body keeps coming")
            .unwrap();
        assert!(n > 0, "the body must not end");
        raw.extend_from_slice(&buf[..n]);
    }
    raw
}

#[tokio::test]
async fn endless_line_streams_text_then_a_data_line_that_never_ends() {
    let server = MockServer::start().await.unwrap();
    let raw = read_some(&server, &messages_body("[[endless-line]]", true), 4 << 20).await;
    let body_start = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let body = &raw[body_start..];
    let last_blank = body.windows(2).rposition(|w| w == b"\n\n").unwrap() + 2;
    assert_eq!(
        streamed_text(&parse_sse(&body[..last_blank])),
        magic::ENDLESS_TEXT
    );
    let tail = String::from_utf8_lossy(&body[last_blank..]);
    assert!(
        tail.starts_with("event: content_block_delta\ndata:"),
        "{}",
        &tail[..80]
    );
    assert!(!tail.contains('\n') || tail.trim_end_matches('x').ends_with("\"text\":\""));
    assert!(tail.len() > 3 << 20, "megabytes of one line");
    assert!(
        server.wait_for_disconnect(Duration::from_secs(5)).await,
        "the mock stops writing once the client hangs up"
    );

    // Not streamed: a JSON message whose text never ends.
    let raw = read_some(&server, &messages_body("[[endless-line]]", false), 1 << 20).await;
    let text = String::from_utf8_lossy(&raw);
    let json_start = text.find("\r\n\r\n").unwrap() + 4;
    assert!(
        text[json_start..].starts_with(r#"{"id":"msg_mock_"#),
        "{}",
        &text[json_start..json_start + 80]
    );
    assert!(text.contains(&format!("\"text\":\"{}xxxx", magic::ENDLESS_TEXT)));
}

/// A body with extended thinking enabled (budget 1024 of 2048 output tokens).
fn thinking_body(text: &str) -> Value {
    let mut body = messages_body(text, false);
    body["max_tokens"] = json!(2048);
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    body
}

#[tokio::test]
async fn thinking_refuses_sampling_changes_and_forced_tool_use() {
    let server = MockServer::start().await.unwrap();
    let docs = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking";
    let cases = [
        (
            json!({"temperature": 0.7}),
            format!("`temperature` may only be set to 1 when thinking is enabled. {docs}"),
        ),
        (
            json!({"top_k": 40}),
            format!("`top_k` must be unset when thinking is enabled. {docs}"),
        ),
        (
            json!({"top_p": 0.9}),
            format!(
                "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. {docs}"
            ),
        ),
        (
            json!({"tool_choice": {"type": "any"}}),
            "Thinking may not be enabled when tool_choice forces tool use.".to_string(),
        ),
        (
            json!({"tool_choice": {"type": "tool", "name": "lookup"}}),
            "Thinking may not be enabled when tool_choice forces tool use.".to_string(),
        ),
    ];
    for (extra, expected) in cases {
        let mut body = thinking_body("hi");
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let resp = post_messages(server.addr(), &body).await;
        assert_eq!(resp.status, 400, "{extra}");
        assert_eq!(
            resp.api_error(),
            ("invalid_request_error".into(), expected),
            "{extra}"
        );
    }

    // What thinking allows: temperature 1, top_p from 0.95, tool_choice auto.
    for allowed in [
        json!({"temperature": 1}),
        json!({"top_p": 0.95}),
        json!({"tool_choice": {"type": "auto"}}),
    ] {
        let mut body = thinking_body("hi");
        for (k, v) in allowed.as_object().unwrap() {
            body[k] = v.clone();
        }
        let resp = post_messages(server.addr(), &body).await;
        assert_eq!(resp.status, 200, "{allowed} is allowed with thinking");
    }

    // Without thinking the same settings are fine.
    let mut body = messages_body("hi", false);
    body["temperature"] = json!(0.2);
    body["top_k"] = json!(5);
    body["tool_choice"] = json!({"type": "any"});
    assert_eq!(post_messages(server.addr(), &body).await.status, 200);

    // The budget checks still come first.
    let mut body = thinking_body("hi");
    body["thinking"]["budget_tokens"] = json!(512);
    body["temperature"] = json!(0.5);
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(
        resp.api_error().1,
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    );
}

/// A conversation with a long system prompt marked for caching.
fn cached_conversation(stream: bool) -> Value {
    let mut body = messages_body("what does the document say?", stream);
    body["system"] = json!([{
        "type": "text",
        "text": "A long reference document. ".repeat(200),
        "cache_control": {"type": "ephemeral"},
    }]);
    body
}

fn usage_of(resp: &Response) -> Value {
    match resp.header("content-type") {
        Some(t) if t.starts_with("text/event-stream") => {
            resp.events()[0].json()["message"]["usage"].clone()
        }
        _ => resp.json()["usage"].clone(),
    }
}

#[tokio::test]
async fn the_same_prompt_sent_twice_writes_then_reads_the_cache() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        server.clear_prompt_cache();
        let body = cached_conversation(stream);
        let first = usage_of(&post_messages(server.addr(), &body).await);
        let written = first["cache_creation_input_tokens"].as_u64().unwrap();
        assert!(written > 1000, "the system prompt is written: {first}");
        assert_eq!(first["cache_read_input_tokens"], 0, "{first}");
        let input = first["input_tokens"].as_u64().unwrap();
        assert!(
            (1..50).contains(&input),
            "only the uncached question is plain input: {first}"
        );

        let second = usage_of(&post_messages(server.addr(), &body).await);
        assert_eq!(second["cache_read_input_tokens"], written, "{second}");
        assert_eq!(second["cache_creation_input_tokens"], 0, "{second}");
        assert_eq!(second["input_tokens"], input, "{second}");
    }

    // A breakpoint that moves to the newest message reads what the earlier turn wrote, and
    // writes only what was added since.
    server.clear_prompt_cache();
    let mut turn1 = cached_conversation(false);
    turn1["messages"][0]["content"] =
        json!([{"type": "text", "text": "first question", "cache_control": {"type": "ephemeral"}}]);
    let first = usage_of(&post_messages(server.addr(), &turn1).await);
    let mut turn2 = turn1.clone();
    turn2["messages"][0]["content"][0]
        .as_object_mut()
        .unwrap()
        .remove("cache_control");
    turn2["messages"] = json!([
        turn2["messages"][0],
        {"role": "assistant", "content": "Echo: first question"},
        {"role": "user", "content": [{"type": "text", "text": "second question", "cache_control": {"type": "ephemeral"}}]},
    ]);
    let second = usage_of(&post_messages(server.addr(), &turn2).await);
    let first_total = first["cache_creation_input_tokens"].as_u64().unwrap();
    assert_eq!(second["cache_read_input_tokens"], first_total, "{second}");
    let added = second["cache_creation_input_tokens"].as_u64().unwrap();
    assert!(
        (1..30).contains(&added),
        "only the new turn is written: {second}"
    );

    // Another model has its own cache.
    let mut other = cached_conversation(false);
    other["model"] = json!("claude-haiku-4-5-20251001");
    let usage = usage_of(&post_messages(server.addr(), &other).await);
    assert_eq!(usage["cache_read_input_tokens"], 0, "{usage}");

    // Without a breakpoint nothing is cached or read.
    let plain = usage_of(&post_messages(server.addr(), &messages_body("plain", false)).await);
    assert_eq!(plain["cache_creation_input_tokens"], 0);
    assert_eq!(plain["cache_read_input_tokens"], 0);

    // An error answer does not process the prompt, so it caches nothing.
    server.clear_prompt_cache();
    server.push_scenario(Scenario::http_error(529));
    let body = cached_conversation(false);
    assert_eq!(post_messages(server.addr(), &body).await.status, 529);
    let retry = usage_of(&post_messages(server.addr(), &body).await);
    assert_eq!(retry["cache_read_input_tokens"], 0, "{retry}");
}

#[tokio::test]
async fn cache_control_is_checked_like_the_api() {
    let server = MockServer::start().await.unwrap();
    let marked =
        |text: &str| json!({"type": "text", "text": text, "cache_control": {"type": "ephemeral"}});
    let mut body = messages_body("", false);
    body["tools"] = json!([{"name": "t", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}]);
    body["system"] = json!([marked("one"), marked("two")]);
    body["messages"][0]["content"] = json!([marked("three"), marked("four")]);
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.api_error(),
        (
            "invalid_request_error".into(),
            "A maximum of 4 blocks with cache_control may be provided. Found 5.".into()
        )
    );
    body["system"] = json!([marked("one"), {"type": "text", "text": "two"}]);
    assert_eq!(
        post_messages(server.addr(), &body).await.status,
        200,
        "4 are fine"
    );

    let mut body = messages_body("", false);
    let cases = [
        (
            json!({"type": "persistent"}),
            "messages.0.content.0.cache_control.type: Input should be 'ephemeral'",
        ),
        (
            json!({}),
            "messages.0.content.0.cache_control.type: Field required",
        ),
        (
            json!("ephemeral"),
            "messages.0.content.0.cache_control: Input should be a valid dictionary",
        ),
        (
            json!({"type": "ephemeral", "ttl": "2h"}),
            "messages.0.content.0.cache_control.ephemeral.ttl: Input should be '5m' or '1h'",
        ),
        (
            json!({"type": "ephemeral", "scope": "global"}),
            "messages.0.content.0.cache_control.ephemeral.scope: Extra inputs are not permitted",
        ),
    ];
    for (cache_control, expected) in cases {
        body["messages"][0]["content"] =
            json!([{"type": "text", "text": "x", "cache_control": cache_control}]);
        let resp = post_messages(server.addr(), &body).await;
        assert_eq!(resp.status, 400, "{cache_control}");
        assert_eq!(resp.api_error().1, expected);
    }
    body["messages"][0]["content"][0]["cache_control"] = json!({"type": "ephemeral", "ttl": "1h"});
    assert_eq!(post_messages(server.addr(), &body).await.status, 200);
}

#[tokio::test]
async fn a_gateway_without_caching_refuses_cache_control_anywhere() {
    let server = MockServer::start().await.unwrap();
    server.set_cache_control_rejected(true);
    let resp = post_messages(server.addr(), &cached_conversation(false)).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.api_error(),
        (
            "invalid_request_error".into(),
            "system.0.cache_control: Extra inputs are not permitted".into()
        )
    );
    let mut body = messages_body("x", false);
    body.as_object_mut().unwrap().remove("max_tokens");
    body["messages"][0]["content"] =
        json!([{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]);
    let resp = post_json(server.addr(), "/v1/messages/count_tokens", &[], &body).await;
    assert_eq!(resp.status, 400, "count_tokens is refused too");
    assert!(
        resp.api_error()
            .1
            .ends_with("cache_control: Extra inputs are not permitted")
    );
    assert_eq!(
        post_messages(server.addr(), &messages_body("no caching", false))
            .await
            .status,
        200
    );
    server.set_cache_control_rejected(false);
    assert_eq!(
        post_messages(server.addr(), &cached_conversation(false))
            .await
            .status,
        200
    );
}

async fn get(server: &MockServer, path: &str) -> Response {
    let req = build_request(
        "GET",
        path,
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        b"",
    );
    send_raw(server.addr(), &req).await
}

fn page_ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn models_carry_their_limits() {
    let server = MockServer::start().await.unwrap();
    let models = get(&server, "/v1/models").await.json();
    let by_id = |id: &str| {
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()
            .clone()
    };
    for (id, output) in [
        ("claude-haiku-4-5-20251001", 64000),
        ("claude-sonnet-4-5-20250929", 64000),
        ("claude-sonnet-4-5-20250929-thinking", 64000),
        ("claude-opus-4-1-20250805", 32000),
        ("claude-opus-4-1-20250805-thinking", 32000),
    ] {
        let model = by_id(id);
        assert_eq!(model["type"], "model");
        assert_eq!(model["max_tokens"], output, "{model}");
        assert_eq!(model["max_input_tokens"], 200000, "{model}");
        assert!(
            model["display_name"]
                .as_str()
                .unwrap()
                .starts_with("Claude ")
        );
    }
    assert_eq!(
        by_id("claude-opus-4-1-20250805")["created_at"],
        "2025-08-05T00:00:00Z"
    );
}

#[tokio::test]
async fn models_page_with_after_id_and_before_id() {
    let server = MockServer::start().await.unwrap();
    let ids: Vec<String> = (1..=25).map(|i| format!("model-{i:02}")).collect();
    server.set_models(ids.iter().map(parley_mock_claude::ModelInfo::new).collect());

    // Forward through three pages of 10, 10 and 5.
    let mut seen = Vec::new();
    let mut path = "/v1/models?limit=10".to_string();
    let mut pages = 0;
    loop {
        let page = get(&server, &path).await.json();
        pages += 1;
        let page_ids = page_ids(&page);
        assert_eq!(page["first_id"], page_ids[0]);
        assert_eq!(page["last_id"], *page_ids.last().unwrap());
        seen.extend(page_ids);
        if page["has_more"] == false {
            break;
        }
        path = format!(
            "/v1/models?limit=10&after_id={}",
            page["last_id"].as_str().unwrap()
        );
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids, "every model once, in order");

    // Back from the end with before_id.
    let page = get(&server, "/v1/models?before_id=model-25&limit=10")
        .await
        .json();
    assert_eq!(page_ids(&page), ids[14..24]);
    assert_eq!(page["has_more"], true);
    let page = get(&server, "/v1/models?before_id=model-05&limit=10")
        .await
        .json();
    assert_eq!(page_ids(&page), ids[..4]);
    assert_eq!(page["has_more"], false);

    // The default limit is 20; an unknown cursor or a bad limit is refused.
    let page = get(&server, "/v1/models").await.json();
    assert_eq!(page_ids(&page).len(), 20);
    assert_eq!(page["has_more"], true);
    let last = get(&server, "/v1/models?after_id=model-25").await.json();
    assert_eq!(last["data"], json!([]));
    assert_eq!(last["first_id"], Value::Null);
    assert_eq!(last["has_more"], false);
    let resp = get(&server, "/v1/models?after_id=nope").await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.api_error().1, "after_id: no model with id nope");
    let resp = get(&server, "/v1/models?limit=0").await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.api_error().1,
        "limit: Input should be between 1 and 1000"
    );

    server.set_models(parley_mock_claude::default_models());
    let page = get(&server, "/v1/models").await.json();
    assert_eq!(page_ids(&page), parley_mock_claude::MODELS);
}

#[tokio::test]
async fn count_tokens_and_models_can_be_switched_off() {
    let server = MockServer::start().await.unwrap();
    let mut count_body = messages_body("count me", false);
    count_body.as_object_mut().unwrap().remove("max_tokens");
    server.set_count_tokens_enabled(false);
    server.set_models_enabled(false);

    let resp = post_json(server.addr(), "/v1/messages/count_tokens", &[], &count_body).await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.api_error().0, "not_found_error");
    let resp = get(&server, "/v1/models?limit=5").await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.api_error().0, "not_found_error");
    assert_eq!(
        say(server.addr(), "still here").await.status,
        200,
        "messages are still served"
    );

    // A wrapping gateway answers 200 with its own error shape.
    server.set_not_found_style(parley_mock_claude::NotFoundStyle::Gateway);
    let resp = get(&server, "/v1/models").await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json(),
        json!({"code": 404, "error": {"message": "Invalid URL (GET /v1/models)", "type": "invalid_request_error"}})
    );
    let resp = post_json(server.addr(), "/v1/messages/count_tokens", &[], &count_body).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["code"], 404);
    assert_eq!(
        resp.json()["error"]["message"],
        "Invalid URL (POST /v1/messages/count_tokens)"
    );

    server.set_count_tokens_enabled(true);
    server.set_models_enabled(true);
    let resp = post_json(server.addr(), "/v1/messages/count_tokens", &[], &count_body).await;
    assert!(resp.json()["input_tokens"].as_u64().unwrap() >= 1);
    assert!(get(&server, "/v1/models").await.json()["data"].is_array());
}

/// A conversation whose last message is the assistant's `prefill`.
fn prefilled(user: &str, prefill: &str, stream: bool) -> Value {
    let mut body = messages_body(user, stream);
    body["messages"] = json!([
        {"role": "user", "content": user},
        {"role": "assistant", "content": prefill},
    ]);
    body
}

/// The text and stop reason of a reply, streamed or not.
fn text_and_stop(resp: &Response) -> (String, String) {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    if resp
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"))
    {
        let events = resp.events();
        let delta = events
            .iter()
            .find(|e| e.event == "message_delta")
            .unwrap()
            .json();
        (
            streamed_text(&events),
            delta["delta"]["stop_reason"].as_str().unwrap().to_string(),
        )
    } else {
        let message = resp.json();
        let text = message["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "text")
            .map(|b| b["text"].as_str().unwrap())
            .collect();
        (text, message["stop_reason"].as_str().unwrap().to_string())
    }
}

#[tokio::test]
async fn long_replies_are_cut_by_max_tokens_and_continue_exactly() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        let mut body = messages_body("count for me [[long:25]]", stream);
        body["max_tokens"] = json!(10);
        let (first, stop) = text_and_stop(&post_messages(server.addr(), &body).await);
        assert_eq!(
            first, "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10",
            "one token per word"
        );
        assert_eq!(stop, "max_tokens");

        // Continue: the partial reply goes back as a prefill, twice.
        let mut text = first;
        let mut legs = 1;
        loop {
            let mut body = prefilled("count for me [[long:25]]", &text, stream);
            body["max_tokens"] = json!(10);
            let (more, stop) = text_and_stop(&post_messages(server.addr(), &body).await);
            text.push_str(&more);
            legs += 1;
            if stop == "end_turn" {
                break;
            }
            assert_eq!(stop, "max_tokens");
            assert!(legs < 5, "the answer ends");
        }
        assert_eq!(legs, 3, "10 + 10 + 5 words");
        assert_eq!(
            text,
            magic::long_text(25),
            "the legs add up to the full answer"
        );
    }
}

#[tokio::test]
async fn a_prefill_continues_the_echo_or_gets_a_fixed_continuation() {
    let server = MockServer::start().await.unwrap();
    let (rest, stop) = text_and_stop(
        &post_messages(server.addr(), &prefilled("hello there", "Echo: hel", false)).await,
    );
    assert_eq!(rest, "lo there");
    assert_eq!(stop, "end_turn");

    // An echo cut by max_tokens can end in a space; without it, it continues exactly.
    let mut body = messages_body("a fairly long message to cut short", true);
    body["max_tokens"] = json!(2);
    let (cut, _) = text_and_stop(&post_messages(server.addr(), &body).await);
    assert_eq!(cut, "Echo: a ");
    let body = prefilled("a fairly long message to cut short", cut.trim_end(), true);
    let (rest, _) = text_and_stop(&post_messages(server.addr(), &body).await);
    assert_eq!(
        format!("{}{rest}", cut.trim_end()),
        "Echo: a fairly long message to cut short"
    );

    // A prefill the mock would not have written gets a fixed continuation.
    let (rest, _) = text_and_stop(
        &post_messages(server.addr(), &prefilled("hello", "Sure, here", false)).await,
    );
    assert_eq!(rest, format!("{}Echo: hello", magic::CONTINUED));

    // An empty prefill is the whole answer; array content counts its text blocks.
    let (all, _) = text_and_stop(&post_messages(server.addr(), &prefilled("hi", "", false)).await);
    assert_eq!(all, "Echo: hi");
    let mut body = prefilled("hi", "", false);
    body["messages"][1]["content"] = json!([{"type": "text", "text": "Echo"}]);
    let (rest, _) = text_and_stop(&post_messages(server.addr(), &body).await);
    assert_eq!(rest, ": hi");
}

#[tokio::test]
async fn a_prefill_ending_in_whitespace_is_refused() {
    let server = MockServer::start().await.unwrap();
    let message = "messages: final assistant content cannot end with trailing whitespace";
    for prefill in [
        json!("Echo: "),
        json!("line\n"),
        json!([{"type": "text", "text": "tab\t"}]),
    ] {
        let mut body = prefilled("hi", "", false);
        body["messages"][1]["content"] = prefill.clone();
        let resp = post_messages(server.addr(), &body).await;
        assert_eq!(resp.status, 400, "{prefill}");
        assert_eq!(
            resp.api_error(),
            ("invalid_request_error".into(), message.into())
        );
    }
    // Only the final assistant message is a prefill.
    let mut body = messages_body("", false);
    body["messages"] = json!([
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "an answer "},
        {"role": "user", "content": "next"},
    ]);
    assert_eq!(post_messages(server.addr(), &body).await.status, 200);
}

#[tokio::test]
async fn pause_turn_pauses_the_first_leg_only() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        let (first, stop) = text_and_stop(
            &post_messages(server.addr(), &messages_body("go [[pause]]", stream)).await,
        );
        assert_eq!(first, magic::PAUSE_TEXT);
        assert_eq!(stop, "pause_turn");
        let body = prefilled("go [[pause]]", &first, stream);
        let (rest, stop) = text_and_stop(&post_messages(server.addr(), &body).await);
        assert_eq!(rest, magic::PAUSE_REST);
        assert_eq!(stop, "end_turn");
    }
}

#[tokio::test]
async fn refusal_and_verbatim_stop_reasons() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        let (text, stop) = text_and_stop(
            &post_messages(server.addr(), &messages_body("[[refusal]]", stream)).await,
        );
        assert_eq!(text, magic::REFUSAL_TEXT);
        assert_eq!(stop, "refusal");
        let (text, stop) = text_and_stop(
            &post_messages(
                server.addr(),
                &messages_body("[[stop-reason:model_context_window_exceeded]]", stream),
            )
            .await,
        );
        assert_eq!(text, magic::STOP_REASON_TEXT);
        assert_eq!(stop, "model_context_window_exceeded");
    }
    // max_tokens still wins over the word's stop reason.
    let mut body = messages_body("[[refusal]]", false);
    body["max_tokens"] = json!(1);
    let (_, stop) = text_and_stop(&post_messages(server.addr(), &body).await);
    assert_eq!(stop, "max_tokens");
}

// --- Scripted tool loops (`[[tool:…]]`, `[[tools:…]]`, `[[tool-rounds:…]]`) and `tool_choice` ---

/// Two custom tools.
fn tool_defs() -> Value {
    json!([
        {"name": "get_weather", "description": "Weather now",
         "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
        {"name": "get_time", "description": "Time now",
         "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}}},
    ])
}

fn tool_body(text: &str, stream: bool) -> Value {
    let mut body = messages_body(text, stream);
    body["tools"] = tool_defs();
    body
}

fn block_types(message: &Value) -> Vec<String> {
    message["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap().to_string())
        .collect()
}

fn tool_uses(message: &Value) -> Vec<Value> {
    message["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .cloned()
        .collect()
}

fn text_of(message: &Value) -> String {
    message["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "text")
        .map(|b| b["text"].as_str().unwrap())
        .collect()
}

fn id_of(block: &Value) -> String {
    block["id"].as_str().unwrap().to_string()
}

fn tool_result(id: &str, content: Value) -> Value {
    json!({"type": "tool_result", "tool_use_id": id, "content": content})
}

/// The loop's next request: `body` with the reply as an assistant turn, then `results` as the
/// next user turn.
fn answered(body: &Value, reply: &Value, results: Vec<Value>) -> Value {
    let mut next = body.clone();
    let messages = next["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": reply["content"]}));
    messages.push(json!({"role": "user", "content": results}));
    next
}

async fn reply_to(server: &MockServer, body: &Value) -> Value {
    message_of(&post_messages(server.addr(), body).await)
}

#[tokio::test]
async fn a_scripted_tool_call_runs_one_round_then_quotes_the_result() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        let body = tool_body(
            r#"What is the weather? [[tool:get_weather:{"city":"Paris"}]]"#,
            stream,
        );
        let reply = reply_to(&server, &body).await;
        assert_eq!(block_types(&reply), ["text", "tool_use"]);
        assert_eq!(text_of(&reply), "Let me use the get_weather tool.");
        assert_eq!(reply["stop_reason"], "tool_use");
        let call = &tool_uses(&reply)[0];
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["input"], json!({"city": "Paris"}));
        let id = id_of(call);
        let n = id.strip_prefix("toolu_mock_").expect("a mock tool id");
        assert!(
            n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );

        let next = answered(&body, &reply, vec![tool_result(&id, json!("18 °C, sunny"))]);
        let last = reply_to(&server, &next).await;
        assert_eq!(block_types(&last), ["text"]);
        assert_eq!(text_of(&last), format!("Tool results: {id}=18 °C, sunny"));
        assert_eq!(last["stop_reason"], "end_turn");
    }
}

#[tokio::test]
async fn parallel_scripted_calls_come_in_one_reply_and_results_are_quoted_in_order() {
    let server = MockServer::start().await.unwrap();
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(3, 2)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let png = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &png);
    for stream in [false, true] {
        let body = tool_body(
            r#"[[tools:get_weather:{"city":"Paris"}|get_time:{"tz":"Europe/Paris"}]]"#,
            stream,
        );
        let reply = reply_to(&server, &body).await;
        assert_eq!(block_types(&reply), ["text", "tool_use", "tool_use"]);
        assert_eq!(
            text_of(&reply),
            "Let me use 2 tools at once: get_weather, get_time."
        );
        assert_eq!(reply["stop_reason"], "tool_use");
        let calls = tool_uses(&reply);
        assert_eq!(calls[0]["name"], "get_weather");
        assert_eq!(calls[0]["input"], json!({"city": "Paris"}));
        assert_eq!(calls[1]["name"], "get_time");
        assert_eq!(calls[1]["input"], json!({"tz": "Europe/Paris"}));
        let (id1, id2) = (id_of(&calls[0]), id_of(&calls[1]));
        assert!(
            id1.starts_with("toolu_mock_") && id1.ends_with("_1"),
            "{id1}"
        );
        assert_eq!(id2, format!("{}_2", id1.strip_suffix("_1").unwrap()));

        // Results in another order than the calls, one an error, one with blocks.
        let mut error = tool_result(&id1, json!("timeout"));
        error["is_error"] = json!(true);
        let blocks = tool_result(
            &id2,
            json!([
                {"type": "text", "text": "12:00"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
            ]),
        );
        let next = answered(&body, &reply, vec![blocks, error]);
        let last = reply_to(&server, &next).await;
        assert_eq!(
            text_of(&last),
            format!("Tool results: {id2}=12:00 [image: image/png 3x2]; {id1}=(error) timeout")
        );
        assert_eq!(last["stop_reason"], "end_turn");

        // An error result without content, and one with no content at all.
        let empty = json!({"type": "tool_result", "tool_use_id": id1, "is_error": true});
        let next = answered(&body, &reply, vec![empty, tool_result(&id2, json!([]))]);
        assert_eq!(
            text_of(&reply_to(&server, &next).await),
            format!("Tool results: {id1}=(error); {id2}=")
        );
    }

    // With parallel tool use disabled, only the first call is made.
    let mut body = tool_body(r#"[[tools:get_weather:{"city":"Oslo"}|get_time]]"#, false);
    body["tool_choice"] = json!({"type": "auto", "disable_parallel_tool_use": true});
    let reply = reply_to(&server, &body).await;
    assert_eq!(block_types(&reply), ["text", "tool_use"]);
    assert_eq!(text_of(&reply), "Let me use the get_weather tool.");
    assert!(!id_of(&tool_uses(&reply)[0]).ends_with("_1"));
}

#[tokio::test]
async fn with_thinking_the_tool_reply_thinks_first_and_later_rounds_only_when_interleaved() {
    let server = MockServer::start().await.unwrap();
    let mut body = thinking_body(r#"[[tool:get_time:{"tz":"UTC"}]]"#);
    body["tools"] = tool_defs();
    body["stream"] = json!(true);
    let resp = post_messages(server.addr(), &body).await;
    assert!(
        resp.events()
            .iter()
            .any(|e| e.event == "content_block_delta"
                && e.json()["delta"]["type"] == "signature_delta"),
        "the thinking block is signed"
    );
    let reply = message_of(&resp);
    assert_eq!(block_types(&reply), ["thinking", "text", "tool_use"]);
    assert!(
        reply["content"][0]["signature"]
            .as_str()
            .unwrap()
            .starts_with("EqMock")
    );
    let id = id_of(&tool_uses(&reply)[0]);

    // The thinking block goes back unchanged with the call; the final text does not think.
    let next = answered(&body, &reply, vec![tool_result(&id, json!("00:00"))]);
    let last = reply_to(&server, &next).await;
    assert_eq!(block_types(&last), ["text"]);
    assert_eq!(text_of(&last), format!("Tool results: {id}=00:00"));

    // With interleaved thinking, every reply of the loop may think.
    let beta = [("anthropic-beta", "interleaved-thinking-2025-05-14")];
    let last = message_of(&post_json(server.addr(), "/v1/messages", &beta, &next).await);
    assert_eq!(block_types(&last), ["thinking", "text"]);
    assert_eq!(text_of(&last), format!("Tool results: {id}=00:00"));

    // An altered thinking block is still refused.
    let mut altered = next.clone();
    altered["messages"][1]["content"][0]["thinking"] = json!("something else");
    let resp = post_messages(server.addr(), &altered).await;
    assert_eq!(resp.status, 400);
    assert!(resp.api_error().1.contains("Invalid `signature`"));

    // A `-thinking` model thinks before its call too.
    let mut body = tool_body("[[tool:get_time]]", false);
    body["model"] = json!("claude-sonnet-4-5-20250929-thinking");
    let reply = reply_to(&server, &body).await;
    assert_eq!(block_types(&reply), ["thinking", "text", "tool_use"]);
    assert_eq!(tool_uses(&reply)[0]["input"], json!({}));
}

#[tokio::test]
async fn tool_rounds_keep_calling_until_n_rounds_then_answer() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        let mut body = tool_body(r#"Count. [[tool-rounds:3:get_time:{"tz":"UTC"}]]"#, stream);
        let mut ids = Vec::new();
        for round in 1..=3 {
            let reply = reply_to(&server, &body).await;
            assert_eq!(reply["stop_reason"], "tool_use", "round {round}");
            let expected = if round == 1 {
                "Let me use the get_time tool.".to_string()
            } else {
                format!("Round {round} of 3: calling get_time again.")
            };
            assert_eq!(text_of(&reply), expected);
            let call = &tool_uses(&reply)[0];
            assert_eq!(call["name"], "get_time");
            assert_eq!(call["input"], json!({"tz": "UTC"}));
            let id = id_of(call);
            assert!(!ids.contains(&id), "ids are unique");
            ids.push(id.clone());
            body = answered(
                &body,
                &reply,
                vec![tool_result(&id, json!(format!("t{round}")))],
            );
        }
        let last = reply_to(&server, &body).await;
        assert_eq!(last["stop_reason"], "end_turn");
        assert_eq!(text_of(&last), format!("Tool results: {}=t3", ids[2]));
    }

    // tool_choice none in the middle of the loop: no more calls, the final text at once.
    let body = tool_body("[[tool-rounds:5:get_weather]]", false);
    let reply = reply_to(&server, &body).await;
    let id = id_of(&tool_uses(&reply)[0]);
    let mut next = answered(&body, &reply, vec![tool_result(&id, json!("rain"))]);
    next["tool_choice"] = json!({"type": "none"});
    let last = reply_to(&server, &next).await;
    assert_eq!(last["stop_reason"], "end_turn");
    assert_eq!(text_of(&last), format!("Tool results: {id}=rain"));
}

#[tokio::test]
async fn the_loop_is_steered_by_the_message_that_opened_it() {
    let server = MockServer::start().await.unwrap();
    // The word may sit in a text block of an array content.
    let mut body = tool_body("", false);
    body["messages"][0]["content"] = json!([{"type": "text", "text": "[[tool:get_weather]]"}]);
    let reply = reply_to(&server, &body).await;
    let id = id_of(&tool_uses(&reply)[0]);
    let done = answered(&body, &reply, vec![tool_result(&id, json!("sun"))]);
    let last = reply_to(&server, &done).await;
    assert_eq!(text_of(&last), format!("Tool results: {id}=sun"));

    // Once the user writes again, the old word no longer steers.
    let mut later = done.clone();
    let messages = later["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": last["content"]}));
    messages.push(json!({"role": "user", "content": "thanks"}));
    assert_eq!(text_of(&reply_to(&server, &later).await), "Echo: thanks");

    // Text next to the results opens a new exchange, steered by that text.
    let mut both = answered(&body, &reply, vec![tool_result(&id, json!("sun"))]);
    both["messages"][2]["content"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "text", "text": "and the time? [[tool:get_time:{\"tz\":\"UTC\"}]]"}));
    let again = reply_to(&server, &both).await;
    assert_eq!(text_of(&again), "Let me use the get_time tool.");
    let id2 = id_of(&tool_uses(&again)[0]);
    let next = answered(&both, &again, vec![tool_result(&id2, json!("noon"))]);
    assert_eq!(
        text_of(&reply_to(&server, &next).await),
        format!("Tool results: {id2}=noon")
    );
}

#[tokio::test]
async fn a_scripted_call_of_a_tool_the_request_lacks_answers_text() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        let reply = reply_to(&server, &tool_body("[[tool:search:{}]]", stream)).await;
        assert_eq!(block_types(&reply), ["text"]);
        assert_eq!(reply["stop_reason"], "end_turn");
        assert_eq!(
            text_of(&reply),
            "Cannot call search: no tool of that name in this request (tools: get_weather, get_time)."
        );
    }
    let reply = reply_to(&server, &tool_body("[[tools:get_time|search|find]]", false)).await;
    assert_eq!(
        text_of(&reply),
        "Cannot call search, find: no tool of that name in this request (tools: get_weather, get_time)."
    );
    let reply = reply_to(&server, &messages_body("[[tool:search]]", false)).await;
    assert_eq!(
        text_of(&reply),
        "Cannot call search: no tool of that name in this request (tools: none)."
    );
}

#[tokio::test]
async fn tool_results_must_answer_the_previous_assistant_message() {
    let server = MockServer::start().await.unwrap();
    let body = tool_body("[[tool-rounds:2:get_time]]", false);
    let first = reply_to(&server, &body).await;
    let id1 = id_of(&tool_uses(&first)[0]);
    let round2 = answered(&body, &first, vec![tool_result(&id1, json!("a"))]);
    let second = reply_to(&server, &round2).await;
    // Answering the second call with the first call's id.
    let stale = answered(&round2, &second, vec![tool_result(&id1, json!("b"))]);
    let resp = post_messages(server.addr(), &stale).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.api_error(),
        (
            "invalid_request_error".to_string(),
            format!(
                "messages.4.content.0: unexpected `tool_use_id` found in `tool_result` blocks: {id1}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
            )
        )
    );
    // A result in the very first message answers nothing.
    let mut body = tool_body("", false);
    body["messages"][0]["content"] = json!([tool_result("toolu_x", json!("?"))]);
    let resp = post_messages(server.addr(), &body).await;
    assert_eq!(resp.status, 400);
    assert!(resp.api_error().1.starts_with(
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x."
    ));
}

#[tokio::test]
async fn tool_choice_is_validated() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        (
            json!({"type": "tool", "name": "search"}),
            "Tool 'search' not found in provided tools",
        ),
        (
            json!({"type": "tool"}),
            "tool_choice.tool.name: Field required",
        ),
        (
            json!({"type": "sometimes"}),
            "tool_choice: Input tag 'sometimes' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
        ),
        (
            json!("auto"),
            "tool_choice: Input should be a valid dictionary or object to extract fields from",
        ),
    ];
    for (choice, expected) in cases {
        let mut body = tool_body("hi", false);
        body["tool_choice"] = choice.clone();
        let resp = post_messages(server.addr(), &body).await;
        assert_eq!(resp.status, 400, "{choice}");
        assert_eq!(
            resp.api_error(),
            ("invalid_request_error".to_string(), expected.to_string()),
            "{choice}"
        );
    }
    for choice in [
        json!({"type": "auto"}),
        json!({"type": "any"}),
        json!({"type": "none"}),
        json!({"type": "tool", "name": "get_time"}),
        Value::Null,
    ] {
        let mut body = tool_body("hi", false);
        body["tool_choice"] = choice.clone();
        assert_eq!(
            post_messages(server.addr(), &body).await.status,
            200,
            "{choice}"
        );
    }
}

#[tokio::test]
async fn tool_choice_none_never_calls_a_tool() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        (
            "[[tool:get_weather:{}]]",
            "Not calling get_weather: tool_choice is none.",
        ),
        (
            "[[tools:get_weather|get_time]]",
            "Not calling get_weather, get_time: tool_choice is none.",
        ),
        ("[[tool]]", "Not calling get_weather: tool_choice is none."),
        ("hi", "Echo: hi"),
    ];
    for stream in [false, true] {
        for (text, expected) in cases {
            let mut body = tool_body(text, stream);
            body["tool_choice"] = json!({"type": "none"});
            let reply = reply_to(&server, &body).await;
            assert_eq!(block_types(&reply), ["text"], "{text}");
            assert_eq!(text_of(&reply), expected);
            assert_eq!(reply["stop_reason"], "end_turn");
        }
    }
}

#[tokio::test]
async fn a_forced_tool_choice_calls_a_tool_even_without_a_magic_word() {
    let server = MockServer::start().await.unwrap();
    for stream in [false, true] {
        for (choice, name) in [
            (json!({"type": "any"}), "get_weather"),
            (json!({"type": "tool", "name": "get_time"}), "get_time"),
        ] {
            let mut body = tool_body("hello", stream);
            body["tool_choice"] = choice.clone();
            let reply = reply_to(&server, &body).await;
            // A forced call comes with no text before it.
            assert_eq!(block_types(&reply), ["tool_use"], "{choice}");
            assert_eq!(reply["stop_reason"], "tool_use");
            let call = &tool_uses(&reply)[0];
            assert_eq!(call["name"], name);
            assert_eq!(call["input"], json!({}));
            // Still forced on the next round: the loop goes on until the client stops it.
            let next = answered(&body, &reply, vec![tool_result(&id_of(call), json!("ok"))]);
            let again = reply_to(&server, &next).await;
            assert_eq!(block_types(&again), ["tool_use"]);
            assert_eq!(tool_uses(&again)[0]["name"], name);
        }
    }

    // The words make their calls as written, without the text before them; the final text
    // gives way to another forced call.
    let mut body = tool_body(r#"[[tools:get_time:{"tz":"UTC"}|get_weather]]"#, false);
    body["tool_choice"] = json!({"type": "any"});
    let reply = reply_to(&server, &body).await;
    assert_eq!(block_types(&reply), ["tool_use", "tool_use"]);
    assert_eq!(tool_uses(&reply)[0]["input"], json!({"tz": "UTC"}));
    let results = tool_uses(&reply)
        .iter()
        .map(|c| tool_result(&id_of(c), json!("ok")))
        .collect();
    let again = reply_to(&server, &answered(&body, &reply, results)).await;
    assert_eq!(block_types(&again), ["tool_use"]);
    assert_eq!(tool_uses(&again)[0]["name"], "get_weather");
    assert_eq!(tool_uses(&again)[0]["input"], json!({}));
}

#[tokio::test]
async fn custom_tools_need_valid_unique_names_and_a_schema() {
    let server = MockServer::start().await.unwrap();
    let schema = json!({"type": "object"});
    let pattern = "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'";
    let cases = [
        (
            json!([{"name": "ok", "input_schema": schema}, {"name": "files.read", "input_schema": schema}]),
            format!("tools.1.custom.name: {pattern}"),
        ),
        (
            json!([{"name": "x".repeat(129), "input_schema": schema}]),
            format!("tools.0.custom.name: {pattern}"),
        ),
        (
            json!([{"name": "", "input_schema": schema}]),
            format!("tools.0.custom.name: {pattern}"),
        ),
        (
            json!([{"input_schema": schema}]),
            "tools.0.custom.name: Field required".to_string(),
        ),
        (
            json!([{"name": "a"}]),
            "tools.0.custom.input_schema: Field required".to_string(),
        ),
        (
            json!([{"name": "a", "input_schema": schema}, {"type": "custom", "name": "a", "input_schema": schema}]),
            "tools: Tool names must be unique.".to_string(),
        ),
        (
            json!({"name": "a"}),
            "tools: Input should be a valid list".to_string(),
        ),
    ];
    for (tools, expected) in cases {
        let mut body = messages_body("hi", false);
        body["tools"] = tools.clone();
        let resp = post_messages(server.addr(), &body).await;
        assert_eq!(resp.status, 400, "{tools}");
        assert_eq!(resp.api_error().1, expected, "{tools}");
    }
    // Typed tools carry their own schema; a name of 128 characters is fine.
    let mut body = messages_body("hi", false);
    body["tools"] = json!([
        {"type": "bash_20250124", "name": "bash"},
        {"name": "x".repeat(128), "input_schema": schema},
        {"name": "snake_case-and-dash_9", "input_schema": schema},
    ]);
    assert_eq!(post_messages(server.addr(), &body).await.status, 200);
}
