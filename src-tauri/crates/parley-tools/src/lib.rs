//! # parley-tools: MCP for Parley
//!
//! Tauri-free, on the official Rust SDK (`rmcp`, pinned exactly in the workspace).
//!
//! - [`config`]: [`ServerConfig`] (stdio: command, args, env, cwd; or streamable HTTP: URL,
//!   headers) and [`parse_mcp_servers`] for a pasted Claude Desktop `mcpServers` document.
//!   Secrets in `env` or `headers` are the caller's: it keeps them in the keychain and passes
//!   resolved values; this crate never stores or logs a config.
//! - [`login_shell_path`]: the `PATH` of the user's login shell, computed once, given to each
//!   child so a server started from a desktop launcher finds `npx`, `uvx` or `~/.local/bin`.
//! - [`McpServer`]: one supervised server. A stdio server runs in its own process group, killed
//!   with it (stop, restart, drop); its stderr is kept in a bounded ring; its [`ServerState`] is
//!   `Starting | Ready { tools } | Failed { error, stderr_tail } | Disabled`; when it dies it is
//!   restarted with exponential backoff ([`Backoff`]), and `restart()` is the UI's button.
//! - [`McpHost`]: all servers; [`McpHost::tools`] lists ready servers' tools under API-valid,
//!   unique names ([`names`]) with a fingerprint of description + schema; [`McpHost::call`]
//!   runs one by that name with a timeout and a cancellation token, always giving a
//!   [`ToolOutcome`] (`is_error` for timeouts, cancels and crashes).
//!
//! Which tools are enabled and which calls are approved is the caller's business (the core).

pub mod call;
pub mod config;
pub mod host;
pub mod names;
mod process;
pub mod server;
pub mod shell_path;
pub mod stderr_ring;

pub use call::{ToolContent, ToolOutcome};
pub use config::{ConfigError, ServerConfig, Transport, parse_mcp_servers};
pub use host::{McpHost, RegisteredTool};
pub use server::{Backoff, HostOptions, McpServer, McpTool, ServerState};
pub use shell_path::{login_shell_path, resolve_child_path};
