//! parley-tools against the real test server (`tests/mcp-test-server`), over stdio and HTTP.

// Test helpers outside `#[test]` functions panic on purpose when the setup is broken.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use parley_tools::{
    Backoff, HostOptions, McpHost, McpServer, ServerConfig, ServerState, ToolContent, Transport,
    resolve_child_path,
};
use tokio_util::sync::CancellationToken;

const SETTLE: Duration = Duration::from_secs(20);
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

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

fn stdio_config(id: &str, args: &[&str]) -> ServerConfig {
    ServerConfig {
        id: id.into(),
        name: "test".into(),
        transport: Transport::Stdio {
            command: server_binary().to_string_lossy().into_owned(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            env: BTreeMap::new(),
            cwd: None,
        },
        enabled: true,
    }
}

fn fast_backoff() -> HostOptions {
    HostOptions {
        child_path: None,
        backoff: Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
            healthy_after: Duration::from_secs(60),
        },
        http_client: None,
    }
}

async fn ready_host(config: ServerConfig) -> McpHost {
    let host = McpHost::new(fast_backoff());
    let id = config.id.clone();
    host.add(config).await;
    let state = host
        .with_server(&id, |server| server.subscribe())
        .await
        .unwrap()
        .wait_for(|state| !matches!(state, ServerState::Starting))
        .await
        .unwrap()
        .clone();
    assert!(
        matches!(state, ServerState::Ready { .. }),
        "the test server starts: {state:?}"
    );
    host
}

async fn call(
    host: &McpHost,
    name: &str,
    arguments: serde_json::Value,
) -> parley_tools::ToolOutcome {
    host.call(name, arguments, CALL_TIMEOUT, CancellationToken::new())
        .await
}

async fn exercise_basic_tools(host: &McpHost) {
    let tools = host.tools().await;
    let names: Vec<&str> = tools.iter().map(|tool| tool.api_name.as_str()).collect();
    for expected in [
        "test__echo",
        "test__add",
        "test__sleep",
        "test__fail",
        "test__image",
        "test__crash",
    ] {
        assert!(names.contains(&expected), "{expected} listed in {names:?}");
    }
    let echo = tools.iter().find(|tool| tool.tool_name == "echo").unwrap();
    assert_eq!(
        echo.input_schema["properties"]["text"]["type"], "string",
        "the schema as given"
    );
    assert!(!echo.fingerprint.is_empty());

    let outcome = call(host, "test__echo", serde_json::json!({"text": "hello"})).await;
    assert_eq!(outcome.text(), "hello");
    assert!(!outcome.is_error);
    assert_eq!(
        call(host, "test__add", serde_json::json!({"a": 2, "b": 40}))
            .await
            .text(),
        "42"
    );
    let image = call(host, "test__image", serde_json::Value::Null).await;
    assert_eq!(
        image.content,
        vec![ToolContent::Image {
            media_type: "image/png".into(),
            data_base64: parley_mcp_test_server::TINY_PNG_BASE64.into(),
        }]
    );
    let failed = call(host, "test__fail", serde_json::json!({"message": "nope"})).await;
    assert!(failed.is_error, "an isError result stays an error");
    assert_eq!(failed.text(), "nope");
    let unknown = call(host, "test__missing", serde_json::json!({})).await;
    assert!(unknown.is_error);
}

#[tokio::test]
async fn stdio_server_lists_and_calls_tools_and_keeps_its_stderr() {
    let host = ready_host(stdio_config("s1", &[])).await;
    exercise_basic_tools(&host).await;
    let tail = host
        .with_server("s1", McpServer::stderr_tail)
        .await
        .unwrap();
    assert!(
        tail.iter()
            .any(|line| line == parley_mcp_test_server::READY_LINE),
        "stderr is captured: {tail:?}"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn http_server_lists_and_calls_tools() {
    let dir = tempfile::tempdir().unwrap();
    let addr_file = dir.path().join("addr");
    let mut server = tokio::process::Command::new(server_binary())
        .args(["--http", "--port", "0", "--addr-file"])
        .arg(&addr_file)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + SETTLE;
    while !addr_file.exists() {
        assert!(
            Instant::now() < deadline,
            "the HTTP server wrote its address"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let addr = std::fs::read_to_string(&addr_file).unwrap();
    let config = ServerConfig {
        id: "h1".into(),
        name: "test".into(),
        transport: Transport::Http {
            url: format!("http://{addr}/mcp"),
            headers: BTreeMap::from([("X-Parley-Test".into(), "1".into())]),
        },
        enabled: true,
    };
    let host = ready_host(config).await;
    exercise_basic_tools(&host).await;
    let started = Instant::now();
    let timed_out = host
        .call(
            "test__sleep",
            serde_json::json!({"ms": 5000}),
            Duration::from_millis(300),
            CancellationToken::new(),
        )
        .await;
    assert!(
        timed_out.is_error && timed_out.text().contains("did not answer"),
        "{timed_out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    host.shutdown().await;
    server.kill().await.unwrap();
}

#[tokio::test]
async fn a_slow_call_times_out_as_an_error_and_a_cancel_ends_it_early() {
    let host = ready_host(stdio_config("s2", &[])).await;
    let started = Instant::now();
    let outcome = host
        .call(
            "test__sleep",
            serde_json::json!({"ms": 10_000}),
            Duration::from_millis(300),
            CancellationToken::new(),
        )
        .await;
    assert!(outcome.is_error);
    assert!(
        outcome.text().contains("did not answer within 300 ms"),
        "{}",
        outcome.text()
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout ends the wait"
    );

    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let started = Instant::now();
    let outcome = host
        .call(
            "test__sleep",
            serde_json::json!({"ms": 10_000}),
            CALL_TIMEOUT,
            cancel,
        )
        .await;
    assert!(
        outcome.is_error && outcome.text().contains("cancelled"),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cancel ends the call early"
    );

    // The server hears about it: rmcp sends notifications/cancelled, the test server logs it.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let tail = host
            .with_server("s2", McpServer::stderr_tail)
            .await
            .unwrap();
        if tail
            .iter()
            .filter(|line| *line == "sleep cancelled")
            .count()
            >= 2
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server saw both cancellations: {tail:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    host.shutdown().await;
}

#[tokio::test]
async fn parallel_calls_all_answer() {
    let host = ready_host(stdio_config("s3", &[])).await;
    let started = Instant::now();
    let calls = (0..5)
        .map(|index| {
            let host = &host;
            Box::pin(async move {
                let outcome = call(host, "test__sleep", serde_json::json!({"ms": 500})).await;
                (index, outcome)
            })
        })
        .collect();
    let outcomes = join_boxed(calls).await;
    assert_eq!(outcomes.len(), 5);
    assert!(
        outcomes
            .iter()
            .all(|(_, outcome)| outcome.text() == "slept")
    );
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "the calls overlapped"
    );
    host.shutdown().await;
}

/// Polls the futures together (no `futures` dependency for one join).
async fn join_boxed<F: std::future::Future + Unpin>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Option<F>> = futures.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut all_done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match std::pin::Pin::new(future).poll(context) {
                    std::task::Poll::Ready(output) => {
                        *result = Some(output);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

#[tokio::test]
async fn a_crash_mid_call_is_an_error_and_the_server_comes_back() {
    let host = ready_host(stdio_config("s4", &[])).await;
    let first_pid = host
        .with_server("s4", McpServer::process_id)
        .await
        .flatten()
        .unwrap();
    let mut states = host.with_server("s4", McpServer::subscribe).await.unwrap();
    let outcome = call(&host, "test__crash", serde_json::Value::Null).await;
    assert!(outcome.is_error, "a crash is an error result: {outcome:?}");
    assert!(
        outcome.text().contains("stopped during the call"),
        "{}",
        outcome.text()
    );

    let failed = states
        .wait_for(|state| matches!(state, ServerState::Failed { .. }))
        .await
        .unwrap()
        .clone();
    if let ServerState::Failed { stderr_tail, .. } = failed {
        assert!(
            stderr_tail.iter().any(|line| line == "crashing on purpose"),
            "{stderr_tail:?}"
        );
    }
    let ready = tokio::time::timeout(
        SETTLE,
        states.wait_for(|state| matches!(state, ServerState::Ready { .. })),
    )
    .await;
    assert!(ready.is_ok(), "restarted after the backoff");
    let second_pid = host
        .with_server("s4", McpServer::process_id)
        .await
        .flatten()
        .unwrap();
    assert_ne!(first_pid, second_pid, "a new process");
    assert_eq!(
        call(&host, "test__echo", serde_json::json!({"text": "back"}))
            .await
            .text(),
        "back"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn restart_button_starts_a_new_process() {
    let host = ready_host(stdio_config("s5", &[])).await;
    let first_pid = host
        .with_server("s5", McpServer::process_id)
        .await
        .flatten()
        .unwrap();
    let mut states = host.with_server("s5", McpServer::subscribe).await.unwrap();
    states.mark_unchanged();
    host.with_server("s5", McpServer::restart).await.unwrap();
    let deadline = Instant::now() + SETTLE;
    loop {
        let pid = host
            .with_server("s5", McpServer::process_id)
            .await
            .flatten();
        let ready = matches!(
            host.with_server("s5", McpServer::state).await,
            Some(ServerState::Ready { .. })
        );
        if ready && pid.is_some_and(|pid| pid != first_pid) {
            break;
        }
        assert!(Instant::now() < deadline, "restarted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !Path::new(&format!("/proc/{first_pid}")).exists(),
        "the old process is gone"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn schema_change_is_seen_and_changes_the_fingerprint() {
    let host = ready_host(stdio_config("s6", &[])).await;
    let before = host
        .tools()
        .await
        .into_iter()
        .find(|tool| tool.tool_name == "echo")
        .unwrap();
    let mut states = host.with_server("s6", McpServer::subscribe).await.unwrap();
    states.mark_unchanged();
    assert_eq!(
        call(&host, "test__bump_schema", serde_json::Value::Null)
            .await
            .text(),
        "schema version 1"
    );
    tokio::time::timeout(SETTLE, states.changed())
        .await
        .unwrap()
        .unwrap();
    let after = host
        .tools()
        .await
        .into_iter()
        .find(|tool| tool.tool_name == "echo")
        .unwrap();
    assert_eq!(
        after.description.as_deref(),
        Some(parley_mcp_test_server::TestServer::echo_description(1).as_str())
    );
    assert!(after.input_schema["properties"].get("uppercase").is_some());
    assert_ne!(
        before.fingerprint, after.fingerprint,
        "always-allow asks again after a change"
    );
    assert_eq!(before.api_name, after.api_name);
    host.shutdown().await;
}

#[tokio::test]
async fn disabled_and_unstartable_servers_say_so() {
    let mut disabled = stdio_config("d", &[]);
    disabled.enabled = false;
    let server = McpServer::start(disabled, fast_backoff());
    assert_eq!(server.state(), ServerState::Disabled);
    server.stop().await;

    let mut missing = stdio_config("m", &[]);
    missing.transport = Transport::Stdio {
        command: "parley-no-such-command".into(),
        args: vec![],
        env: BTreeMap::new(),
        cwd: None,
    };
    let server = McpServer::start(missing, fast_backoff());
    match server.wait_settled(SETTLE).await {
        ServerState::Failed { error, .. } => {
            assert!(error.contains("parley-no-such-command"), "{error}")
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    server.stop().await;
}

/// Processes whose process group is `pgid`, read from /proc.
fn group_members(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the ")" that ends the command name: state, ppid, pgrp, ...
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2).and_then(|pgrp| pgrp.parse::<u32>().ok()) == Some(pgid) {
            members.push(pid);
        }
    }
    members
}

#[tokio::test]
async fn twenty_start_stop_cycles_leave_no_processes() {
    // A shell that starts a grandchild in the same group, as `npx` starts `node`.
    let dir = tempfile::tempdir().unwrap();
    let wrapper = dir.path().join("wrapper.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nsleep 600 &\nexec '{}' \"$@\"\n",
            server_binary().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    for cycle in 0..20 {
        let mut config = stdio_config("cycle", &[]);
        config.transport = Transport::Stdio {
            command: wrapper.to_string_lossy().into_owned(),
            args: vec![],
            env: BTreeMap::new(),
            cwd: None,
        };
        let server = McpServer::start(config, fast_backoff());
        assert!(
            matches!(server.wait_settled(SETTLE).await, ServerState::Ready { .. }),
            "cycle {cycle}"
        );
        let pid = server.process_id().unwrap();
        assert!(
            group_members(pid).len() >= 2,
            "the server and its sleep share a group"
        );
        if cycle % 2 == 0 {
            server.stop().await;
        } else {
            // Dropping without stop() must clean up too.
            drop(server);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let members = group_members(pid);
            if members.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "cycle {cycle}: group {pid} still has {members:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn a_server_in_local_bin_is_found_with_a_bare_process_path() {
    let home = tempfile::tempdir().unwrap();
    let local_bin = home.path().join(".local/bin");
    std::fs::create_dir_all(&local_bin).unwrap();
    let installed = local_bin.join("parley-test-mcp");
    std::fs::write(
        &installed,
        format!("#!/bin/sh\nexec '{}' \"$@\"\n", server_binary().display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &installed,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    // As from a desktop launcher: the process PATH is bare and the shell adds nothing.
    let child_path = resolve_child_path(
        Some(Path::new("/bin/sh")),
        Some(home.path()),
        Some("/usr/bin:/bin"),
        Duration::from_secs(3),
    );
    let mut config = stdio_config("p", &[]);
    config.transport = Transport::Stdio {
        command: "parley-test-mcp".into(),
        args: vec![],
        env: BTreeMap::new(),
        cwd: None,
    };
    let options = HostOptions {
        child_path,
        ..fast_backoff()
    };
    let server = McpServer::start(config, options);
    let state = server.wait_settled(SETTLE).await;
    assert!(
        matches!(state, ServerState::Ready { .. }),
        "found through ~/.local/bin: {state:?}"
    );
    server.stop().await;
}
