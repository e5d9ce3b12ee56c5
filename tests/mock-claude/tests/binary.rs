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

#[test]
fn binary_rejects_unknown_arguments() {
    let status = Command::new(env!("CARGO_BIN_EXE_parley-mock-claude"))
        .arg("--bogus")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}
