//! The tools benchmark (issue 11), each figure next to a floor measured in the same run:
//!
//! - **MCP server ready**: from `start_mcp_servers` (as the app calls it after its first paint,
//!   login-shell `PATH` included) to the test server listed as ready with its tools; the floor
//!   is the bare protocol: spawn the same binary, `initialize`, `notifications/initialized`,
//!   `tools/list` answered, written by hand over its stdio.
//! - **Parley's time per tool call**: a 20-round loop of an always-allowed `echo` against the
//!   mock Claude server; the gap between one request's arrival and the next, minus the floor
//!   for the same gap (a bare HTTP client replaying the very same request bodies, reading each
//!   stream to its end before sending the next) and minus the tool's own time (the same call
//!   made directly through `McpHost`). What is left is Parley's: parsing the end of the
//!   stream, storing the reply, the round, storing the results, building the next request.
//!
//! Prints a markdown table on stdout. Exits non-zero when a step fails, never because a goal is
//! missed.
//!
//!   cargo run --release -p parley-bench-tools -- [--reps N]

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_core::params::RequestParams;
use parley_core::tool_calls::Decision;
use parley_core::tools::{McpServerDraft, McpServerState, TransportDraft};
use parley_core::{
    ChatEvent, CollectingSink, Environment, ImagePlacement, Parley, SendRequest, Settings,
};
use parley_mock_claude::MockServer;
use parley_secrets::MemorySecretStore;
use parley_tools::{McpHost, ServerConfig, ServerState, Transport};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-ant-bench-tools";
const ROUNDS: usize = 20;
const WAIT: Duration = Duration::from_secs(60);

fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap();
    let binary = dir.join("parley-mcp-test-server");
    assert!(
        binary.exists(),
        "build it first: cargo build --release -p parley-mcp-test-server ({})",
        binary.display()
    );
    binary
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn parley_with_server(dir: &Path, base_url: &str) -> Parley {
    let secrets = Arc::new(MemorySecretStore::with_key_for(base_url, KEY).unwrap());
    let parley = Parley::open(dir, secrets, Environment::default())
        .await
        .unwrap();
    let mut settings = Settings::defaults(None);
    settings.base_url = base_url.to_owned();
    settings.title_model = None;
    parley.save_settings(settings).await.unwrap();
    parley
}

fn test_server_draft() -> McpServerDraft {
    McpServerDraft {
        id: None,
        name: "t".into(),
        transport: TransportDraft::Stdio {
            command: server_binary().to_string_lossy().into_owned(),
            args: vec![],
            env: vec![],
            cwd: None,
        },
        enabled: true,
    }
}

/// Start → ready through Parley, as the app does after its first paint (a fresh process each
/// time: the configuration is saved by one `Parley`, started by the next).
async fn parley_ready(base_url: &str) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    {
        let parley = parley_with_server(dir.path(), base_url).await;
        parley.save_mcp_server(test_server_draft()).await.unwrap();
        parley.shutdown_mcp_servers().await;
    }
    let secrets = Arc::new(MemorySecretStore::with_key_for(base_url, KEY).unwrap());
    let parley = Parley::open(dir.path(), secrets, Environment::default())
        .await
        .unwrap();
    let started = Instant::now();
    parley.start_mcp_servers().await.unwrap();
    loop {
        let servers = parley.list_mcp_servers().await.unwrap();
        if servers[0].state == McpServerState::Ready {
            let elapsed = started.elapsed();
            parley.shutdown_mcp_servers().await;
            return ms(elapsed);
        }
        assert!(started.elapsed() < WAIT, "the server never became ready");
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// The floor: the MCP handshake and `tools/list`, by hand over the child's stdio.
async fn bare_ready() -> f64 {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(server_binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}"#;
    stdin
        .write_all(format!("{initialize}\n").as_bytes())
        .await
        .unwrap();
    wait_for_id(&mut lines, 1).await;
    stdin
        .write_all(
            b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n",
        )
        .await
        .unwrap();
    let listed = wait_for_id(&mut lines, 2).await;
    assert!(listed.contains("\"echo\""), "{listed}");
    let elapsed = started.elapsed();
    drop(stdin);
    let _ = child.kill().await;
    ms(elapsed)
}

async fn wait_for_id(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    id: u32,
) -> String {
    let needle = format!("\"id\":{id}");
    loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the server answers");
        if line.contains(&needle) {
            return line;
        }
    }
}

fn arrival_gaps(server: &MockServer) -> Vec<f64> {
    let arrivals: Vec<Instant> = server
        .message_requests()
        .iter()
        .map(|r| r.received_at)
        .collect();
    arrivals
        .windows(2)
        .map(|pair| ms(pair[1] - pair[0]))
        .collect()
}

/// A loop of `ROUNDS` always-allowed `echo` calls; returns the gaps between requests and the
/// request bodies and headers Parley sent.
async fn parley_loop() -> (Vec<f64>, Vec<parley_mock_claude::RecordedRequest>) {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_with_server(dir.path(), &server.base_url()).await;
    parley.save_mcp_server(test_server_draft()).await.unwrap();
    let request = |text: &str| SendRequest {
        conversation_id: None,
        text: text.into(),
        model: "claude-haiku-4-5-20251001".into(),
        system_prompt: None,
        images: Vec::new(),
        image_placement: ImagePlacement::BeforeText,
        params: Some(RequestParams::default()),
        prefill: None,
    };
    // Allow echo for good, in a first exchange.
    let sink = CollectingSink::default();
    parley
        .send_message(
            request(r#"[[tool:t__echo:{"text":"warm"}]]"#),
            Arc::new(sink.clone()),
        )
        .await
        .unwrap();
    let (reply_id, call_id) = wait_event(&sink, |event| match event {
        ChatEvent::ToolCalls {
            message_id,
            calls,
            awaiting: true,
            ..
        } => Some((message_id.clone(), calls[0].id.clone())),
        _ => None,
    })
    .await;
    parley
        .decide_tool_call(&reply_id, &call_id, Decision::AlwaysAllow)
        .await
        .unwrap();
    wait_final(&sink).await;

    server.clear_requests();
    let sink = CollectingSink::default();
    parley
        .send_message(
            request(&format!(
                r#"[[tool-rounds:{ROUNDS}:t__echo:{{"text":"x"}}]]"#
            )),
            Arc::new(sink.clone()),
        )
        .await
        .unwrap();
    wait_final(&sink).await;
    let recorded = server.message_requests();
    assert_eq!(
        recorded.len(),
        ROUNDS + 1,
        "one request per round and the last"
    );
    parley.shutdown_mcp_servers().await;
    (arrival_gaps(&server), recorded)
}

async fn wait_event<T>(sink: &CollectingSink, mut pick: impl FnMut(&ChatEvent) -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = sink.events().iter().find_map(&mut pick) {
            return found;
        }
        assert!(started.elapsed() < WAIT, "an event never came");
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

async fn wait_final(sink: &CollectingSink) {
    wait_event(sink, |event| match event {
        ChatEvent::Finished { message, .. }
            if message.stop_reason.as_deref() != Some("tool_use") =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
}

/// The floor for the same gaps: the same bodies sent by a bare client, each stream read to its
/// end before the next request.
async fn replay_gaps(recorded: &[parley_mock_claude::RecordedRequest]) -> Vec<f64> {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    for request in recorded {
        let mut builder = client.post(server.url("/v1/messages"));
        for (name, value) in &request.headers {
            if !matches!(name.as_str(), "host" | "content-length" | "accept-encoding") {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        let response = builder.body(request.body.clone()).send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let _ = response.bytes().await.unwrap();
    }
    arrival_gaps(&server)
}

/// The tool's own time: `echo` called directly through the host, `n` times.
async fn tool_time(n: usize) -> f64 {
    let host = McpHost::new(parley_tools::HostOptions::default());
    host.add(ServerConfig {
        id: "t".into(),
        name: "t".into(),
        transport: Transport::Stdio {
            command: server_binary().to_string_lossy().into_owned(),
            args: vec![],
            env: Default::default(),
            cwd: None,
        },
        enabled: true,
    })
    .await;
    let mut state = host.with_server("t", |s| s.subscribe()).await.unwrap();
    state
        .wait_for(|state| matches!(state, ServerState::Ready { .. }))
        .await
        .unwrap();
    let mut times = Vec::new();
    for _ in 0..n {
        let started = Instant::now();
        let outcome = host
            .call(
                "t__echo",
                serde_json::json!({"text": "x"}),
                Duration::from_secs(10),
                CancellationToken::new(),
            )
            .await;
        assert!(!outcome.is_error, "{outcome:?}");
        times.push(ms(started.elapsed()));
    }
    host.shutdown().await;
    median(times)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let reps: usize = std::env::args()
        .skip_while(|arg| arg != "--reps")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let mock = MockServer::start().await.unwrap();

    let mut ours = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..reps {
        // Alternating, so a busy moment slows both alike.
        ours.push(parley_ready(&mock.base_url()).await);
        floor.push(bare_ready().await);
    }
    // The first start of an app run also asks the login shell for its PATH (cached after).
    let shell_started = Instant::now();
    let shell = std::env::var_os("SHELL").map(PathBuf::from);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let path = std::env::var("PATH").ok();
    parley_tools::resolve_child_path(
        shell.as_deref(),
        home.as_deref(),
        path.as_deref(),
        parley_tools::shell_path::SHELL_TIMEOUT,
    );
    let shell_path_ms = ms(shell_started.elapsed());
    let ready_ours = median(ours);
    let ready_first = ready_ours + shell_path_ms;
    let ready_floor = median(floor);

    let mut overheads = Vec::new();
    let mut gaps_ours = Vec::new();
    let mut gaps_floor = Vec::new();
    let mut tool_times = Vec::new();
    for _ in 0..reps.div_ceil(2) {
        let (gaps, recorded) = parley_loop().await;
        let floor = replay_gaps(&recorded).await;
        let tool = tool_time(ROUNDS).await;
        // The first ROUNDS gaps follow a tool_use reply; compare gap by gap.
        let ours = median(gaps);
        let bare = median(floor);
        overheads.push(ours - bare - tool);
        gaps_ours.push(ours);
        gaps_floor.push(bare);
        tool_times.push(tool);
    }
    let overhead = median(overheads);

    println!("| tools (issue 11) | Parley | floor, same run | ratio | goal |");
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| MCP test server: start → ready with its tools (median of {reps}) | {ready_ours:.1} ms | {ready_floor:.1} ms (bare handshake + tools/list) | {:.2}× | < 1000 ms |",
        ready_ours / ready_floor
    );
    println!(
        "| the same, first start of an app run (+ {shell_path_ms:.1} ms asking the login shell for its `PATH`) | {ready_first:.1} ms | | {:.2}× | < 1000 ms |",
        ready_first / ready_floor
    );
    println!(
        "| gap between requests in a tool loop, always-allowed `echo` ({ROUNDS} rounds) | {:.1} ms | {:.1} ms (bare client, same bodies) + {:.2} ms (the call itself) | {:.2}× | |",
        median(gaps_ours.clone()),
        median(gaps_floor.clone()),
        median(tool_times.clone()),
        median(gaps_ours) / (median(gaps_floor) + median(tool_times))
    );
    println!(
        "| Parley's own time per tool call (gap − floor − call) | {overhead:.1} ms | | | < 50 ms |"
    );
}
