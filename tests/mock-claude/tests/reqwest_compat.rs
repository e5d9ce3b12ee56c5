//! The mock's hand-written HTTP is accepted by the HTTP stack Parley's client uses (reqwest on
//! hyper), in every framing, and its failure modes look to that stack as they should.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use parley_mock_claude::{MockServer, magic};
use serde_json::Value;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn post(server: &MockServer, framing: &str, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(server.url("/v1/messages"))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("x-mock-framing", framing)
        .json(body)
}

/// Reads the body chunk by chunk, as a streaming client does; `Err` if the transport failed.
async fn read_all(mut resp: reqwest::Response) -> (Vec<u8>, Result<(), reqwest::Error>) {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return (body, Ok(())),
            Err(err) => return (body, Err(err)),
        }
    }
}

#[tokio::test]
async fn reqwest_reads_streams_in_both_framings() {
    let server = MockServer::start().await.unwrap();
    for framing in ["chunked", "close"] {
        let resp = post(&server, framing, &messages_body("über 🦀", true))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers().get("request-id").is_some());
        let (body, result) = read_all(resp).await;
        assert!(result.is_ok(), "{framing}: a complete stream reads cleanly");
        let events = parse_sse(&body);
        assert_eq!(streamed_text(&events), "Echo: über 🦀", "{framing}");
        assert_eq!(events.last().unwrap().event, "message_stop", "{framing}");
    }
}

#[tokio::test]
async fn reqwest_sees_drops_as_eof_or_transport_error() {
    let server = MockServer::start().await.unwrap();
    let body = messages_body("[[drop]]", true);

    let resp = post(&server, "close", &body).send().await.unwrap();
    let (bytes, result) = read_all(resp).await;
    assert!(result.is_ok(), "close-delimited: the drop is a clean EOF");
    let events = parse_sse(&bytes);
    assert_eq!(streamed_text(&events), magic::DROP_TEXT);
    assert!(!events.iter().any(|e| e.event == "message_stop"));

    let resp = post(&server, "chunked", &body).send().await.unwrap();
    let (_, result) = read_all(resp).await;
    assert!(
        result.is_err(),
        "chunked: the unterminated body is a transport error"
    );
}

#[tokio::test]
async fn reqwest_reads_json_and_errors() {
    let server = MockServer::start().await.unwrap();
    let message: Value = post(&server, "close", &messages_body("json please", false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(message["content"][0]["text"], "Echo: json please");

    let resp = post(&server, "close", &messages_body("[[http:529]]", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 529);
    assert_eq!(resp.headers()["retry-after"], "0");
    let error: Value = resp.json().await.unwrap();
    assert_eq!(error["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn dropping_a_reqwest_response_closes_the_server_side() {
    let server = MockServer::start().await.unwrap();
    let mut resp = post(&server, "chunked", &messages_body("[[slow]]", true))
        .send()
        .await
        .unwrap();
    let first = resp.chunk().await.unwrap();
    assert!(first.is_some());
    assert_eq!(server.active_connections(), 1);
    drop(resp);
    assert!(
        server.wait_for_disconnect(Duration::from_secs(2)).await,
        "cancelling the client's stream ends the server's connection"
    );
}
