//! A few HTTP-level checks against a tiny raw TCP server on 127.0.0.1; the full mock API and the
//! big integration tests live in `tests/mock-claude`.

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
        let body = serde_json::from_slice(&buf[head_end..head_end + length]).unwrap();
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
