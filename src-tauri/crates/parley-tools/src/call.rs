//! One tool call: arguments in, content out, bounded by a timeout and a cancellation token.
//!
//! Every way a call can go wrong (timeout, cancel, a server that crashed or is not running, a
//! protocol error) becomes an `is_error` outcome with a sentence for the model and the user; the
//! caller never has to tell an exception from a result.

use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, ResourceContents};
use rmcp::service::{Peer, RoleClient, ServiceError};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// One piece of a tool's result, in the shape a `tool_result` block takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ToolContent {
    Text {
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    Image {
        media_type: String,
        data_base64: String,
    },
}

/// What a call gave, ready to be a `tool_result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolOutcome {
    pub content: Vec<ToolContent>,
    pub is_error: bool,
}

impl ToolOutcome {
    /// An error outcome with one text block.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            content: vec![ToolContent::Text {
                text: message.into(),
            }],
            is_error: true,
        }
    }

    /// The text blocks joined, for logs and tests.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|content| match content {
                ToolContent::Text { text } => Some(text.as_str()),
                ToolContent::Image { .. } => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Calls `tool_name` on `peer`. Dropping rmcp's call future (on timeout or cancel) makes rmcp
/// send `notifications/cancelled` for the request, so the server can stop its work too.
pub(crate) async fn call_tool(
    peer: &Peer<RoleClient>,
    tool_name: &str,
    arguments: serde_json::Value,
    timeout: Duration,
    cancel: &CancellationToken,
) -> ToolOutcome {
    let arguments = match arguments {
        serde_json::Value::Object(map) => Some(map),
        serde_json::Value::Null => None,
        _ => return ToolOutcome::error("the tool's input must be a JSON object"),
    };
    let mut params = CallToolRequestParams::new(tool_name.to_owned());
    if let Some(arguments) = arguments {
        params = params.with_arguments(arguments);
    }
    tokio::select! {
        result = peer.call_tool(params) => match result {
            Ok(result) => convert_result(result),
            Err(error) => ToolOutcome::error(describe_error(&error)),
        },
        () = tokio::time::sleep(timeout) => {
            ToolOutcome::error(format!("The tool did not answer within {} and was stopped.", describe_duration(timeout)))
        }
        () = cancel.cancelled() => ToolOutcome::error("The tool call was cancelled."),
    }
}

fn describe_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

fn describe_error(error: &ServiceError) -> String {
    match error {
        ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
            "The tool's server stopped during the call; it is being restarted.".to_owned()
        }
        ServiceError::McpError(error) => {
            format!("The tool's server refused the call: {}", error.message)
        }
        other => format!("The tool call failed: {other}"),
    }
}

fn convert_result(result: CallToolResult) -> ToolOutcome {
    let content = result
        .content
        .into_iter()
        .map(|block| match block {
            ContentBlock::Text(text) => ToolContent::Text { text: text.text },
            ContentBlock::Image(image) => ToolContent::Image {
                media_type: image.mime_type,
                data_base64: image.data,
            },
            // The API's tool_result takes text and images; other content is described in text
            // rather than dropped, so the model knows something came back.
            ContentBlock::Resource(resource) => ToolContent::Text {
                text: match resource.resource {
                    ResourceContents::TextResourceContents { text, .. } => text,
                    other => format!("[resource {}]", resource_uri(&other)),
                },
            },
            ContentBlock::ResourceLink(link) => ToolContent::Text {
                text: format!("[resource link {}]", link.uri),
            },
            ContentBlock::Audio(audio) => ToolContent::Text {
                text: format!("[audio, {}; not shown]", audio.mime_type),
            },
            _ => ToolContent::Text {
                text: "[content of a kind Parley cannot show]".to_owned(),
            },
        })
        .collect();
    ToolOutcome {
        content,
        is_error: result.is_error == Some(true),
    }
}

fn resource_uri(contents: &ResourceContents) -> String {
    serde_json::to_value(contents)
        .ok()
        .and_then(|value| {
            value
                .get("uri")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}
