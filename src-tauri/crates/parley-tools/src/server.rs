//! One supervised MCP server: connect (spawn or HTTP), list tools, watch, restart with backoff.
//!
//! A supervisor task owns the connection. It publishes the [`ServerState`] on a watch channel and
//! the live `Peer` for calls. A stdio server runs in its own process group, which is killed when
//! the connection ends for any reason (see `process.rs`).

use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rmcp::model::{ClientRequest, PingRequest, Tool};
use rmcp::service::{NotificationContext, Peer, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ServiceExt};
use serde::Serialize;
use tokio::io::AsyncBufReadExt as _;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::config::{ServerConfig, Transport};
use crate::process::GroupGuard;
use crate::stderr_ring::StderrRing;

/// How long a server may take from spawn to its tool list.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a running server is pinged, and how long it may take to answer: a server that
/// hangs (alive but deaf) is restarted like one that died.
const HEALTH_EVERY: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// A tool as its server describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct McpTool {
    pub name: String,
    pub description: Option<String>,
    pub input_schema: serde_json::Value,
}

/// What the UI shows for a server.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ServerState {
    Starting,
    Ready {
        tools: Vec<McpTool>,
    },
    /// `stderr_tail` is the last stderr lines when it failed (empty for HTTP servers).
    #[serde(rename_all = "camelCase")]
    Failed {
        error: String,
        stderr_tail: Vec<String>,
    },
    Disabled,
}

/// Restart delays: `initial`, doubled after each failure up to `max`; back to `initial` once a
/// server has stayed up for `healthy_after`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub healthy_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            healthy_after: Duration::from_secs(60),
        }
    }
}

/// What every server of one host shares: the child `PATH` and the backoff.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// Given to stdio children as `PATH` (unless their `env` sets one); usually
    /// [`crate::login_shell_path`]. `None` leaves the inherited `PATH`.
    pub child_path: Option<String>,
    pub backoff: Backoff,
    /// The HTTP client for streamable HTTP servers (the app's proxy setting); `None`: rmcp's
    /// default client.
    pub http_client: Option<reqwest::Client>,
}

struct Shared {
    state: watch::Sender<ServerState>,
    stderr: Mutex<StderrRing>,
    peer: Mutex<Option<Peer<RoleClient>>>,
    pid: Mutex<Option<u32>>,
    restart: Notify,
    shutdown: CancellationToken,
}

/// A running (or failed, or disabled) server. Dropping it stops the server and kills its
/// process group.
pub struct McpServer {
    config: ServerConfig,
    shared: Arc<Shared>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl McpServer {
    /// Starts supervising `config` (a disabled config stays `Disabled`). Needs a Tokio runtime.
    pub fn start(config: ServerConfig, options: HostOptions) -> Self {
        let initial = if config.enabled {
            ServerState::Starting
        } else {
            ServerState::Disabled
        };
        let shared = Arc::new(Shared {
            state: watch::Sender::new(initial),
            stderr: Mutex::new(StderrRing::default()),
            peer: Mutex::new(None),
            pid: Mutex::new(None),
            restart: Notify::new(),
            shutdown: CancellationToken::new(),
        });
        let task = config
            .enabled
            .then(|| tokio::spawn(supervise(config.clone(), options, shared.clone())));
        Self {
            config,
            shared,
            task,
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn state(&self) -> ServerState {
        self.shared.state.borrow().clone()
    }

    /// Changes of state, for the UI.
    pub fn subscribe(&self) -> watch::Receiver<ServerState> {
        self.shared.state.subscribe()
    }

    /// Waits until the server is ready or failed, or `timeout` passes; returns the state then.
    pub async fn wait_settled(&self, timeout: Duration) -> ServerState {
        let mut receiver = self.subscribe();
        let settled = receiver.wait_for(|state| !matches!(state, ServerState::Starting));
        match tokio::time::timeout(timeout, settled).await {
            Ok(Ok(state)) => state.clone(),
            _ => self.state(),
        }
    }

    /// The last stderr lines (stdio servers), oldest first; readable at any time.
    pub fn stderr_tail(&self) -> Vec<String> {
        lock(&self.shared.stderr).lines()
    }

    /// The process id (and group id) of the running stdio server, if any.
    pub fn process_id(&self) -> Option<u32> {
        *lock(&self.shared.pid)
    }

    /// The UI's Restart button: ends the current connection (if any) and connects again now,
    /// with the backoff reset.
    pub fn restart(&self) {
        self.shared.restart.notify_one();
    }

    /// Stops the server and waits until its processes are gone.
    pub async fn stop(mut self) {
        self.shared.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub(crate) fn peer(&self) -> Option<Peer<RoleClient>> {
        lock(&self.shared.peer).clone()
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
        // Aborting drops the connection, whose guard kills the group at once, even if the
        // runtime never polls the task again.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The client side of the connection: it only listens for `tools/list_changed`.
#[derive(Clone)]
struct ParleyClient {
    tools_changed: Arc<Notify>,
}

impl ClientHandler for ParleyClient {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.tools_changed.notify_one();
    }
}

/// A live connection; dropping it ends it (and kills a stdio server's group).
struct Connection {
    running: RunningService<RoleClient, ParleyClient>,
    child: Option<(tokio::process::Child, GroupGuard)>,
}

enum Ended {
    Shutdown,
    Restart,
    Died(String),
}

async fn supervise(config: ServerConfig, options: HostOptions, shared: Arc<Shared>) {
    let mut delay = options.backoff.initial;
    loop {
        shared.state.send_replace(ServerState::Starting);
        let tools_changed = Arc::new(Notify::new());
        let connected = tokio::select! {
            () = shared.shutdown.cancelled() => return,
            connected = tokio::time::timeout(START_TIMEOUT, connect(&config, &options, &shared, tools_changed.clone())) => {
                connected.unwrap_or_else(|_| Err(format!("did not start within {} s", START_TIMEOUT.as_secs())))
            }
        };
        let ended = match connected {
            Ok(connection) => {
                let started = tokio::time::Instant::now();
                let ended = run(connection, &shared, &tools_changed).await;
                if started.elapsed() >= options.backoff.healthy_after {
                    delay = options.backoff.initial;
                }
                ended
            }
            Err(error) => Ended::Died(error),
        };
        *lock(&shared.peer) = None;
        *lock(&shared.pid) = None;
        match ended {
            Ended::Shutdown => return,
            Ended::Restart => {
                delay = options.backoff.initial;
                continue;
            }
            Ended::Died(error) => {
                tracing::warn!(server = %config.name, %error, "MCP server failed");
                let stderr_tail = lock(&shared.stderr).lines();
                shared
                    .state
                    .send_replace(ServerState::Failed { error, stderr_tail });
            }
        }
        tokio::select! {
            () = shared.shutdown.cancelled() => return,
            () = shared.restart.notified() => delay = options.backoff.initial,
            () = tokio::time::sleep(delay) => delay = (delay * 2).min(options.backoff.max),
        }
    }
}

/// Serves calls until the server dies, a restart is asked for, or the host shuts down; keeps the
/// tool list fresh on `tools/list_changed`.
async fn run(mut connection: Connection, shared: &Shared, tools_changed: &Notify) -> Ended {
    let peer = connection.running.peer().clone();
    let ended = {
        let Connection { running, child } = &mut connection;
        loop {
            let child_exit = async {
                match child.as_mut() {
                    Some((child, _)) => child.wait().await.map_or_else(
                        |error| format!("could not watch the process: {error}"),
                        |status| format!("the server exited ({status})"),
                    ),
                    None => std::future::pending().await,
                }
            };
            // rmcp has no "closed" future; a cheap poll notices an HTTP session that ended.
            let closed = async {
                while !running.is_closed() {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            };
            let health = async {
                loop {
                    tokio::time::sleep(HEALTH_EVERY).await;
                    let ping = ClientRequest::PingRequest(PingRequest {
                        method: Default::default(),
                        extensions: Default::default(),
                    });
                    match tokio::time::timeout(PING_TIMEOUT, peer.send_request(ping)).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(error)) => return format!("did not answer a ping: {error}"),
                        Err(_) => {
                            return format!(
                                "did not answer a ping within {} s",
                                PING_TIMEOUT.as_secs()
                            );
                        }
                    }
                }
            };
            break tokio::select! {
                () = shared.shutdown.cancelled() => Ended::Shutdown,
                message = health => Ended::Died(message),
                () = shared.restart.notified() => Ended::Restart,
                message = child_exit => Ended::Died(message),
                () = closed => Ended::Died("the connection closed".to_owned()),
                () = tools_changed.notified() => {
                    match list_tools(&peer).await {
                        Ok(tools) => { shared.state.send_replace(ServerState::Ready { tools }); }
                        Err(error) => tracing::warn!(%error, "could not list tools after tools/list_changed"),
                    }
                    continue;
                }
            };
        }
    };
    close(connection).await;
    ended
}

/// Ends a connection and reaps its process, so no zombie or group member is left behind.
async fn close(connection: Connection) {
    let Connection { running, child } = connection;
    drop(running);
    if let Some((mut child, guard)) = child {
        drop(guard);
        let _ = child.wait().await;
    }
}

async fn connect(
    config: &ServerConfig,
    options: &HostOptions,
    shared: &Arc<Shared>,
    tools_changed: Arc<Notify>,
) -> Result<Connection, String> {
    let client = ParleyClient { tools_changed };
    let connection = match &config.transport {
        Transport::Stdio {
            command,
            args,
            env,
            cwd,
        } => {
            let mut process = tokio::process::Command::new(command);
            process
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .process_group(0)
                .kill_on_drop(true);
            if let Some(path) = &options.child_path {
                process.env("PATH", path);
            }
            process.envs(env);
            if let Some(cwd) = cwd {
                process.current_dir(cwd);
            }
            let mut child = process
                .spawn()
                .map_err(|error| format!("could not start `{command}`: {error}"))?;
            let pid = child.id().ok_or("the process ended at once")?;
            let guard = GroupGuard { pid };
            *lock(&shared.pid) = Some(pid);
            if let Some(stderr) = child.stderr.take() {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(stderr).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        lock(&shared.stderr).push(&line);
                    }
                });
            }
            let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
                return Err("the process's stdio could not be opened".to_owned());
            };
            // On an error here `child` and `guard` drop: the process group is killed.
            let running = client
                .serve((stdout, stdin))
                .await
                .map_err(|error| format!("the MCP handshake failed: {error}"))?;
            Connection {
                running,
                child: Some((child, guard)),
            }
        }
        Transport::Http { url, headers } => {
            let mut header_map = std::collections::HashMap::new();
            for (name, value) in headers {
                let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|error| format!("header name {name:?}: {error}"))?;
                let value = reqwest::header::HeaderValue::from_str(value)
                    .map_err(|_| format!("header {name}: the value is not valid in a header"))?;
                header_map.insert(name, value);
            }
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                .custom_headers(header_map);
            let transport = match &options.http_client {
                Some(http) => StreamableHttpClientTransport::with_client(http.clone(), config),
                None => StreamableHttpClientTransport::from_config(config),
            };
            let running = client
                .serve(transport)
                .await
                .map_err(|error| format!("could not connect to {url}: {error}"))?;
            Connection {
                running,
                child: None,
            }
        }
    };
    let tools = list_tools(connection.running.peer()).await?;
    *lock(&shared.peer) = Some(connection.running.peer().clone());
    shared.state.send_replace(ServerState::Ready { tools });
    Ok(connection)
}

async fn list_tools(peer: &Peer<RoleClient>) -> Result<Vec<McpTool>, String> {
    let tools = peer
        .list_all_tools()
        .await
        .map_err(|error| format!("could not list tools: {error}"))?;
    Ok(tools.into_iter().map(convert_tool).collect())
}

fn convert_tool(tool: Tool) -> McpTool {
    McpTool {
        name: tool.name.into_owned(),
        description: tool.description.map(|description| description.into_owned()),
        input_schema: serde_json::Value::Object((*tool.input_schema).clone()),
    }
}
