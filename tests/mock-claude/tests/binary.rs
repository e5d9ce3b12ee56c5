//! The `parley-mock-claude` binary: starts, announces its URL, serves, dies when killed.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;

/// Kills the child even when an assertion fails, so no server outlives the test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_announces_its_url_and_serves() {
    let dir = std::env::temp_dir().join(format!("parley-mock-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let addr_file = dir.join("addr");
    let _ = std::fs::remove_file(&addr_file);

    let child = Command::new(env!("CARGO_BIN_EXE_parley-mock-claude"))
        .args(["--port", "0", "--quiet", "--addr-file"])
        .arg(&addr_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let written = std::fs::read_to_string(&addr_file).unwrap();
    assert_eq!(written.trim(), url, "the addr file holds the base URL");

    let addr = url.trim_start_matches("http://").parse().unwrap();
    let resp = say(addr, "from the binary").await;
    assert_eq!(resp.status, 200);
    assert_eq!(streamed_text(&resp.events()), "Echo: from the binary");

    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts the binary with `args` (and `--port 0 --quiet`) and returns it with its address.
async fn spawn(args: &[&str]) -> (KillOnDrop, std::net::SocketAddr) {
    let child = Command::new(env!("CARGO_BIN_EXE_parley-mock-claude"))
        .args(["--port", "0", "--quiet"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line.trim().strip_prefix("listening on http://").unwrap();
    (child, url.parse().unwrap())
}

async fn get(addr: std::net::SocketAddr, path: &str) -> Response {
    let req = build_request(
        "GET",
        path,
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        b"",
    );
    send_raw(addr, &req).await
}

#[tokio::test]
async fn binary_flags_switch_off_what_a_gateway_lacks() {
    let (_child, addr) = spawn(&[
        "--no-count-tokens",
        "--no-models",
        "--gateway-not-found",
        "--reject-cache-control",
    ])
    .await;
    let resp = get(addr, "/v1/models").await;
    assert_eq!(
        resp.status, 200,
        "the gateway answers 200 with an error inside"
    );
    assert_eq!(resp.json()["code"], 404);
    let mut body = messages_body("count", false);
    body.as_object_mut().unwrap().remove("max_tokens");
    let resp = post_json(addr, "/v1/messages/count_tokens", &[], &body).await;
    assert_eq!(resp.json()["code"], 404);

    let mut body = messages_body("", false);
    body["messages"][0]["content"] =
        serde_json::json!([{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]);
    let resp = post_messages(addr, &body).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.api_error().1,
        "messages.0.content.0.cache_control: Extra inputs are not permitted"
    );

    let (_child, addr) = spawn(&["--no-models"]).await;
    let resp = get(addr, "/v1/models").await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.api_error().0, "not_found_error");
}

#[test]
fn binary_rejects_unknown_arguments() {
    let status = Command::new(env!("CARGO_BIN_EXE_parley-mock-claude"))
        .arg("--bogus")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}
