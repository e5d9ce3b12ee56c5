//! What a server is: its configuration, and the import of a Claude Desktop `mcpServers` document.
//!
//! Secrets (API keys in `env`, tokens in `headers`) are not this crate's business: the caller
//! stores them (the OS keychain) and passes the resolved values here. Nothing in this crate writes
//! a configuration anywhere.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One MCP server as the user configured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfig {
    /// Stable identity (the caller's choice, e.g. a UUID); names may be renamed.
    pub id: String,
    /// The user's name for the server; the prefix of its tools' API names.
    pub name: String,
    pub transport: Transport,
    pub enabled: bool,
}

/// How Parley reaches a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Transport {
    /// A child process speaking JSON-RPC on stdin/stdout. `env` is added to the inherited
    /// environment; a `PATH` in it replaces the login shell's.
    #[serde(rename_all = "camelCase")]
    Stdio {
        command: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        #[serde(default)]
        cwd: Option<PathBuf>,
    },
    /// A streamable HTTP endpoint; `headers` go with every request.
    #[serde(rename_all = "camelCase")]
    Http {
        url: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
}

/// Why an `mcpServers` document could not be read. Each names the server it is about.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("the document is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("the document has no \"mcpServers\" object")]
    MissingMcpServers,
    #[error("server \"{name}\" is not a JSON object")]
    NotAnObject { name: String },
    #[error("server \"{name}\" has neither \"command\" nor \"url\"")]
    NoCommandOrUrl { name: String },
    #[error("server \"{name}\" has both \"command\" and \"url\"; choose one")]
    BothCommandAndUrl { name: String },
    #[error("server \"{name}\": \"{field}\" {expected}")]
    WrongType {
        name: String,
        field: &'static str,
        expected: &'static str,
    },
    #[error("server \"{name}\": the URL must start with http:// or https://")]
    NotHttpUrl { name: String },
}

/// Reads a Claude Desktop configuration (`{"mcpServers": {"name": {...}}}`) into enabled configs,
/// in the document's order of names (sorted, since JSON objects have no order Parley can trust).
/// `make_id` gives each server its id (the caller's scheme, e.g. a fresh UUID).
///
/// A server is `{"command", "args"?, "env"?, "cwd"?}` (stdio) or `{"url", "headers"?}` (HTTP;
/// `"type"` is ignored). A server with `"disabled": true` is imported disabled. Unknown fields are
/// ignored, as Claude Desktop does.
pub fn parse_mcp_servers(
    document: &str,
    mut make_id: impl FnMut(&str) -> String,
) -> Result<Vec<ServerConfig>, ConfigError> {
    let value: serde_json::Value = serde_json::from_str(document)
        .map_err(|error| ConfigError::InvalidJson(error.to_string()))?;
    let servers = value
        .get("mcpServers")
        .and_then(serde_json::Value::as_object)
        .ok_or(ConfigError::MissingMcpServers)?;
    let mut names: Vec<&String> = servers.keys().collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let entry = servers
                .get(name)
                .and_then(serde_json::Value::as_object)
                .ok_or_else(|| ConfigError::NotAnObject { name: name.clone() })?;
            let transport = parse_transport(name, entry)?;
            let disabled = entry.get("disabled").and_then(serde_json::Value::as_bool) == Some(true);
            Ok(ServerConfig {
                id: make_id(name),
                name: name.clone(),
                transport,
                enabled: !disabled,
            })
        })
        .collect()
}

fn parse_transport(
    name: &str,
    entry: &serde_json::Map<String, serde_json::Value>,
) -> Result<Transport, ConfigError> {
    let wrong = |field: &'static str, expected: &'static str| ConfigError::WrongType {
        name: name.to_owned(),
        field,
        expected,
    };
    match (entry.get("command"), entry.get("url")) {
        (Some(_), Some(_)) => Err(ConfigError::BothCommandAndUrl {
            name: name.to_owned(),
        }),
        (None, None) => Err(ConfigError::NoCommandOrUrl {
            name: name.to_owned(),
        }),
        (Some(command), None) => {
            let command = command
                .as_str()
                .filter(|command| !command.trim().is_empty())
                .ok_or_else(|| wrong("command", "must be a non-empty string"))?;
            let args = match entry.get("args") {
                None | Some(serde_json::Value::Null) => Vec::new(),
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| wrong("args", "must be an array of strings"))?,
                Some(_) => return Err(wrong("args", "must be an array of strings")),
            };
            let env = string_map(entry.get("env"))
                .ok_or_else(|| wrong("env", "must map names to strings"))?;
            let cwd = match entry.get("cwd") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(cwd)) => Some(PathBuf::from(cwd)),
                Some(_) => return Err(wrong("cwd", "must be a string")),
            };
            Ok(Transport::Stdio {
                command: command.to_owned(),
                args,
                env,
                cwd,
            })
        }
        (None, Some(url)) => {
            let url = url
                .as_str()
                .ok_or_else(|| wrong("url", "must be a string"))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::NotHttpUrl {
                    name: name.to_owned(),
                });
            }
            let headers = string_map(entry.get("headers"))
                .ok_or_else(|| wrong("headers", "must map names to strings"))?;
            Ok(Transport::Http {
                url: url.to_owned(),
                headers,
            })
        }
    }
}

/// `None` (absent or null) is an empty map; anything but an object of strings is `None`.
fn string_map(value: Option<&serde_json::Value>) -> Option<BTreeMap<String, String>> {
    match value {
        None | Some(serde_json::Value::Null) => Some(BTreeMap::new()),
        Some(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(key, value)| value.as_str().map(|value| (key.clone(), value.to_owned())))
            .collect(),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(document: &str) -> Result<Vec<ServerConfig>, ConfigError> {
        parse_mcp_servers(document, |name| format!("id-{name}"))
    }

    #[test]
    fn claude_desktop_document_gives_stdio_and_http_configs() {
        let configs = parse(
            r#"{"mcpServers": {
                "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
                               "env": {"DEBUG": "1"}},
                "remote": {"type": "http", "url": "https://example.com/mcp", "headers": {"Authorization": "Bearer x"}},
                "off": {"command": "uvx", "disabled": true}
            }}"#,
        )
        .unwrap();
        let names: Vec<&str> = configs.iter().map(|config| config.name.as_str()).collect();
        assert_eq!(
            names,
            ["filesystem", "off", "remote"],
            "sorted by name for a stable import"
        );
        assert_eq!(configs[0].id, "id-filesystem");
        assert_eq!(
            configs[0].transport,
            Transport::Stdio {
                command: "npx".into(),
                args: vec![
                    "-y".into(),
                    "@modelcontextprotocol/server-filesystem".into(),
                    "/tmp".into()
                ],
                env: BTreeMap::from([("DEBUG".into(), "1".into())]),
                cwd: None,
            }
        );
        assert!(configs[0].enabled);
        assert!(
            !configs[1].enabled,
            "\"disabled\": true imports the server disabled"
        );
        assert_eq!(
            configs[2].transport,
            Transport::Http {
                url: "https://example.com/mcp".into(),
                headers: BTreeMap::from([("Authorization".into(), "Bearer x".into())]),
            }
        );
    }

    #[test]
    fn malformed_documents_say_what_is_wrong_and_where() {
        assert!(matches!(parse("{"), Err(ConfigError::InvalidJson(_))));
        assert_eq!(
            parse(r#"{"servers": {}}"#),
            Err(ConfigError::MissingMcpServers)
        );
        assert_eq!(
            parse(r#"{"mcpServers": {"a": 3}}"#),
            Err(ConfigError::NotAnObject { name: "a".into() })
        );
        assert_eq!(
            parse(r#"{"mcpServers": {"a": {"args": []}}}"#),
            Err(ConfigError::NoCommandOrUrl { name: "a".into() })
        );
        assert_eq!(
            parse(r#"{"mcpServers": {"a": {"command": "x", "url": "http://h"}}}"#),
            Err(ConfigError::BothCommandAndUrl { name: "a".into() })
        );
        assert_eq!(
            parse(r#"{"mcpServers": {"a": {"command": "x", "args": "-y"}}}"#),
            Err(ConfigError::WrongType {
                name: "a".into(),
                field: "args",
                expected: "must be an array of strings"
            })
        );
        assert_eq!(
            parse(r#"{"mcpServers": {"a": {"command": "x", "env": {"N": 1}}}}"#),
            Err(ConfigError::WrongType {
                name: "a".into(),
                field: "env",
                expected: "must map names to strings"
            })
        );
        assert_eq!(
            parse(r#"{"mcpServers": {"a": {"url": "ftp://h"}}}"#),
            Err(ConfigError::NotHttpUrl { name: "a".into() })
        );
        let message = parse(r#"{"mcpServers": {"a": {"command": ""}}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("\"a\"") && message.contains("command"),
            "{message}"
        );
    }

    #[test]
    fn config_round_trips_through_camel_case_json() {
        let config = ServerConfig {
            id: "1".into(),
            name: "fs".into(),
            transport: Transport::Stdio {
                command: "npx".into(),
                args: vec![],
                env: BTreeMap::new(),
                cwd: Some(PathBuf::from("/tmp")),
            },
            enabled: true,
        };
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(json["transport"]["type"], "stdio");
        assert_eq!(json["transport"]["cwd"], "/tmp");
        assert_eq!(
            serde_json::from_value::<ServerConfig>(json).unwrap(),
            config
        );
    }
}
