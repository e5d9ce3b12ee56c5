//! Parley's tools: the MCP servers the user configured, which of their tools are enabled, which
//! are always allowed, and the tools a request sends.
//!
//! Where things live:
//! - each server's configuration in the settings table (`mcp_servers`), with the *names* of its
//!   environment variables and headers only;
//! - their *values* in the OS keychain, one JSON secret per server (account `mcp-server:<id>`),
//!   so they never reach SQLite, logs, exports or the webview (the UI sees names and
//!   "stored"; stderr shown to it has the values masked);
//! - "always allow" decisions in the settings table (`tool_permissions`), per server, tool and
//!   fingerprint of the tool's description and schema, so a changed tool asks again.
//!
//! Servers start once, after the first paint (`start_mcp_servers`) or on first use, whichever
//! comes first; [`parley_tools::McpHost`] supervises them.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parley_claude::ApiKey;
use parley_store::Store;
use parley_tools::{HostOptions, McpHost, RegisteredTool, ServerConfig, ServerState, Transport};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::params::HandTool;

const SERVERS_KEY: &str = "mcp_servers";
const PERMISSIONS_KEY: &str = "tool_permissions";
/// How long the first request waits for servers that are still starting.
const FIRST_USE_WAIT: Duration = Duration::from_secs(10);

/// One `NAME=value` of a server's environment, or one header. The UI sends `value: null` to
/// keep what the keychain holds; it never receives a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretEntry {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// How a server is reached, as the settings form edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum TransportDraft {
    Stdio {
        command: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: Vec<SecretEntry>,
        #[serde(default)]
        cwd: Option<String>,
    },
    Http {
        url: String,
        #[serde(default)]
        headers: Vec<SecretEntry>,
    },
}

/// A server as the settings form saves it; `id: null` adds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct McpServerDraft {
    pub id: Option<String>,
    pub name: String,
    pub transport: TransportDraft,
    pub enabled: bool,
}

/// How a server is reached, as the UI shows it: the names of its variables and headers, never
/// their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum TransportView {
    Stdio {
        command: String,
        args: Vec<String>,
        env_names: Vec<String>,
        cwd: Option<String>,
    },
    Http {
        url: String,
        header_names: Vec<String>,
    },
}

/// Where a server stands (`data-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum McpServerState {
    Starting,
    Ready,
    Failed,
    Disabled,
}

/// One tool of a server in settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct McpToolView {
    /// The server's name for it.
    pub name: String,
    /// The name the API sees.
    pub api_name: String,
    pub description: Option<String>,
    #[ts(type = "unknown")]
    pub input_schema: Value,
    pub enabled: bool,
    /// An "always allow" decision holds for its current description and schema.
    pub always_allowed: bool,
}

/// A server in Settings → Tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct McpServerView {
    pub id: String,
    pub name: String,
    pub transport: TransportView,
    pub enabled: bool,
    pub state: McpServerState,
    /// Why it failed.
    pub error: Option<String>,
    /// The last lines of its stderr (secret values masked).
    pub stderr_tail: Vec<String>,
    /// Its tools when ready (also the disabled ones).
    pub tools: Vec<McpToolView>,
}

/// An "always allow" decision, listed in settings and revocable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ToolPermission {
    pub server_id: String,
    /// The server's name now (its id when it was removed).
    pub server_name: String,
    pub tool_name: String,
    /// The tool's fingerprint when it was allowed; a changed tool asks again.
    pub fingerprint: String,
    #[ts(type = "number")]
    pub granted_at: i64,
    /// The tool changed since (or is not offered now): the decision no longer applies.
    pub stale: bool,
}

/// What importing an `mcpServers` document did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct McpImportReport {
    /// The names of the servers added.
    pub added: Vec<String>,
}

/// A server as stored in the settings table: no secret values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredServer {
    id: String,
    name: String,
    transport: TransportView,
    enabled: bool,
    #[serde(default)]
    disabled_tools: Vec<String>,
}

/// The keychain secret of a server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ServerSecrets {
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

impl ServerSecrets {
    fn values(&self) -> impl Iterator<Item = &String> {
        self.env.values().chain(self.headers.values())
    }
}

fn secret_account(server_id: &str) -> String {
    format!("mcp-server:{server_id}")
}

/// A tool a request may send, and what answers it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LoopTool {
    Mcp(RegisteredTool),
    Hand(HandTool),
}

impl LoopTool {
    pub(crate) fn api_name(&self) -> &str {
        match self {
            Self::Mcp(tool) => &tool.api_name,
            Self::Hand(tool) => &tool.name,
        }
    }

    pub(crate) fn to_api(&self) -> parley_claude::Tool {
        match self {
            Self::Mcp(tool) => parley_claude::Tool::Custom {
                name: tool.api_name.clone(),
                description: tool.description.clone(),
                input_schema: tool.input_schema.clone(),
                cache_control: None,
            },
            Self::Hand(tool) => tool.to_api(),
        }
    }
}

/// The MCP side of [`Parley`]: the host (made on first use, when the login shell's `PATH` is
/// computed, never on the way to the first paint) and the once-only start.
pub(crate) struct Tools {
    host: tokio::sync::OnceCell<Arc<McpHost>>,
    /// `None`: the login shell's `PATH` and the default backoff.
    options: Option<HostOptions>,
    started: tokio::sync::OnceCell<()>,
    /// Set once the first request has waited for servers still starting: later requests never
    /// wait (a server that hangs at start must not slow every message).
    waited: tokio::sync::OnceCell<()>,
    /// The values to mask in what servers print (every server's secrets).
    secret_values: std::sync::Mutex<Vec<String>>,
}

impl Tools {
    pub(crate) fn new(options: Option<HostOptions>) -> Self {
        Self {
            host: tokio::sync::OnceCell::new(),
            options,
            started: tokio::sync::OnceCell::new(),
            waited: tokio::sync::OnceCell::new(),
            secret_values: std::sync::Mutex::default(),
        }
    }

    pub(crate) async fn host(&self) -> Arc<McpHost> {
        let host = self
            .host
            .get_or_init(|| async {
                let options = match &self.options {
                    Some(options) => options.clone(),
                    None => HostOptions {
                        child_path: tokio::task::spawn_blocking(parley_tools::login_shell_path)
                            .await
                            .ok()
                            .flatten(),
                        ..HostOptions::default()
                    },
                };
                Arc::new(McpHost::new(options))
            })
            .await;
        Arc::clone(host)
    }

    /// Stops every server (the app is closing).
    pub(crate) async fn shutdown(&self) {
        if let Some(host) = self.host.get() {
            host.shutdown().await;
        }
    }

    fn mask(&self, line: &str) -> String {
        let mut masked = line.to_owned();
        if let Ok(values) = self.secret_values.lock() {
            for value in values.iter().filter(|value| value.len() >= 4) {
                masked = masked.replace(value.as_str(), "••••");
            }
        }
        masked
    }

    fn remember_secrets(&self, secrets: &ServerSecrets) {
        if let Ok(mut values) = self.secret_values.lock() {
            values.extend(secrets.values().cloned());
            values.sort();
            values.dedup();
        }
    }
}

async fn read_json<T: for<'de> Deserialize<'de> + Default>(
    store: &Store,
    key: &str,
) -> CoreResult<T> {
    match store.get_setting(key).await? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|error| CoreError::Internal(format!("{key} in the settings table: {error}"))),
        None => Ok(T::default()),
    }
}

async fn write_json<T: Serialize>(store: &Store, key: &str, value: &T) -> CoreResult<()> {
    let json = serde_json::to_string(value)
        .map_err(|error| CoreError::Internal(format!("JSON: {error}")))?;
    Ok(store.set_setting(key, &json).await?)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Checks a draft and splits it into what SQLite keeps and what the keychain keeps (`None`
/// values keep `previous`).
fn split_draft(
    draft: &McpServerDraft,
    id: String,
    previous: &ServerSecrets,
    disabled_tools: Vec<String>,
) -> CoreResult<(StoredServer, ServerSecrets)> {
    let name = draft.name.trim();
    if name.is_empty() {
        return Err(CoreError::InvalidInput("The server needs a name".into()));
    }
    let merge = |entries: &[SecretEntry],
                 old: &BTreeMap<String, String>,
                 what: &str|
     -> CoreResult<(Vec<String>, BTreeMap<String, String>)> {
        let mut names = Vec::new();
        let mut values = BTreeMap::new();
        for entry in entries {
            let key = entry.name.trim();
            if key.is_empty() {
                continue;
            }
            if key.contains('=') || key.contains(char::is_whitespace) {
                return Err(CoreError::InvalidInput(format!(
                    "The {what} name \"{key}\" may not contain spaces or '='"
                )));
            }
            let value = match &entry.value {
                Some(value) => value.clone(),
                None => old.get(key).cloned().unwrap_or_default(),
            };
            names.push(key.to_owned());
            values.insert(key.to_owned(), value);
        }
        Ok((names, values))
    };
    let (transport, secrets) = match &draft.transport {
        TransportDraft::Stdio {
            command,
            args,
            env,
            cwd,
        } => {
            let command = command.trim();
            if command.is_empty() {
                return Err(CoreError::InvalidInput(
                    "A stdio server needs a command (for example npx)".into(),
                ));
            }
            let (env_names, env) = merge(env, &previous.env, "variable")?;
            (
                TransportView::Stdio {
                    command: command.to_owned(),
                    args: args.clone(),
                    env_names,
                    cwd: cwd.clone().filter(|cwd| !cwd.trim().is_empty()),
                },
                ServerSecrets {
                    env,
                    headers: BTreeMap::new(),
                },
            )
        }
        TransportDraft::Http { url, headers } => {
            let url = url.trim();
            if !(url.starts_with("http://") || url.starts_with("https://"))
                || url::Url::parse(url).is_err()
            {
                return Err(CoreError::InvalidInput(format!(
                    "\"{url}\" is not an http:// or https:// URL"
                )));
            }
            let (header_names, headers) = merge(headers, &previous.headers, "header")?;
            (
                TransportView::Http {
                    url: url.to_owned(),
                    header_names,
                },
                ServerSecrets {
                    env: BTreeMap::new(),
                    headers,
                },
            )
        }
    };
    Ok((
        StoredServer {
            id,
            name: name.to_owned(),
            transport,
            enabled: draft.enabled,
            disabled_tools,
        },
        secrets,
    ))
}

/// The runnable configuration of `stored` with its secret values.
fn runnable(stored: &StoredServer, secrets: &ServerSecrets) -> ServerConfig {
    let transport = match &stored.transport {
        TransportView::Stdio {
            command,
            args,
            env_names,
            cwd,
        } => Transport::Stdio {
            command: command.clone(),
            args: args.clone(),
            env: env_names
                .iter()
                .map(|name| {
                    (
                        name.clone(),
                        secrets.env.get(name).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            cwd: cwd.as_ref().map(Into::into),
        },
        TransportView::Http { url, header_names } => Transport::Http {
            url: url.clone(),
            headers: header_names
                .iter()
                .map(|name| {
                    (
                        name.clone(),
                        secrets.headers.get(name).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
        },
    };
    ServerConfig {
        id: stored.id.clone(),
        name: stored.name.clone(),
        transport,
        enabled: stored.enabled,
    }
}

impl Parley {
    async fn stored_servers(&self) -> CoreResult<Vec<StoredServer>> {
        read_json(&self.store, SERVERS_KEY).await
    }

    async fn server_secrets(&self, server_id: &str) -> CoreResult<ServerSecrets> {
        match self.keys.read_secret(&secret_account(server_id)).await? {
            Some(secret) => serde_json::from_str(secret.expose()).map_err(|_| {
                CoreError::Internal(format!(
                    "the keychain entry of MCP server {server_id} is not readable"
                ))
            }),
            None => Ok(ServerSecrets::default()),
        }
    }

    async fn write_server_secrets(
        &self,
        server_id: &str,
        secrets: &ServerSecrets,
    ) -> CoreResult<()> {
        let secret = if secrets.env.is_empty() && secrets.headers.is_empty() {
            ApiKey::new(String::new())
        } else {
            ApiKey::new(
                serde_json::to_string(secrets)
                    .map_err(|error| CoreError::Internal(format!("JSON: {error}")))?,
            )
        };
        self.keys
            .write_secret(&secret_account(server_id), secret)
            .await
    }

    /// Starts (or restarts) the server `stored` in the host, with its secrets; an HTTP server
    /// goes through the proxy setting as it is now.
    async fn launch(&self, stored: &StoredServer) -> CoreResult<()> {
        let secrets = self.server_secrets(&stored.id).await?;
        self.tools.remember_secrets(&secrets);
        self.add_to_host(runnable(stored, &secrets)).await;
        Ok(())
    }

    async fn add_to_host(&self, config: ServerConfig) {
        let host = self.tools.host().await;
        if matches!(config.transport, Transport::Http { .. }) {
            let http = match self.settings().await {
                Ok(settings) => self.http_client(&settings).await.map(|(http, _)| http),
                Err(error) => Err(error),
            };
            match http {
                Ok(http) => host.set_http_client(Some(http)),
                Err(error) => tracing::warn!(%error, "MCP over HTTP without the proxy setting"),
            }
        }
        host.add(config).await;
    }

    /// Starts every configured server, once (later calls return at once). Called after the
    /// first paint, and by the first request that could use tools.
    pub async fn start_mcp_servers(&self) -> CoreResult<()> {
        self.tools
            .started
            .get_or_try_init(|| async {
                for stored in self.stored_servers().await? {
                    if let Err(error) = self.launch(&stored).await {
                        tracing::warn!(server = %stored.name, %error, "could not start an MCP server");
                    }
                }
                Ok::<(), CoreError>(())
            })
            .await
            .map(|_| ())
    }

    /// Starts the HTTP servers again so they go through a proxy setting that just changed
    /// (stdio servers do not use the network through Parley).
    pub(crate) async fn relaunch_http_servers(&self) {
        if self.tools.started.get().is_none() {
            return;
        }
        for stored in self.stored_servers().await.unwrap_or_default() {
            if stored.enabled
                && matches!(stored.transport, TransportView::Http { .. })
                && let Err(error) = self.launch(&stored).await
            {
                tracing::warn!(server = %stored.name, %error, "could not restart an MCP server");
            }
        }
    }

    /// Settings → Tools: every server with its state and tools.
    pub async fn list_mcp_servers(&self) -> CoreResult<Vec<McpServerView>> {
        self.start_mcp_servers().await?;
        let stored = self.stored_servers().await?;
        let mut runtimes = Vec::with_capacity(stored.len());
        for server in &stored {
            let runtime = self
                .tools
                .host()
                .await
                .with_server(&server.id, |running| {
                    (running.state(), running.stderr_tail())
                })
                .await;
            runtimes.push(runtime);
        }
        // Read after the states: a server that turned ready in between then lists its tools,
        // where the other order could show it ready with none.
        let registered = self.tools.host().await.tools().await;
        let permissions: Vec<ToolPermission> = read_json(&self.store, PERMISSIONS_KEY).await?;
        let mut views = Vec::new();
        for (server, runtime) in stored.into_iter().zip(runtimes) {
            let (state, error, stderr_tail) = match runtime {
                _ if !server.enabled => (McpServerState::Disabled, None, Vec::new()),
                None => (McpServerState::Starting, None, Vec::new()),
                Some((state, tail)) => {
                    let tail: Vec<String> = tail.iter().map(|line| self.tools.mask(line)).collect();
                    match state {
                        ServerState::Starting => (McpServerState::Starting, None, tail),
                        ServerState::Ready { .. } => (McpServerState::Ready, None, tail),
                        ServerState::Failed { error, .. } => {
                            (McpServerState::Failed, Some(self.tools.mask(&error)), tail)
                        }
                        ServerState::Disabled => (McpServerState::Disabled, None, tail),
                    }
                }
            };
            let tools = registered
                .iter()
                .filter(|tool| tool.server_id == server.id)
                .map(|tool| McpToolView {
                    name: tool.tool_name.clone(),
                    api_name: tool.api_name.clone(),
                    description: tool.description.clone(),
                    input_schema: tool.input_schema.clone(),
                    enabled: !server.disabled_tools.contains(&tool.tool_name),
                    always_allowed: permission_holds(&permissions, tool),
                })
                .collect();
            views.push(McpServerView {
                id: server.id,
                name: server.name,
                transport: server.transport,
                enabled: server.enabled,
                state,
                error,
                stderr_tail,
                tools,
            });
        }
        Ok(views)
    }

    /// Adds or changes a server; its secrets go to the keychain, the rest to SQLite. The
    /// server is (re)started.
    pub async fn save_mcp_server(&self, draft: McpServerDraft) -> CoreResult<McpServerView> {
        let mut servers = self.stored_servers().await?;
        let existing = draft
            .id
            .as_deref()
            .and_then(|id| servers.iter().position(|server| server.id == id));
        if draft.id.is_some() && existing.is_none() {
            return Err(CoreError::Missing(
                "That MCP server no longer exists".into(),
            ));
        }
        let id = draft.id.clone().unwrap_or_else(|| uuid_like(&draft.name));
        let previous = match existing {
            Some(_) => self.server_secrets(&id).await?,
            None => ServerSecrets::default(),
        };
        let disabled_tools = existing
            .map(|at| servers[at].disabled_tools.clone())
            .unwrap_or_default();
        let (stored, secrets) = split_draft(&draft, id.clone(), &previous, disabled_tools)?;
        if servers
            .iter()
            .any(|server| server.id != id && server.name.eq_ignore_ascii_case(&stored.name))
        {
            return Err(CoreError::InvalidInput(format!(
                "A server named \"{}\" exists already",
                stored.name
            )));
        }
        // The keychain first: a server is never stored without the secrets it needs.
        self.write_server_secrets(&id, &secrets).await?;
        match existing {
            Some(at) => servers[at] = stored.clone(),
            None => servers.push(stored.clone()),
        }
        write_json(&self.store, SERVERS_KEY, &servers).await?;
        self.tools.remember_secrets(&secrets);
        self.add_to_host(runnable(&stored, &secrets)).await;
        self.list_mcp_servers()
            .await?
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(|| CoreError::Internal("the saved server is missing".into()))
    }

    /// Removes a server, its keychain secret and its "always allow" decisions.
    pub async fn delete_mcp_server(&self, server_id: &str) -> CoreResult<()> {
        let mut servers = self.stored_servers().await?;
        servers.retain(|server| server.id != server_id);
        write_json(&self.store, SERVERS_KEY, &servers).await?;
        let mut permissions: Vec<ToolPermission> = read_json(&self.store, PERMISSIONS_KEY).await?;
        permissions.retain(|permission| permission.server_id != server_id);
        write_json(&self.store, PERMISSIONS_KEY, &permissions).await?;
        self.tools.host().await.remove(server_id).await;
        self.write_server_secrets(server_id, &ServerSecrets::default())
            .await
    }

    /// Adds the servers of a Claude Desktop `mcpServers` document (names that exist already
    /// get a number).
    pub async fn import_mcp_servers(&self, document: &str) -> CoreResult<McpImportReport> {
        let configs = parley_tools::parse_mcp_servers(document, uuid_like)
            .map_err(|error| CoreError::InvalidInput(format!("mcpServers: {error}")))?;
        let mut taken: HashSet<String> = self
            .stored_servers()
            .await?
            .into_iter()
            .map(|server| server.name.to_lowercase())
            .collect();
        let mut added = Vec::new();
        for config in configs {
            let mut name = config.name.clone();
            let mut n = 2;
            while taken.contains(&name.to_lowercase()) {
                name = format!("{} {n}", config.name);
                n += 1;
            }
            taken.insert(name.to_lowercase());
            let entries = |map: &BTreeMap<String, String>| {
                map.iter()
                    .map(|(name, value)| SecretEntry {
                        name: name.clone(),
                        value: Some(value.clone()),
                    })
                    .collect()
            };
            let transport = match &config.transport {
                Transport::Stdio {
                    command,
                    args,
                    env,
                    cwd,
                } => TransportDraft::Stdio {
                    command: command.clone(),
                    args: args.clone(),
                    env: entries(env),
                    cwd: cwd.as_ref().map(|cwd| cwd.display().to_string()),
                },
                Transport::Http { url, headers } => TransportDraft::Http {
                    url: url.clone(),
                    headers: entries(headers),
                },
            };
            self.save_mcp_server(McpServerDraft {
                id: None,
                name: name.clone(),
                transport,
                enabled: config.enabled,
            })
            .await?;
            added.push(name);
        }
        Ok(McpImportReport { added })
    }

    /// The Restart button of a failed (or any) server.
    pub async fn restart_mcp_server(&self, server_id: &str) -> CoreResult<()> {
        let servers = self.stored_servers().await?;
        let stored = servers
            .iter()
            .find(|server| server.id == server_id)
            .ok_or_else(|| CoreError::Missing("That MCP server no longer exists".into()))?;
        let restarted = self
            .tools
            .host()
            .await
            .with_server(server_id, |server| server.restart())
            .await;
        if restarted.is_none() {
            self.launch(stored).await?;
        }
        Ok(())
    }

    /// Turns a server on or off (off stops its process).
    pub async fn set_mcp_server_enabled(&self, server_id: &str, enabled: bool) -> CoreResult<()> {
        let mut servers = self.stored_servers().await?;
        let server = servers
            .iter_mut()
            .find(|server| server.id == server_id)
            .ok_or_else(|| CoreError::Missing("That MCP server no longer exists".into()))?;
        server.enabled = enabled;
        let stored = server.clone();
        write_json(&self.store, SERVERS_KEY, &servers).await?;
        self.launch(&stored).await
    }

    /// Turns one tool of a server on or off: a disabled tool is not sent.
    pub async fn set_mcp_tool_enabled(
        &self,
        server_id: &str,
        tool_name: &str,
        enabled: bool,
    ) -> CoreResult<()> {
        let mut servers = self.stored_servers().await?;
        let server = servers
            .iter_mut()
            .find(|server| server.id == server_id)
            .ok_or_else(|| CoreError::Missing("That MCP server no longer exists".into()))?;
        server.disabled_tools.retain(|name| name != tool_name);
        if !enabled {
            server.disabled_tools.push(tool_name.to_owned());
        }
        write_json(&self.store, SERVERS_KEY, &servers).await
    }

    /// The "always allow" decisions, with whether each still applies.
    pub async fn list_tool_permissions(&self) -> CoreResult<Vec<ToolPermission>> {
        let mut permissions: Vec<ToolPermission> = read_json(&self.store, PERMISSIONS_KEY).await?;
        let servers = self.stored_servers().await?;
        let registered = self.tools.host().await.tools().await;
        for permission in &mut permissions {
            if let Some(server) = servers.iter().find(|s| s.id == permission.server_id) {
                permission.server_name = server.name.clone();
            }
            permission.stale = !registered.iter().any(|tool| {
                tool.server_id == permission.server_id
                    && tool.tool_name == permission.tool_name
                    && tool.fingerprint == permission.fingerprint
            });
        }
        Ok(permissions)
    }

    /// Takes an "always allow" back: the tool asks again.
    pub async fn revoke_tool_permission(&self, server_id: &str, tool_name: &str) -> CoreResult<()> {
        let mut permissions: Vec<ToolPermission> = read_json(&self.store, PERMISSIONS_KEY).await?;
        permissions.retain(|p| !(p.server_id == server_id && p.tool_name == tool_name));
        write_json(&self.store, PERMISSIONS_KEY, &permissions).await
    }

    /// Records "always allow" for `tool` as it is now.
    pub(crate) async fn grant_tool_permission(&self, tool: &RegisteredTool) -> CoreResult<()> {
        grant(&self.store, tool).await
    }

    /// The tools a request of a conversation with `hand_tools` sends: enabled tools of enabled,
    /// ready servers, then the hand-written ones (a hand-written tool hides an MCP tool of the
    /// same API name). The first request waits (up to 10 s) for servers still starting.
    pub(crate) async fn request_tools(&self, hand_tools: &[HandTool]) -> Vec<LoopTool> {
        if let Err(error) = self.start_mcp_servers().await {
            tracing::warn!(%error, "could not start the MCP servers");
        }
        let servers = self.stored_servers().await.unwrap_or_default();
        if servers.iter().any(|server| server.enabled) {
            self.tools
                .waited
                .get_or_init(|| self.wait_for_starting_servers())
                .await;
        }
        let hand_names: HashSet<&str> = hand_tools.iter().map(|t| t.name.as_str()).collect();
        let mut tools: Vec<LoopTool> = self
            .tools
            .host()
            .await
            .tools()
            .await
            .into_iter()
            .filter(|tool| {
                servers.iter().any(|server| {
                    server.id == tool.server_id
                        && server.enabled
                        && !server.disabled_tools.contains(&tool.tool_name)
                })
            })
            .filter(|tool| !hand_names.contains(tool.api_name.as_str()))
            .map(LoopTool::Mcp)
            .collect();
        tools.extend(hand_tools.iter().cloned().map(LoopTool::Hand));
        tools
    }

    /// The tools a request would send now, without starting or waiting for servers (for
    /// counting tokens while the user types).
    pub(crate) async fn current_tools(&self, hand_tools: &[HandTool]) -> Vec<LoopTool> {
        if self.tools.started.get().is_none() {
            return hand_tools.iter().cloned().map(LoopTool::Hand).collect();
        }
        self.request_tools(hand_tools).await
    }

    async fn wait_for_starting_servers(&self) {
        let deadline = tokio::time::Instant::now() + FIRST_USE_WAIT;
        loop {
            let starting = self.tools.host().await.any_starting().await;
            if !starting || tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// The "always allow" decisions as stored.
pub(crate) async fn read_permissions(store: &Store) -> CoreResult<Vec<ToolPermission>> {
    read_json(store, PERMISSIONS_KEY).await
}

/// Stores "always allow" for `tool`, replacing an older decision for it.
pub(crate) async fn grant(store: &Store, tool: &RegisteredTool) -> CoreResult<()> {
    let mut permissions: Vec<ToolPermission> = read_json(store, PERMISSIONS_KEY).await?;
    permissions.retain(|p| !(p.server_id == tool.server_id && p.tool_name == tool.tool_name));
    permissions.push(ToolPermission {
        server_id: tool.server_id.clone(),
        server_name: tool.server_name.clone(),
        tool_name: tool.tool_name.clone(),
        fingerprint: tool.fingerprint.clone(),
        granted_at: now_ms(),
        stale: false,
    });
    write_json(store, PERMISSIONS_KEY, &permissions).await
}

/// Whether one of `permissions` allows `tool` with its current fingerprint.
pub(crate) fn permission_holds(permissions: &[ToolPermission], tool: &RegisteredTool) -> bool {
    permissions.iter().any(|p| {
        p.server_id == tool.server_id
            && p.tool_name == tool.tool_name
            && p.fingerprint == tool.fingerprint
    })
}

/// A fresh server id: random, with the name's first letters for readable logs.
fn uuid_like(name: &str) -> String {
    let slug: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect::<String>()
        .to_lowercase();
    format!("{slug}-{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stdio(env: Vec<SecretEntry>) -> McpServerDraft {
        McpServerDraft {
            id: None,
            name: " files ".into(),
            transport: TransportDraft::Stdio {
                command: "npx".into(),
                args: vec!["-y".into(), "server".into()],
                env,
                cwd: Some(" ".into()),
            },
            enabled: true,
        }
    }

    #[test]
    fn secrets_are_split_from_what_sqlite_keeps() {
        let draft = stdio(vec![SecretEntry {
            name: "TOKEN".into(),
            value: Some("s3cret-value".into()),
        }]);
        let (stored, secrets) =
            split_draft(&draft, "id".into(), &ServerSecrets::default(), vec![]).unwrap();
        let json = serde_json::to_string(&stored).unwrap();
        assert!(!json.contains("s3cret-value"), "{json}");
        assert!(json.contains("TOKEN"));
        assert_eq!(stored.name, "files");
        assert_eq!(
            secrets.env.get("TOKEN").map(String::as_str),
            Some("s3cret-value")
        );
        let config = runnable(&stored, &secrets);
        match config.transport {
            Transport::Stdio { env, cwd, .. } => {
                assert_eq!(env.get("TOKEN").map(String::as_str), Some("s3cret-value"));
                assert_eq!(cwd, None, "a blank working directory is none");
            }
            Transport::Http { .. } => panic!("stdio expected"),
        }
    }

    #[test]
    fn a_value_left_out_keeps_the_stored_one() {
        let previous = ServerSecrets {
            env: BTreeMap::from([("TOKEN".to_owned(), "old".to_owned())]),
            headers: BTreeMap::new(),
        };
        let draft = stdio(vec![
            SecretEntry {
                name: "TOKEN".into(),
                value: None,
            },
            SecretEntry {
                name: "NEW".into(),
                value: None,
            },
        ]);
        let (_, secrets) = split_draft(&draft, "id".into(), &previous, vec![]).unwrap();
        assert_eq!(secrets.env.get("TOKEN").map(String::as_str), Some("old"));
        assert_eq!(secrets.env.get("NEW").map(String::as_str), Some(""));
    }

    #[test]
    fn bad_drafts_say_what_is_wrong() {
        let mut draft = stdio(vec![]);
        draft.name = "  ".into();
        let error = split_draft(&draft, "id".into(), &ServerSecrets::default(), vec![])
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs a name"), "{error}");
        let http = McpServerDraft {
            transport: TransportDraft::Http {
                url: "ftp://x".into(),
                headers: vec![],
            },
            ..stdio(vec![])
        };
        let error = split_draft(&http, "id".into(), &ServerSecrets::default(), vec![])
            .unwrap_err()
            .to_string();
        assert!(error.contains("not an http"), "{error}");
        let spaced = stdio(vec![SecretEntry {
            name: "A B".into(),
            value: Some("x".into()),
        }]);
        assert!(split_draft(&spaced, "id".into(), &ServerSecrets::default(), vec![]).is_err());
    }

    #[test]
    fn masking_hides_every_secret_value() {
        let tools = Tools::new(Some(HostOptions::default()));
        tools.remember_secrets(&ServerSecrets {
            env: BTreeMap::from([("T".to_owned(), "tok-123456".to_owned())]),
            headers: BTreeMap::from([("Authorization".to_owned(), "Bearer abc".to_owned())]),
        });
        assert_eq!(
            tools.mask("auth failed for tok-123456 with Bearer abc"),
            "auth failed for •••• with ••••"
        );
    }
}
