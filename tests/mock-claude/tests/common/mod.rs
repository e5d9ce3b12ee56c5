//! A minimal raw HTTP/1.1 client and SSE parser, written independently of the server code so
//! the tests check the bytes on the wire rather than the server's own idea of them.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const KEY: &str = "sk-test-key";

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// For a chunked body: whether the terminating zero-length chunk arrived.
    pub chunked_complete: Option<bool>,
    /// The undecoded body bytes, as they came off the socket.
    pub raw_body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn events(&self) -> Vec<SseEvent> {
        parse_sse(&self.body)
    }

    /// Asserts the API's error shape and returns (error type, message).
    pub fn api_error(&self) -> (String, String) {
        let body = self.json();
        assert_eq!(
            body["type"], "error",
            "error bodies have type=error: {body}"
        );
        let rid = self.header("request-id").expect("request-id header");
        assert_eq!(
            body["request_id"], rid,
            "the body's request_id matches the header"
        );
        (
            body["error"]["type"].as_str().unwrap().to_string(),
            body["error"]["message"].as_str().unwrap().to_string(),
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {:?}", self.data))
    }
}

/// SSE parsing per the HTML spec: `\r\n`, `\n` or `\r` end lines; `:` starts a comment;
/// one optional space after the field colon; `data` lines join with `\n`.
pub fn parse_sse(bytes: &[u8]) -> Vec<SseEvent> {
    let text = std::str::from_utf8(bytes).expect("the stream is valid UTF-8 once reassembled");
    let mut events = Vec::new();
    let mut event = String::new();
    let mut data: Vec<String> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        let line = &rest[..end];
        let mut next = end;
        if rest[end..].starts_with("\r\n") {
            next += 2;
        } else if end < rest.len() {
            next += 1;
        }
        rest = &rest[next..];
        if line.is_empty() {
            if !data.is_empty() {
                events.push(SseEvent {
                    event: if event.is_empty() {
                        "message".into()
                    } else {
                        event.clone()
                    },
                    data: data.join("\n"),
                });
            }
            event.clear();
            data.clear();
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event = value.to_string(),
            "data" => data.push(value.to_string()),
            _ => {}
        }
    }
    events
}

/// Comment lines (`: ...`) in a stream, for checking keep-alives are sent.
pub fn count_comments(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes)
        .split(['\r', '\n'])
        .filter(|l| l.starts_with(':'))
        .count()
}

pub fn build_request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends raw bytes and reads the response until the server closes the connection.
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send request");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .expect("the server closes the connection after the response")
        .expect("read");
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Response {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..head_end]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let raw_body = raw[head_end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let (body, chunked_complete) = if chunked {
        let (b, complete) = dechunk(&raw_body);
        (b, Some(complete))
    } else {
        (raw_body.clone(), None)
    };
    Response {
        status,
        headers,
        body,
        chunked_complete,
        raw_body,
    }
}

/// Decodes a chunked body; tolerates a missing end (reported as `false`).
pub fn dechunk(mut raw: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return (body, false);
        };
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16)
            .expect("chunk size");
        raw = &raw[eol + 2..];
        if size == 0 {
            return (body, true);
        }
        if raw.len() < size + 2 {
            body.extend_from_slice(&raw[..raw.len().min(size)]);
            return (body, false);
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

pub fn messages_body(text: &str, stream: bool) -> Value {
    json!({
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 1024,
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    })
}

pub async fn post_json(
    addr: SocketAddr,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &Value,
) -> Response {
    let mut headers = vec![
        ("x-api-key", KEY),
        ("anthropic-version", "2023-06-01"),
        ("content-type", "application/json"),
    ];
    headers.extend_from_slice(extra_headers);
    let body = serde_json::to_vec(body).unwrap();
    send_raw(addr, &build_request("POST", path, &headers, &body)).await
}

pub async fn post_messages(addr: SocketAddr, body: &Value) -> Response {
    post_json(addr, "/v1/messages", &[], body).await
}

pub async fn say(addr: SocketAddr, text: &str) -> Response {
    post_messages(addr, &messages_body(text, true)).await
}

/// The concatenated `text_delta`s of a stream.
pub fn streamed_text(events: &[SseEvent]) -> String {
    events
        .iter()
        .filter(|e| e.event == "content_block_delta")
        .map(|e| e.json())
        .filter(|d| d["delta"]["type"] == "text_delta")
        .map(|d| d["delta"]["text"].as_str().unwrap().to_string())
        .collect()
}

/// Event names without pings.
pub fn event_names(events: &[SseEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event != "ping")
        .map(|e| e.event.clone())
        .collect()
}

/// The message a `/v1/messages` response carries, streamed or not. A stream is rebuilt from its
/// events the way a client does: text and thinking deltas joined, the signature kept, the
/// `input_json_delta`s of a `tool_use` parsed at its block stop, the stop reason taken from
/// `message_delta`.
pub fn message_of(resp: &Response) -> Value {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let streamed = resp
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if !streamed {
        return resp.json();
    }
    let mut message = Value::Null;
    let mut partial_json: Vec<String> = Vec::new();
    for event in resp.events() {
        let data = event.json();
        let index = data["index"].as_u64().unwrap_or(0) as usize;
        match event.event.as_str() {
            "message_start" => message = data["message"].clone(),
            "content_block_start" => {
                assert_eq!(index, partial_json.len(), "blocks start in order");
                message["content"]
                    .as_array_mut()
                    .unwrap()
                    .push(data["content_block"].clone());
                partial_json.push(String::new());
            }
            "content_block_delta" => {
                let block = &mut message["content"][index];
                let delta = &data["delta"];
                let append = |block: &mut Value, key: &str, piece: &Value| {
                    let joined = format!(
                        "{}{}",
                        block[key].as_str().unwrap_or_default(),
                        piece.as_str().unwrap()
                    );
                    block[key] = json!(joined);
                };
                match delta["type"].as_str().unwrap() {
                    "text_delta" => append(block, "text", &delta["text"]),
                    "thinking_delta" => append(block, "thinking", &delta["thinking"]),
                    "signature_delta" => block["signature"] = delta["signature"].clone(),
                    "input_json_delta" => {
                        partial_json[index].push_str(delta["partial_json"].as_str().unwrap());
                    }
                    other => panic!("unexpected delta type {other}"),
                }
            }
            "content_block_stop"
                if message["content"][index]["type"] == "tool_use"
                    && !partial_json[index].is_empty() =>
            {
                message["content"][index]["input"] =
                    serde_json::from_str(&partial_json[index]).unwrap();
            }
            "message_delta" => {
                message["stop_reason"] = data["delta"]["stop_reason"].clone();
                message["stop_sequence"] = data["delta"]["stop_sequence"].clone();
            }
            _ => {}
        }
    }
    message
}
