//! All of Parley's MCP servers: the registry of their tools under API names, and calls by those
//! names.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::call::{ToolOutcome, call_tool};
use crate::config::ServerConfig;
use crate::names::{ToolKey, api_names, tool_fingerprint};
use crate::server::{HostOptions, McpServer, ServerState};

/// A tool of a ready server, as the request builder and the approval UI need it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredTool {
    /// The name sent to the API (valid and unique; see [`crate::names`]).
    pub api_name: String,
    pub server_id: String,
    pub server_name: String,
    /// The name the server knows it by.
    pub tool_name: String,
    pub description: Option<String>,
    pub input_schema: serde_json::Value,
    /// Changes when the description or schema does; "always allow" is kept per fingerprint.
    pub fingerprint: String,
}

/// The servers, in the order they were added (which decides who keeps a plain name on a clash).
pub struct McpHost {
    /// Read when a server is added: a new HTTP client applies to servers added after it.
    options: std::sync::RwLock<HostOptions>,
    servers: RwLock<Vec<McpServer>>,
}

impl McpHost {
    pub fn new(options: HostOptions) -> Self {
        Self {
            options: std::sync::RwLock::new(options),
            servers: RwLock::new(Vec::new()),
        }
    }

    /// Starts supervising `config`, replacing (and stopping) a server with the same id.
    pub async fn add(&self, config: ServerConfig) {
        let replaced = {
            let mut servers = self.servers.write().await;
            let replaced = servers
                .iter()
                .position(|server| server.config().id == config.id)
                .map(|index| servers.remove(index));
            let options = match self.options.read() {
                Ok(options) => options.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            };
            servers.push(McpServer::start(config, options));
            replaced
        };
        if let Some(old) = replaced {
            old.stop().await;
        }
    }

    /// The HTTP client for HTTP servers added from now on (the proxy setting changed).
    pub fn set_http_client(&self, http: Option<reqwest::Client>) {
        match self.options.write() {
            Ok(mut options) => options.http_client = http,
            Err(poisoned) => poisoned.into_inner().http_client = http,
        }
    }

    /// Stops and forgets a server; `false` if there was none with that id.
    pub async fn remove(&self, server_id: &str) -> bool {
        let removed = {
            let mut servers = self.servers.write().await;
            servers
                .iter()
                .position(|server| server.config().id == server_id)
                .map(|index| servers.remove(index))
        };
        match removed {
            Some(server) => {
                server.stop().await;
                true
            }
            None => false,
        }
    }

    /// Stops every server and waits for their processes to end.
    pub async fn shutdown(&self) {
        let servers = std::mem::take(&mut *self.servers.write().await);
        for server in servers {
            server.stop().await;
        }
    }

    /// Runs `f` on the server with `server_id` (state, stderr, restart).
    pub async fn with_server<T>(
        &self,
        server_id: &str,
        f: impl FnOnce(&McpServer) -> T,
    ) -> Option<T> {
        let servers = self.servers.read().await;
        servers
            .iter()
            .find(|server| server.config().id == server_id)
            .map(f)
    }

    /// Whether an enabled server is still starting (or restarting).
    pub async fn any_starting(&self) -> bool {
        let servers = self.servers.read().await;
        servers
            .iter()
            .any(|server| matches!(server.state(), ServerState::Starting))
    }

    /// Every tool of every ready server, with its API name.
    pub async fn tools(&self) -> Vec<RegisteredTool> {
        let servers = self.servers.read().await;
        registered_tools(&servers)
    }

    /// Calls the tool sent to the API as `api_name`. Several calls may run at once.
    pub async fn call(
        &self,
        api_name: &str,
        arguments: serde_json::Value,
        timeout: Duration,
        cancel: CancellationToken,
    ) -> ToolOutcome {
        let target = {
            let servers = self.servers.read().await;
            registered_tools(&servers)
                .into_iter()
                .find(|tool| tool.api_name == api_name)
                .and_then(|tool| {
                    let server = servers
                        .iter()
                        .find(|server| server.config().id == tool.server_id)?;
                    Some((server.peer(), tool.tool_name, tool.server_name))
                })
        };
        match target {
            None => ToolOutcome::error(format!(
                "No running MCP server has a tool named {api_name}."
            )),
            Some((None, _, server_name)) => {
                ToolOutcome::error(format!("The MCP server {server_name} is not running."))
            }
            Some((Some(peer), tool_name, _)) => {
                call_tool(&peer, &tool_name, arguments, timeout, &cancel).await
            }
        }
    }
}

fn registered_tools(servers: &[McpServer]) -> Vec<RegisteredTool> {
    let mut tools = Vec::new();
    for server in servers {
        if let ServerState::Ready {
            tools: server_tools,
        } = server.state()
        {
            let config = server.config();
            for tool in server_tools {
                tools.push(RegisteredTool {
                    api_name: String::new(),
                    server_id: config.id.clone(),
                    server_name: config.name.clone(),
                    fingerprint: tool_fingerprint(tool.description.as_deref(), &tool.input_schema),
                    tool_name: tool.name,
                    description: tool.description,
                    input_schema: tool.input_schema,
                });
            }
        }
    }
    let keys: Vec<ToolKey<'_>> = tools
        .iter()
        .map(|tool| ToolKey {
            server_id: &tool.server_id,
            server_name: &tool.server_name,
            tool_name: &tool.tool_name,
        })
        .collect();
    let names = api_names(&keys);
    for (tool, name) in tools.iter_mut().zip(names) {
        tool.api_name = name;
    }
    tools
}
