//! A few HTTP-level checks against a tiny raw TCP server on 127.0.0.1 (exact bytes: wrapped
//! bodies, redirects, limits), and the models list and missing routes against the mock API
//! (`tests/mock-claude`, where the big integration tests live).

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use parley_claude::{
    ApiConfig, ApiErrorKind, ApiKey, AuthStyle, ClaudeClient, ContentBlock, Message,
    MessageAccumulator, MessagesRequest, StreamEvent,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const KEY: &str = "sk-ant-test-key-0123456789";

/// The request the server received.
struct Received {
    head: String,
    body: serde_json::Value,
}

impl Received {
    /// The value of header `name` (case-insensitive), if sent.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Serves one connection: reads one request, writes `parts` (pausing briefly between them so
/// they arrive as separate reads), then closes the socket.
async fn serve_once(parts: Vec<Vec<u8>>) -> (String, JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "client closed before sending a request");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "client closed mid-body");
            buf.extend_from_slice(&chunk[..n]);
        }
        // A GET has no body.
        let body = if length == 0 {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&buf[head_end..head_end + length]).unwrap()
        };
        for part in parts {
            socket.write_all(&part).await.unwrap();
            socket.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = socket.shutdown().await;
        Received { head, body }
    });
    (base, handle)
}

fn response(status: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut text = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

/// Response headers of an SSE body that is delimited by closing the connection.
fn sse_head() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nrequest-id: req_sse\r\nconnection: close\r\n\r\n".to_vec()
}

/// Like [`sse_head`], with `header` instead of the request id.
fn sse_head_with(header: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n{header}\r\nconnection: close\r\n\r\n").into_bytes()
}

fn client(base: &str, auth_style: AuthStyle) -> ClaudeClient {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let config = ApiConfig {
        base_url: base.to_owned(),
        api_version: "2023-06-01".into(),
        auth_style,
    };
    ClaudeClient::new(http, config, ApiKey::new(KEY))
}

fn request() -> MessagesRequest {
    MessagesRequest {
        model: "claude-haiku-4-5-20251001".into(),
        max_tokens: 64,
        messages: vec![Message::user("Hi")],
        ..Default::default()
    }
}

const MESSAGE: &str = r#"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hello!"}],"model":"claude-haiku-4-5-20251001","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":18}}"#;

#[tokio::test]
async fn create_message_sends_x_api_key_and_version_and_unwraps_a_gateway_body() {
    let wrapped = format!(r#"{{"code":200,"data":{MESSAGE}}}"#);
    let (base, server) = serve_once(vec![response(
        "200 OK",
        &["content-type: application/json"],
        &wrapped,
    )])
    .await;
    let reply = client(&base, AuthStyle::XApiKey)
        .create_message(&request())
        .await
        .unwrap();
    assert_eq!(reply.content, vec![ContentBlock::text("Hello!")]);
    assert_eq!(reply.usage.output_tokens, 18);

    let received = server.await.unwrap();
    assert!(
        received.head.starts_with("POST /v1/messages HTTP/1.1"),
        "{}",
        received.head
    );
    assert_eq!(received.header("x-api-key"), Some(KEY));
    assert_eq!(
        received.header("authorization"),
        None,
        "only one auth header"
    );
    assert_eq!(received.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(received.header("content-type"), Some("application/json"));
    assert_eq!(
        received.header("origin"),
        None,
        "the real API rejects browser-origin calls"
    );
    assert_eq!(received.body["model"], "claude-haiku-4-5-20251001");
    assert!(
        received.body.get("stream").is_none(),
        "a non-streamed request sends no stream flag"
    );
}

#[tokio::test]
async fn bearer_auth_style_sends_an_authorization_header() {
    let (base, server) = serve_once(vec![response(
        "200 OK",
        &["content-type: application/json"],
        MESSAGE,
    )])
    .await;
    client(&base, AuthStyle::Bearer)
        .create_message(&request())
        .await
        .unwrap();
    let received = server.await.unwrap();
    assert_eq!(
        received.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(received.header("x-api-key"), None);
}

#[tokio::test]
async fn wrapped_body_with_an_error_code_is_an_error() {
    let body = r#"{"code":401,"msg":"invalid token","data":null}"#;
    let (base, _server) = serve_once(vec![response(
        "200 OK",
        &["content-type: application/json"],
        body,
    )])
    .await;
    let err = client(&base, AuthStyle::XApiKey)
        .create_message(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Auth);
    assert_eq!(err.message, "Authentication failed (401): invalid token");
}

#[tokio::test]
async fn stream_message_classifies_a_529_with_request_id_and_retry_after() {
    let body = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_body"}"#;
    let (base, server) = serve_once(vec![response(
        "529 Site Overloaded",
        &[
            "content-type: application/json",
            "request-id: req_011CSHoEeqs5C35K2UUqR7Fy",
            "retry-after: 3",
        ],
        body,
    )])
    .await;
    let err = client(&base, AuthStyle::XApiKey)
        .stream_message(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Overloaded);
    assert_eq!(err.status, Some(529));
    assert_eq!(
        err.request_id.as_deref(),
        Some("req_011CSHoEeqs5C35K2UUqR7Fy")
    );
    assert_eq!(err.retry_after, Some(Duration::from_secs(3)));
    assert_eq!(err.message, "The API is overloaded (529): Overloaded");
    assert!(err.is_retryable());

    let received = server.await.unwrap();
    assert_eq!(received.body["stream"], true);
    assert_eq!(received.header("accept"), Some("text/event-stream"));
}

const SSE_START: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_s\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
event: ping\ndata: {\"type\": \"ping\"}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"你好\"}}\n\n";

/// Drains a stream into an accumulator, returning the final result of the stream.
async fn drain(
    stream: &mut parley_claude::EventStream,
    acc: &mut MessageAccumulator,
) -> Result<(), parley_claude::ClaudeError> {
    while let Some(event) = stream.next_event().await {
        acc.apply(&event?)?;
    }
    Ok(())
}

#[tokio::test]
async fn complete_stream_split_mid_character_accumulates_to_the_reply() {
    let rest = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}\r\n\r\n\
event: future_event\ndata: {\"type\":\"future_event\"}\n\n\
event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    let body = format!("{SSE_START}{rest}");
    // Split inside the UTF-8 of 你 so the parser must carry bytes across reads.
    let cut = body.find('你').unwrap() + 1;
    let (base, _server) = serve_once(vec![
        sse_head(),
        body.as_bytes()[..cut].to_vec(),
        body.as_bytes()[cut..].to_vec(),
    ])
    .await;
    let mut stream = client(&base, AuthStyle::XApiKey)
        .stream_message(&request())
        .await
        .unwrap();
    assert_eq!(stream.request_id(), Some("req_sse"));
    let mut acc = MessageAccumulator::new();
    drain(&mut stream, &mut acc).await.unwrap();
    assert!(acc.is_complete());
    assert_eq!(acc.plain_text(), "你好!");
    assert_eq!(acc.usage().output_tokens, 5);
    assert!(
        stream.next_event().await.is_none(),
        "nothing after message_stop"
    );
}

#[tokio::test]
async fn body_closed_before_message_stop_is_stream_interrupted() {
    let (base, _server) = serve_once(vec![sse_head(), SSE_START.as_bytes().to_vec()]).await;
    let mut stream = client(&base, AuthStyle::XApiKey)
        .stream_message(&request())
        .await
        .unwrap();
    let mut acc = MessageAccumulator::new();
    let err = drain(&mut stream, &mut acc).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::StreamInterrupted);
    assert_eq!(
        err.message,
        "The connection closed before the reply was complete."
    );
    assert_eq!(err.request_id.as_deref(), Some("req_sse"));
    assert_eq!(acc.plain_text(), "你好", "what arrived is kept");
    assert!(
        acc.has_output(),
        "so the caller knows not to retry silently"
    );
    assert!(
        stream.next_event().await.is_none(),
        "an error ends the stream"
    );
}

#[tokio::test]
async fn chunked_body_cut_mid_chunk_is_stream_interrupted() {
    let head =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    let first = format!("{:x}\r\n{SSE_START}\r\n", SSE_START.len());
    // Announces 0x100 bytes, sends 10, then the connection drops.
    let cut = b"100\r\nevent: con".to_vec();
    let (base, _server) = serve_once(vec![head, first.into_bytes(), cut]).await;
    let mut stream = client(&base, AuthStyle::XApiKey)
        .stream_message(&request())
        .await
        .unwrap();
    let err = drain(&mut stream, &mut MessageAccumulator::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::StreamInterrupted, "{err:?}");
}

#[tokio::test]
async fn error_event_mid_stream_is_an_error_with_the_request_id() {
    let error = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let (base, _server) =
        serve_once(vec![sse_head(), format!("{SSE_START}{error}").into_bytes()]).await;
    let mut stream = client(&base, AuthStyle::XApiKey)
        .stream_message(&request())
        .await
        .unwrap();
    let err = drain(&mut stream, &mut MessageAccumulator::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Overloaded);
    assert_eq!(err.status, None);
    assert_eq!(err.request_id.as_deref(), Some("req_sse"));
    assert!(stream.next_event().await.is_none());
}

#[tokio::test]
async fn json_reply_to_a_stream_request_is_replayed_as_events() {
    let (base, _server) = serve_once(vec![response(
        "200 OK",
        &["content-type: application/json; charset=utf-8"],
        MESSAGE,
    )])
    .await;
    let mut stream = client(&base, AuthStyle::XApiKey)
        .stream_message(&request())
        .await
        .unwrap();
    let first = stream.next_event().await.unwrap().unwrap();
    assert!(matches!(first, StreamEvent::MessageStart { .. }));
    let mut acc = MessageAccumulator::new();
    acc.apply(&first).unwrap();
    drain(&mut stream, &mut acc).await.unwrap();
    assert!(acc.is_complete());
    assert_eq!(acc.plain_text(), "Hello!");
    assert_eq!(acc.stop_reason(), Some("end_turn"));
}

#[tokio::test]
async fn count_tokens_sends_only_accepted_fields() {
    let (base, server) = serve_once(vec![response(
        "200 OK",
        &["content-type: application/json"],
        r#"{"input_tokens":42}"#,
    )])
    .await;
    let n = client(&base, AuthStyle::XApiKey)
        .count_tokens(&request())
        .await
        .unwrap();
    assert_eq!(n, 42);
    let received = server.await.unwrap();
    assert!(
        received.head.starts_with("POST /v1/messages/count_tokens "),
        "{}",
        received.head
    );
    assert!(
        received.body.get("max_tokens").is_none(),
        "count_tokens rejects max_tokens"
    );
    assert_eq!(received.body["messages"][0]["content"], "Hi");
}

#[tokio::test]
async fn refused_connection_is_a_network_error_naming_the_address() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(&format!("http://{addr}"), AuthStyle::XApiKey)
        .create_message(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Network);
    assert!(
        err.message
            .starts_with(&format!("Could not connect to {addr}")),
        "{}",
        err.message
    );
    assert!(
        err.message.to_lowercase().contains("refused"),
        "the OS reason is kept: {}",
        err.message
    );
    assert!(!err.message.contains(KEY));
    assert!(err.is_retryable());
}

#[test]
fn debug_output_of_client_and_config_never_contains_the_key() {
    let client = client("https://api.anthropic.com", AuthStyle::Bearer);
    let debug = format!("{client:?} {:?}", client.config());
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("<redacted>"));
}

#[tokio::test]
async fn empty_key_fails_before_sending() {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let client = ClaudeClient::new(http, ApiConfig::default(), ApiKey::new(""));
    let err = client.create_message(&request()).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Auth);
}

#[test]
fn messages_url_appends_the_endpoint_to_the_base() {
    let c = client("https://api.apimart.ai/", AuthStyle::XApiKey);
    assert_eq!(c.messages_url(), "https://api.apimart.ai/v1/messages");
    assert_eq!(
        c.count_tokens_url(),
        "https://api.apimart.ai/v1/messages/count_tokens"
    );
}

/// A client like the app's (no redirects), without the system proxy.
fn app_client(base: &str, key: &str) -> ClaudeClient {
    let http = parley_claude::http_client_builder()
        .no_proxy()
        .build()
        .unwrap();
    let config = ApiConfig {
        base_url: base.to_owned(),
        api_version: "2023-06-01".into(),
        auth_style: AuthStyle::XApiKey,
    };
    ClaudeClient::new(http, config, ApiKey::new(key))
}

/// A listener that counts the connections it is offered and the bytes they send.
struct Witness {
    url: String,
    seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: JoinHandle<()>,
}

impl Witness {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/messages", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        counter.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        Self { url, seen, task }
    }

    /// Connections plus bytes received, after giving a follower time to arrive.
    async fn seen(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.seen.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_307_to_another_server_is_refused_and_that_server_sees_nothing() {
    let target = Witness::start().await;
    for streamed in [true, false] {
        let location = format!("location: {}", target.url);
        let (base, server) = serve_once(vec![response(
            "307 Temporary Redirect",
            &[&location, "request-id: req_redirect"],
            "",
        )])
        .await;
        let client = app_client(&base, KEY);
        let err = if streamed {
            client.stream_message(&request()).await.unwrap_err()
        } else {
            client.create_message(&request()).await.unwrap_err()
        };
        assert_eq!(err.kind, ApiErrorKind::Redirect, "{err:?}");
        assert_eq!(err.status, Some(307));
        assert_eq!(err.request_id.as_deref(), Some("req_redirect"));
        assert!(
            err.message.contains(&target.url),
            "the user must see where it pointed: {}",
            err.message
        );
        assert!(!err.is_retryable(), "the same request would redirect again");
        server.await.unwrap();
    }
    assert_eq!(
        target.seen().await,
        0,
        "following the redirect would have sent the key and the conversation there"
    );
}

#[tokio::test]
async fn a_redirect_names_its_target_without_credentials_or_query() {
    let cases = [
        (
            "location: http://user:hunter22@evil.example:8443/v1/messages?token=abc#frag",
            "http://evil.example:8443/v1/messages",
        ),
        (
            "location: /elsewhere/v1/messages?sig=1",
            "/elsewhere/v1/messages",
        ),
    ];
    for (header, named) in cases {
        let (base, _server) =
            serve_once(vec![response("308 Permanent Redirect", &[header], "")]).await;
        let err = app_client(&base, KEY)
            .count_tokens(&request())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::Redirect);
        assert!(err.message.contains(named), "{}", err.message);
        for secret in ["hunter22", "user:", "token", "sig=", "frag"] {
            assert!(!err.message.contains(secret), "{secret}: {}", err.message);
        }
    }
    let (base, _server) = serve_once(vec![response("302 Found", &[], "")]).await;
    let err = app_client(&base, KEY)
        .create_message(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Redirect);
    assert!(err.message.contains("302 Found"), "{}", err.message);
}

#[tokio::test]
async fn server_error_text_is_cut_and_never_shows_the_key() {
    let key = "gw-0123456789abcdef";
    let echoed = format!(
        "bad header x-api-key: {key}; try sk-ant-other-key-999 instead. {}",
        "blah ".repeat(2000)
    );
    let body = serde_json::json!({"type":"error","error":{"type":"invalid_request_error","message": echoed}}).to_string();
    let (base, _server) = serve_once(vec![response(
        "400 Bad Request",
        &["content-type: application/json"],
        &body,
    )])
    .await;
    let err = app_client(&base, key)
        .create_message(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::InvalidRequest);
    assert!(!err.message.contains(key), "{}", err.message);
    assert!(!err.message.contains("sk-ant-other"), "{}", err.message);
    assert!(
        err.message.contains("x-api-key: [redacted]"),
        "{}",
        err.message
    );
    assert!(
        err.message.len() <= parley_claude::MAX_ERROR_TEXT,
        "stored, shown and exported: {} bytes",
        err.message.len()
    );

    // A request id is stored and shown too: a server that puts the key there gets it redacted.
    let (base, _server) = serve_once(vec![
        sse_head_with(&format!("request-id: {key}")),
        SSE_START.as_bytes().to_vec(),
    ])
    .await;
    let stream = app_client(&base, key)
        .stream_message(&request())
        .await
        .unwrap();
    assert_eq!(stream.request_id(), Some("[redacted]"));

    // The same inside a stream's error event.
    let event = format!(
        "event: error\ndata: {}\n\n",
        serde_json::json!({"type":"error","error":{"type":"api_error","message": echoed}})
    );
    let (base, _server) =
        serve_once(vec![sse_head(), format!("{SSE_START}{event}").into_bytes()]).await;
    let mut stream = app_client(&base, key)
        .stream_message(&request())
        .await
        .unwrap();
    let err = drain(&mut stream, &mut MessageAccumulator::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Api);
    assert!(!err.message.contains(key), "{}", err.message);
    assert!(err.message.len() <= parley_claude::MAX_ERROR_TEXT);
}

/// Serves one connection: reads the request head, writes `head`, then `x`s in 64 KiB writes
/// until the client hangs up. Returns how many body bytes it managed to write.
async fn serve_endless(head: Vec<u8>) -> (String, JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = Vec::new();
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        // The request body is small; a short pause lets it arrive before writing starts.
        tokio::time::sleep(Duration::from_millis(20)).await;
        socket.write_all(&head).await.unwrap();
        let fill = vec![b'x'; 64 * 1024];
        let mut written = 0;
        // 1 GiB at most, so a client that never stops reading ends the test too.
        while written < 1 << 30 {
            if socket.write_all(&fill).await.is_err() {
                break;
            }
            written += fill.len();
        }
        written
    });
    (base, handle)
}

#[tokio::test]
async fn an_endless_error_body_is_read_only_up_to_its_cap() {
    let head = b"HTTP/1.1 529 Overloaded\r\ncontent-type: text/html\r\nretry-after: 2\r\nconnection: close\r\n\r\n<html><title>busy</title>".to_vec();
    let (base, server) = serve_endless(head).await;
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        app_client(&base, KEY).create_message(&request()),
    )
    .await
    .expect("an endless error body must not be read to its end")
    .unwrap_err();
    assert_eq!(
        err.kind,
        ApiErrorKind::Overloaded,
        "the status still decides: {err:?}"
    );
    assert_eq!(err.retry_after, Some(Duration::from_secs(2)));
    let written = server.await.unwrap();
    assert!(
        written < 64 << 20,
        "stopped reading early; the server wrote {written} bytes"
    );
}

#[tokio::test]
async fn a_json_body_at_its_cap_is_read_and_one_byte_over_is_refused() {
    let limits = parley_claude::ResponseLimits {
        json_body: MESSAGE.len(),
        ..Default::default()
    };
    let ok = response("200 OK", &["content-type: application/json"], MESSAGE);
    let (base, _server) = serve_once(vec![ok]).await;
    let reply = app_client(&base, KEY)
        .with_limits(limits)
        .create_message(&request())
        .await
        .unwrap();
    assert_eq!(reply.content, vec![ContentBlock::text("Hello!")]);

    let one_more = format!("{MESSAGE} ");
    let with_length = response("200 OK", &["content-type: application/json"], &one_more);
    // Without content-length: delimited by closing the connection, so the cap is found by reading.
    let mut close_delimited =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".to_vec();
    close_delimited.extend_from_slice(one_more.as_bytes());
    for (label, reply) in [("content-length", with_length), ("close", close_delimited)] {
        let (base, _server) = serve_once(vec![reply]).await;
        let err = app_client(&base, KEY)
            .with_limits(limits)
            .create_message(&request())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::ResponseTooLarge, "{label}: {err:?}");
        assert!(
            err.message.contains(&format!("{} bytes", MESSAGE.len())),
            "the message names the cap: {}",
            err.message
        );
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn an_sse_event_at_its_cap_passes_and_one_byte_over_fails_keeping_the_text_before() {
    // Padded to be the largest event, so only its size decides.
    let largest = SSE_START.split("\n\n").map(str::len).max().unwrap();
    let ping = format!(
        "event: ping\ndata: {{\"type\":\"ping\",\"pad\":\"{}\"}}\n\n",
        "x".repeat(largest)
    );
    // The event's lines without their line ends.
    let size = ping.trim_end().lines().map(str::len).sum::<usize>();
    for (cap, refused) in [(size, false), (size - 1, true)] {
        // The first events are smaller than either cap.
        assert!(SSE_START.split("\n\n").all(|e| e.len() < size));
        let (base, _server) =
            serve_once(vec![sse_head(), format!("{SSE_START}{ping}").into_bytes()]).await;
        let limits = parley_claude::ResponseLimits {
            sse_event: cap,
            ..Default::default()
        };
        let mut stream = app_client(&base, KEY)
            .with_limits(limits)
            .stream_message(&request())
            .await
            .unwrap();
        let mut acc = MessageAccumulator::new();
        let err = drain(&mut stream, &mut acc).await.unwrap_err();
        let expected = if refused {
            ApiErrorKind::ResponseTooLarge
        } else {
            // The ping passed; the body then ended without message_stop.
            ApiErrorKind::StreamInterrupted
        };
        assert_eq!(err.kind, expected, "cap {cap}: {err:?}");
        assert_eq!(
            acc.plain_text(),
            "你好",
            "the text before the big event is kept"
        );
        assert_eq!(err.request_id.as_deref(), Some("req_sse"));
    }
}

/// The process's resident memory and its peak since the last reset, in bytes.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test]
async fn an_endless_sse_line_fails_at_the_default_16_mb_cap_with_bounded_memory() {
    // Resets the peak (VmHWM) to the current size, so the peak below is this test's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (idle, _) = memory();
    let mut head = sse_head();
    head.extend_from_slice(SSE_START.as_bytes());
    head.extend_from_slice(b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"");
    let (base, server) = serve_endless(head).await;
    let client = app_client(&base, KEY);
    assert_eq!(client.limits().sse_event, 16 << 20, "the real default");
    let mut stream = client.stream_message(&request()).await.unwrap();
    let mut acc = MessageAccumulator::new();
    let err = tokio::time::timeout(Duration::from_secs(60), drain(&mut stream, &mut acc))
        .await
        .expect("an endless line must be refused, not read forever")
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::ResponseTooLarge, "{err:?}");
    assert!(err.message.contains("16 MB"), "{}", err.message);
    assert_eq!(acc.plain_text(), "你好", "the reply so far is kept");
    drop(stream);
    let written = server.await.unwrap();
    let (_, peak) = memory();
    let above_idle = peak.saturating_sub(idle);
    eprintln!(
        "endless SSE line: server wrote {} MB before the client hung up; peak RSS {} MB above idle",
        written >> 20,
        above_idle >> 20
    );
    assert!(
        above_idle < 100 << 20,
        "peak memory {} MB above idle",
        above_idle >> 20
    );
}

/// A client for the mock server with the key it accepts.
fn mock_client(server: &parley_mock_claude::MockServer) -> ClaudeClient {
    client(&server.base_url(), AuthStyle::XApiKey)
}

#[tokio::test]
async fn list_models_pages_with_after_id_and_sends_the_usual_headers() {
    let server = parley_mock_claude::MockServer::start().await.unwrap();
    let client = mock_client(&server);
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = client.list_models(2, after.as_deref()).await.unwrap();
        pages += 1;
        ids.extend(page.data.iter().map(|model| model.id.clone()));
        if !page.has_more {
            break;
        }
        after = page.last_id;
        assert!(pages < 10, "the mock lists five models");
    }
    assert_eq!(pages, 3, "five models, two per page");
    assert_eq!(ids, parley_mock_claude::MODELS.to_vec());

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let first = &requests[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(first.query.as_deref(), Some("limit=2"));
    assert_eq!(first.header("x-api-key"), Some(KEY));
    assert_eq!(first.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(first.header("accept"), Some("application/json"));
    assert_eq!(first.header("content-type"), None, "a GET has no body");
    assert!(first.body.is_empty());
    assert_eq!(
        requests[1].query.as_deref(),
        Some(format!("limit=2&after_id={}", parley_mock_claude::MODELS[1]).as_str())
    );
}

#[tokio::test]
async fn list_models_reads_the_limits_and_leaves_out_what_is_not_sent() {
    let server = parley_mock_claude::MockServer::start().await.unwrap();
    let mut known = parley_mock_claude::ModelInfo::new("claude-sonnet-4-5-20250929");
    known.max_tokens = Some(64_000);
    known.max_input_tokens = Some(1_000_000);
    server.set_models(vec![
        known,
        parley_mock_claude::ModelInfo::new("my-own model/v2"),
    ]);
    let page = mock_client(&server).list_models(100, None).await.unwrap();
    assert!(!page.has_more);
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.data[0].max_tokens, Some(64_000));
    assert_eq!(page.data[0].max_input_tokens, Some(1_000_000));
    assert_eq!(
        page.data[0].display_name.as_deref(),
        Some("Claude Sonnet 4.5")
    );
    assert_eq!(page.data[1].id, "my-own model/v2");
    assert_eq!(page.data[1].max_tokens, None, "the mock does not know it");
    assert_eq!(page.data[1].max_input_tokens, None);

    // An id with a space and a slash is a cursor, not a path or a second parameter.
    mock_client(&server)
        .list_models(1, Some("my-own model/v2"))
        .await
        .unwrap();
    let query = server.last_request().unwrap().query.unwrap();
    assert_eq!(query, "limit=1&after_id=my-own+model%2Fv2");
}

#[tokio::test]
async fn missing_routes_are_told_from_other_errors_in_both_styles() {
    use parley_mock_claude::NotFoundStyle;

    let server = parley_mock_claude::MockServer::start().await.unwrap();
    server.set_models_enabled(false);
    server.set_count_tokens_enabled(false);
    let client = mock_client(&server);

    let err = client.list_models(100, None).await.unwrap_err();
    assert_eq!((err.kind, err.status), (ApiErrorKind::NotFound, Some(404)));
    assert!(err.is_endpoint_missing(), "{}", err.message);
    assert!(
        err.request_id.is_some(),
        "the request id is kept for support"
    );
    let err = client.count_tokens(&request()).await.unwrap_err();
    assert_eq!(err.status, Some(404));
    assert!(err.is_endpoint_missing(), "{}", err.message);

    // The gateway answers HTTP 200 with the error inside: not a reply, and not a wrong request.
    server.set_not_found_style(NotFoundStyle::Gateway);
    let err = client.list_models(100, None).await.unwrap_err();
    assert_eq!(err.status, Some(404), "the wrapper's code is the status");
    assert!(err.is_endpoint_missing(), "{}", err.message);
    assert!(err.message.contains("Invalid URL"), "{}", err.message);
    let err = client.count_tokens(&request()).await.unwrap_err();
    assert_eq!(err.status, Some(404));
    assert!(err.is_endpoint_missing(), "{}", err.message);

    // A wrong key is not a missing route: remembering it so would hide the models for good.
    server.set_models_enabled(true);
    let wrong = client_with_key(&server.base_url(), parley_mock_claude::WRONG_KEY);
    let err = wrong.list_models(100, None).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Auth);
    assert!(!err.is_endpoint_missing());
}

fn client_with_key(base: &str, key: &str) -> ClaudeClient {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let config = ApiConfig {
        base_url: base.to_owned(),
        api_version: "2023-06-01".into(),
        auth_style: AuthStyle::XApiKey,
    };
    ClaudeClient::new(http, config, ApiKey::new(key))
}

#[tokio::test]
async fn a_wrapped_models_list_is_unwrapped_and_a_wrapped_error_code_is_an_error() {
    let list = r#"{"code":200,"data":{"data":[{"type":"model","id":"claude-a","max_tokens":8192}],"has_more":false,"last_id":"claude-a"}}"#;
    let (base, server) = serve_once(vec![response(
        "200 OK",
        &["content-type: application/json"],
        list,
    )])
    .await;
    let page = client(&base, AuthStyle::Bearer)
        .list_models(100, None)
        .await
        .unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].max_tokens, Some(8192));
    let received = server.await.unwrap();
    assert!(
        received.head.starts_with("GET /v1/models?limit=100 "),
        "{}",
        received.head
    );
    assert_eq!(
        received.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );

    for (body, missing) in [
        (r#"{"code":404,"msg":"not found","data":null}"#, true),
        (r#"{"code":400,"msg":"invalid path: /v1/models"}"#, true),
        (r#"{"code":400,"msg":"limit must be at most 50"}"#, false),
    ] {
        let (base, _server) = serve_once(vec![response(
            "200 OK",
            &["content-type: application/json"],
            body,
        )])
        .await;
        let err = client(&base, AuthStyle::XApiKey)
            .list_models(100, None)
            .await
            .unwrap_err();
        assert_eq!(
            err.is_endpoint_missing(),
            missing,
            "{body}: {}",
            err.message
        );
    }
}

#[tokio::test]
async fn a_page_that_is_not_a_models_list_is_a_bad_response() {
    let (base, _server) = serve_once(vec![response(
        "200 OK",
        &["content-type: text/html"],
        "<html><title>Welcome</title></html>",
    )])
    .await;
    let err = client(&base, AuthStyle::XApiKey)
        .list_models(100, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::BadResponse);
    assert!(!err.is_endpoint_missing());
}
