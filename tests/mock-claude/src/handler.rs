//! One connection: read the request, decide the answer, write it, and stop writing as soon as
//! the client hangs up.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::cache;
use crate::generate::{
    Block, Reply, SIGNATURE_PREFIX, Usage, estimate_input_tokens, fixed_chunks, input_from_schema,
    message_json, signature_for, varied_chunks, word_chunks,
};
use crate::http::BodyWriter;
use crate::http::{self, ReadError, Request, head_bytes};
use crate::magic::{self, Magic};
use crate::sse::{End, StreamPlan, Style, write_endless, write_stream};
use crate::{NotFoundStyle, RecordedRequest, Scenario, Shared, WRONG_KEY, lock};

/// A client that sends no complete request within this time is disconnected.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to keep draining a request that was refused before it was read whole.
const LINGER: Duration = Duration::from_secs(2);
/// Images larger than this (counted on the base64 string) are refused, as by the API.
const MAX_IMAGE_BASE64: usize = 5 * 1024 * 1024;
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// What to send back.
pub(crate) enum Plan {
    /// A response with a complete (or, with `cut_at`, deliberately truncated) body.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay_ms: u64,
        cut_at: Option<usize>,
    },
    /// An SSE stream.
    Stream(Box<StreamPlan>),
    /// A close-delimited body: `prefix`, then `x`s until the client hangs up (or
    /// [`magic::ENDLESS_MAX_BYTES`]).
    Endless {
        status: u16,
        headers: Vec<(String, String)>,
        prefix: Vec<u8>,
    },
}

impl Plan {
    fn describe(&self) -> String {
        match self {
            Plan::Full { status, cut_at, .. } => match cut_at {
                Some(at) => format!("{status} json cut at byte {at}"),
                None => format!("{status} json"),
            },
            Plan::Endless { status, .. } => format!("{status} endless body"),
            Plan::Stream(plan) => {
                let end = match &plan.end {
                    End::Complete => "complete".to_string(),
                    End::Drop => "dropped".to_string(),
                    End::Error { error_type, .. } => format!("then error {error_type}"),
                    End::EndlessLine => "then an endless line".to_string(),
                };
                format!("200 stream {end}")
            }
        }
    }
}

pub(crate) async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    // Every write should leave at once: the point is to control segment boundaries.
    let _ = stream.set_nodelay(true);
    let (mut rd, mut wr) = stream.into_split();
    let read = tokio::time::timeout(REQUEST_TIMEOUT, http::read_request(&mut rd, &mut wr)).await;
    let n = match &read {
        Err(_) | Ok(Err(ReadError::Gone)) => return,
        Ok(_) => shared.next_request_number(),
    };
    let rid = format!("req_mock_{n}");
    // When the request could not be read whole, unread bytes may still be arriving; closing
    // over them would reset the connection and could destroy the error response in flight.
    let linger = matches!(read, Ok(Err(_)));
    let (plan, label) = match read {
        Err(_) | Ok(Err(ReadError::Gone)) => return,
        Ok(Err(ReadError::Malformed(msg))) => (
            error_plan(400, "invalid_request_error", &msg, &rid),
            "(malformed request)".to_string(),
        ),
        Ok(Err(ReadError::HeadTooLarge)) => (
            error_plan(
                431,
                "invalid_request_error",
                "request headers too large",
                &rid,
            ),
            "(head too large)".to_string(),
        ),
        Ok(Err(ReadError::BodyTooLarge)) => (
            error_plan(
                413,
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes.",
                &rid,
            ),
            "(body too large)".to_string(),
        ),
        Ok(Ok(request)) => {
            let label = format!("{} {}", request.method, request.path);
            let plan = plan_for(&shared, &request, n, &rid);
            shared.record(RecordedRequest {
                method: request.method,
                path: request.path,
                query: request.query,
                headers: request.headers,
                body: request.body,
                request_id: rid.clone(),
                received_at: std::time::Instant::now(),
            });
            (plan, label)
        }
    };
    if shared.logging() {
        eprintln!("[mock-claude] {label} -> {} ({rid})", plan.describe());
    }

    let outcome = tokio::select! {
        written = execute(&plan, &mut wr, &rid) => match written {
            Ok(()) => "sent",
            Err(_) => "write failed",
        },
        () = http::wait_for_peer_close(&mut rd) => "client closed the connection",
    };
    if shared.logging() && outcome != "sent" {
        eprintln!("[mock-claude] {rid}: {outcome}");
    }
    let _ = wr.shutdown().await;
    if linger {
        let _ = tokio::time::timeout(LINGER, http::wait_for_peer_close(&mut rd)).await;
    }
}

async fn execute(plan: &Plan, wr: &mut OwnedWriteHalf, rid: &str) -> std::io::Result<()> {
    match plan {
        Plan::Full {
            status,
            headers,
            body,
            delay_ms,
            cut_at,
        } => {
            if *delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
            }
            let mut headers = headers.clone();
            let has = |headers: &[(String, String)], name: &str| {
                headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
            };
            if !has(&headers, "request-id") {
                headers.push(("request-id".into(), rid.into()));
            }
            if !has(&headers, "content-length") && !has(&headers, "transfer-encoding") {
                headers.push(("content-length".into(), body.len().to_string()));
            }
            if !has(&headers, "connection") {
                headers.push(("connection".into(), "close".into()));
            }
            let mut bytes = head_bytes(*status, &headers);
            let end = cut_at.unwrap_or(body.len()).min(body.len());
            bytes.extend_from_slice(&body[..end]);
            wr.write_all(&bytes).await
        }
        Plan::Stream(stream) => write_stream(wr, stream, rid).await,
        Plan::Endless {
            status,
            headers,
            prefix,
        } => {
            let mut headers = headers.clone();
            headers.push(("request-id".into(), rid.into()));
            headers.push(("connection".into(), "close".into()));
            let mut bytes = head_bytes(*status, &headers);
            bytes.extend_from_slice(prefix);
            wr.write_all(&bytes).await?;
            let mut body = BodyWriter::new(wr, false);
            write_endless(&mut body).await
        }
    }
}

fn json_plan(status: u16, body: &Value, extra_headers: Vec<(String, String)>) -> Plan {
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    headers.extend(extra_headers);
    Plan::Full {
        status,
        headers,
        body: body.to_string().into_bytes(),
        delay_ms: 0,
        cut_at: None,
    }
}

fn error_body(error_type: &str, message: &str, rid: &str) -> Value {
    json!({
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": rid,
    })
}

fn error_plan(status: u16, error_type: &str, message: &str, rid: &str) -> Plan {
    json_plan(status, &error_body(error_type, message, rid), Vec::new())
}

fn invalid(message: impl AsRef<str>, rid: &str) -> Plan {
    error_plan(400, "invalid_request_error", message.as_ref(), rid)
}

fn plan_for(shared: &Shared, req: &Request, n: u64, rid: &str) -> Plan {
    let result = match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v1/messages") => messages(shared, req, n, rid),
        ("POST", "/v1/messages/count_tokens") if shared.count_tokens_enabled() => {
            count_tokens(shared, req, rid)
        }
        ("GET", "/v1/models") if shared.models_enabled() => models(shared, req, rid),
        (method, path) => Err(not_found(shared.not_found_style(), method, path, rid)),
    };
    result.unwrap_or_else(|plan| plan)
}

/// The answer for a route the mock does not serve (or was told not to, like a gateway without
/// `count_tokens` or `/v1/models`).
fn not_found(style: NotFoundStyle, method: &str, path: &str, rid: &str) -> Plan {
    match style {
        NotFoundStyle::Api => error_plan(
            404,
            "not_found_error",
            &format!(
                "Not found: {method} {path} (the mock serves /v1/messages, /v1/messages/count_tokens and /v1/models)"
            ),
            rid,
        ),
        NotFoundStyle::Gateway => json_plan(
            200,
            &json!({
                "code": 404,
                "error": {
                    "message": format!("Invalid URL ({method} {path})"),
                    "type": "invalid_request_error",
                },
            }),
            Vec::new(),
        ),
    }
}

fn check_headers(req: &Request, rid: &str) -> Result<(), Plan> {
    let auth = |message: &str| error_plan(401, "authentication_error", message, rid);
    if req.header("origin").is_some()
        && req.header("anthropic-dangerous-direct-browser-access") != Some("true")
    {
        return Err(auth(
            "CORS requests must set 'anthropic-dangerous-direct-browser-access' header",
        ));
    }
    let non_empty = |v: &str| !v.is_empty();
    let key = req
        .header("x-api-key")
        .map(str::trim)
        .filter(|v| non_empty(v))
        .or_else(|| {
            let value = req.header("authorization")?;
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim())
                .filter(|v| non_empty(v))
        });
    match key {
        None => return Err(auth("x-api-key header is required")),
        Some(WRONG_KEY) => return Err(auth("invalid x-api-key")),
        Some(_) => {}
    }
    if req
        .header("anthropic-version")
        .is_none_or(|v| v.trim().is_empty())
    {
        return Err(invalid("anthropic-version: header is required", rid));
    }
    Ok(())
}

fn parse_body(shared: &Shared, req: &Request, rid: &str) -> Result<Value, Plan> {
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|e| invalid(format!("Request body is not valid JSON: {e}"), rid))?;
    if !body.is_object() {
        return Err(invalid("Request body must be a JSON object", rid));
    }
    // A gateway that does not know prompt caching validates the body against a schema without
    // `cache_control`, and refuses the field wherever it appears.
    if shared.cache_control_rejected()
        && let Some(path) = cache::first_cache_control(&body)
    {
        return Err(invalid(
            format!("{path}: Extra inputs are not permitted"),
            rid,
        ));
    }
    Ok(body)
}

/// Checks what the API checks and a client is likely to get wrong, with the API's wording
/// where it is known.
fn validate(body: &Value, for_messages: bool) -> Result<(), String> {
    match body.get("model") {
        None => return Err("model: Field required".into()),
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(_) => return Err("model: Input should be a non-empty string".into()),
    }
    let max_tokens = if for_messages {
        match body.get("max_tokens") {
            None => return Err("max_tokens: Field required".into()),
            Some(v) => match v.as_i64() {
                None => return Err("max_tokens: Input should be a valid integer".into()),
                Some(m) if m < 1 => {
                    return Err("max_tokens: Input should be greater than or equal to 1".into());
                }
                Some(m) => Some(m),
            },
        }
    } else {
        None
    };
    if let Some(v) = body.get("stream")
        && !v.is_boolean()
    {
        return Err("stream: Input should be a valid boolean".into());
    }
    for key in ["temperature", "top_p"] {
        if let Some(v) = body.get(key) {
            match v.as_f64() {
                None => return Err(format!("{key}: Input should be a valid number")),
                Some(x) if x < 0.0 => {
                    return Err(format!("{key}: Input should be greater than or equal to 0"));
                }
                Some(x) if x > 1.0 => {
                    return Err(format!("{key}: Input should be less than or equal to 1"));
                }
                Some(_) => {}
            }
        }
    }
    if let Some(v) = body.get("top_k") {
        match v.as_i64() {
            None => return Err("top_k: Input should be a valid integer".into()),
            Some(k) if k < 0 => {
                return Err("top_k: Input should be greater than or equal to 0".into());
            }
            Some(_) => {}
        }
    }
    if body.get("temperature").is_some() && body.get("top_p").is_some() {
        return Err(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
                .into(),
        );
    }
    if let Some(stops) = body.get("stop_sequences") {
        let Some(list) = stops.as_array() else {
            return Err("stop_sequences: Input should be a valid list".into());
        };
        if list.len() > 4 {
            return Err("stop_sequences: List should have at most 4 items".into());
        }
        if !list.iter().all(Value::is_string) {
            return Err("stop_sequences: Input should be a list of strings".into());
        }
    }
    match body.get("system") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(blocks))
            if blocks
                .iter()
                .all(|b| b.get("type").and_then(Value::as_str) == Some("text")) => {}
        Some(_) => return Err("system: Input should be a string or a list of text blocks".into()),
    }
    if let Some(thinking) = body.get("thinking")
        && thinking.get("type").and_then(Value::as_str) == Some("enabled")
    {
        let budget = thinking.get("budget_tokens").and_then(Value::as_i64);
        match budget {
            None => return Err("thinking.enabled.budget_tokens: Field required".into()),
            Some(b) if b < 1024 => {
                return Err(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
                        .into(),
                );
            }
            Some(b) if max_tokens.is_some_and(|m| m <= b) => {
                return Err("`max_tokens` must be greater than `thinking.budget_tokens`".into());
            }
            Some(_) => {}
        }
        check_thinking_compatibility(body)?;
    }
    validate_messages(body.get("messages"))?;
    validate_tools(body)?;
    cache::validate_cache_control(body)
}

/// Custom tools need a valid, unique name and an `input_schema`; a named `tool_choice` must
/// name one of the tools.
fn validate_tools(body: &Value) -> Result<(), String> {
    let tools = match body.get("tools") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(tools)) => tools,
        Some(_) => return Err("tools: Input should be a valid list".into()),
    };
    let mut names: Vec<&str> = Vec::new();
    for (i, tool) in tools.iter().enumerate() {
        let custom = matches!(
            tool.get("type").and_then(Value::as_str),
            None | Some("custom")
        );
        let name = tool.get("name").and_then(Value::as_str);
        if custom {
            let Some(name) = name else {
                return Err(format!("tools.{i}.custom.name: Field required"));
            };
            let valid = (1..=128).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid {
                return Err(format!(
                    "tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
                ));
            }
            if tool.get("input_schema").is_none() {
                return Err(format!("tools.{i}.custom.input_schema: Field required"));
            }
        }
        if let Some(name) = name {
            if names.contains(&name) {
                return Err("tools: Tool names must be unique.".into());
            }
            names.push(name);
        }
    }
    let Some(choice) = body.get("tool_choice").filter(|c| !c.is_null()) else {
        return Ok(());
    };
    if !choice.is_object() {
        return Err(
            "tool_choice: Input should be a valid dictionary or object to extract fields from"
                .into(),
        );
    }
    match choice.get("type").and_then(Value::as_str) {
        Some("auto" | "any" | "none") => Ok(()),
        Some("tool") => match choice.get("name").and_then(Value::as_str) {
            None => Err("tool_choice.tool.name: Field required".into()),
            Some(name) if !names.contains(&name) => {
                Err(format!("Tool '{name}' not found in provided tools"))
            }
            Some(_) => Ok(()),
        },
        Some(other) => Err(format!(
            "tool_choice: Input tag '{other}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"
        )),
        None => Err("tool_choice: Unable to extract tag using discriminator 'type'".into()),
    }
}

/// Where the API's thinking errors send the reader; part of their wording.
const THINKING_DOCS: &str = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking";

/// Extended thinking samples with its own settings and decides itself whether to call a tool, so
/// the API refuses sampling changes and forced tool use next to `thinking: enabled`. A client
/// that offers both must drop or block them, and the mock makes it notice when it does not.
fn check_thinking_compatibility(body: &Value) -> Result<(), String> {
    if body
        .get("temperature")
        .and_then(Value::as_f64)
        .is_some_and(|t| t != 1.0)
    {
        return Err(format!(
            "`temperature` may only be set to 1 when thinking is enabled. {THINKING_DOCS}"
        ));
    }
    if body.get("top_k").is_some() {
        return Err(format!(
            "`top_k` must be unset when thinking is enabled. {THINKING_DOCS}"
        ));
    }
    if body
        .get("top_p")
        .and_then(Value::as_f64)
        .is_some_and(|p| p < 0.95)
    {
        return Err(format!(
            "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. {THINKING_DOCS}"
        ));
    }
    let forced = body
        .pointer("/tool_choice/type")
        .and_then(Value::as_str)
        .is_some_and(|t| matches!(t, "any" | "tool"));
    if forced {
        return Err("Thinking may not be enabled when tool_choice forces tool use.".into());
    }
    Ok(())
}

fn validate_messages(messages: Option<&Value>) -> Result<(), String> {
    let Some(messages) = messages else {
        return Err("messages: Field required".into());
    };
    let Some(messages) = messages.as_array() else {
        return Err("messages: Input should be a valid list".into());
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let count = messages.len();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str);
        if !matches!(role, Some("user" | "assistant")) {
            return Err(format!(
                "messages.{i}.role: Input should be 'user' or 'assistant'"
            ));
        }
        let final_assistant = i + 1 == count && role == Some("assistant");
        match message.get("content") {
            Some(Value::String(s)) => {
                if s.is_empty() && !final_assistant {
                    return Err(format!(
                        "messages.{i}: all messages must have non-empty content except for the optional final assistant message"
                    ));
                }
            }
            Some(Value::Array(blocks)) => {
                if blocks.is_empty() && !final_assistant {
                    return Err(format!(
                        "messages.{i}: all messages must have non-empty content except for the optional final assistant message"
                    ));
                }
                for (j, block) in blocks.iter().enumerate() {
                    validate_block(block, i, j, role == Some("assistant"))?;
                }
            }
            None => return Err(format!("messages.{i}.content: Field required")),
            Some(_) => {
                return Err(format!(
                    "messages.{i}.content: Input should be a valid string or list of content blocks"
                ));
            }
        }
        if final_assistant && ends_with_whitespace(&message["content"]) {
            return Err(
                "messages: final assistant content cannot end with trailing whitespace".into(),
            );
        }
    }
    if messages[0].get("role").and_then(Value::as_str) != Some("user") {
        return Err("messages: first message must use the \"user\" role".into());
    }
    validate_tool_pairs(messages)
}

/// Whether a prefill's text ends with whitespace, which the API refuses (the model would have to
/// continue from inside its own tokenisation of the spaces).
fn ends_with_whitespace(content: &Value) -> bool {
    let last_text = match content {
        Value::String(s) => Some(s.as_str()),
        Value::Array(blocks) => blocks
            .last()
            .filter(|b| b["type"] == "text")
            .and_then(|b| b["text"].as_str()),
        _ => None,
    };
    last_text.is_some_and(|t| t.ends_with(char::is_whitespace))
}

fn validate_block(block: &Value, i: usize, j: usize, assistant: bool) -> Result<(), String> {
    let Some(ty) = block.get("type").and_then(Value::as_str) else {
        return Err(format!("messages.{i}.content.{j}.type: Field required"));
    };
    match ty {
        "text" if !block.get("text").is_some_and(Value::is_string) => {
            return Err(format!("messages.{i}.content.{j}.text: Field required"));
        }
        "image" => {
            let source = block.get("source");
            match source.and_then(|s| s.get("type")).and_then(Value::as_str) {
                Some("base64") => {
                    let media_type = source
                        .and_then(|s| s.get("media_type"))
                        .and_then(Value::as_str);
                    if !media_type.is_some_and(|m| IMAGE_TYPES.contains(&m)) {
                        return Err(format!(
                            "messages.{i}.content.{j}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
                        ));
                    }
                    let len = source
                        .and_then(|s| s.get("data"))
                        .and_then(Value::as_str)
                        .map(str::len);
                    match len {
                        None => {
                            return Err(format!(
                                "messages.{i}.content.{j}.image.source.base64.data: Field required"
                            ));
                        }
                        Some(len) if len > MAX_IMAGE_BASE64 => {
                            return Err(format!(
                                "messages.{i}.content.{j}.image.source.base64: image exceeds 5 MB maximum: {len} bytes > {MAX_IMAGE_BASE64} bytes"
                            ));
                        }
                        Some(_) => {}
                    }
                }
                Some("url") => {
                    if !source
                        .and_then(|s| s.get("url"))
                        .is_some_and(Value::is_string)
                    {
                        return Err(format!(
                            "messages.{i}.content.{j}.image.source.url.url: Field required"
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "messages.{i}.content.{j}.image.source: Input tag should be 'base64' or 'url'"
                    ));
                }
            }
        }
        "thinking" if assistant => {
            let thinking = block.get("thinking").and_then(Value::as_str).unwrap_or("");
            let signature = block.get("signature").and_then(Value::as_str).unwrap_or("");
            let altered =
                signature.starts_with(SIGNATURE_PREFIX) && signature != signature_for(thinking);
            if signature.is_empty() || altered {
                return Err(format!(
                    "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

fn blocks_of<'a>(message: &'a Value, ty: &'a str) -> impl Iterator<Item = (usize, &'a Value)> {
    message
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(move |(_, b)| b.get("type").and_then(Value::as_str) == Some(ty))
}

/// Every `tool_use` must be answered by a `tool_result` in the next message, and every
/// `tool_result` must answer a `tool_use` of the previous message.
fn validate_tool_pairs(messages: &[Value]) -> Result<(), String> {
    let id_of = |b: &Value, key: &str| b.get(key).and_then(Value::as_str).map(str::to_string);
    // Unknown results are reported before unanswered calls: the more specific mistake.
    for (i, message) in messages.iter().enumerate() {
        let asked: Vec<String> = match i.checked_sub(1) {
            Some(previous) => blocks_of(&messages[previous], "tool_use")
                .filter_map(|(_, b)| id_of(b, "id"))
                .collect(),
            None => Vec::new(),
        };
        for (j, result) in blocks_of(message, "tool_result") {
            let id = id_of(result, "tool_use_id").unwrap_or_default();
            if !asked.contains(&id) {
                return Err(format!(
                    "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                ));
            }
        }
    }
    for (i, pair) in messages.windows(2).enumerate() {
        let answered: Vec<String> = blocks_of(&pair[1], "tool_result")
            .filter_map(|(_, b)| id_of(b, "tool_use_id"))
            .collect();
        let missing: Vec<String> = blocks_of(&pair[0], "tool_use")
            .filter_map(|(_, b)| id_of(b, "id"))
            .filter(|id| !answered.contains(id))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                missing.join(", ")
            ));
        }
    }
    Ok(())
}

fn count_tokens(shared: &Shared, req: &Request, rid: &str) -> Result<Plan, Plan> {
    check_headers(req, rid)?;
    let body = parse_body(shared, req, rid)?;
    validate(&body, false).map_err(|m| invalid(m, rid))?;
    Ok(json_plan(
        200,
        &json!({"input_tokens": estimate_input_tokens(&body)}),
        Vec::new(),
    ))
}

fn models(shared: &Shared, req: &Request, rid: &str) -> Result<Plan, Plan> {
    check_headers(req, rid)?;
    let page = crate::models::page(&lock(&shared.models), req.query.as_deref())
        .map_err(|m| invalid(m, rid))?;
    Ok(json_plan(200, &page, Vec::new()))
}

/// What the request asked for that shapes the answer.
struct Ctx {
    n: u64,
    model: String,
    usage: Usage,
    stream: bool,
    wrap: bool,
    thinking: bool,
    max_tokens: u64,
    stop_sequences: Vec<String>,
    /// The text of a final assistant message, which the reply continues.
    prefill: Option<String>,
    style: Style,
    framing_explicit: bool,
    /// The names of the request's `tools`, in order.
    tool_names: Vec<String>,
    tool_choice: ToolChoice,
    /// False with `tool_choice.disable_parallel_tool_use: true`.
    parallel_tools: bool,
    /// An `anthropic-beta` header names `interleaved-thinking`: every reply of a tool loop
    /// thinks first (with thinking on), not only the loop's first reply.
    interleaved_thinking: bool,
}

/// The request's `tool_choice` (validated before it is read).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ToolChoice {
    Auto,
    Any,
    Tool(String),
    None,
}

impl ToolChoice {
    fn of(body: &Value) -> Self {
        match body.pointer("/tool_choice/type").and_then(Value::as_str) {
            Some("any") => ToolChoice::Any,
            Some("none") => ToolChoice::None,
            Some("tool") => ToolChoice::Tool(
                body.pointer("/tool_choice/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            _ => ToolChoice::Auto,
        }
    }

    fn forced(&self) -> bool {
        matches!(self, ToolChoice::Any | ToolChoice::Tool(_))
    }
}

/// The answer before it is framed as SSE or JSON.
enum Outcome {
    Message {
        reply: Reply,
        end: End,
        delay_ms: u64,
        wrapped: bool,
    },
    Error {
        status: u16,
        error_type: String,
        message: String,
        retry_after: Option<u64>,
    },
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

fn message(reply: Reply, delay_ms: u64) -> Outcome {
    Outcome::Message {
        reply,
        end: End::Complete,
        delay_ms,
        wrapped: false,
    }
}

fn style_for(req: &Request, n: u64) -> (Style, bool) {
    let framing = req.header("x-mock-framing");
    let chunked = match framing {
        Some("chunked") => true,
        Some("close") => false,
        _ => n.is_multiple_of(2),
    };
    let eol = match req.header("x-mock-eol") {
        Some("lf") => "\n",
        Some("crlf") => "\r\n",
        Some("cr") => "\r",
        _ if n.is_multiple_of(3) => "\r\n",
        _ => "\n",
    };
    let style = Style {
        chunked,
        eol,
        space_after_colon: n % 5 != 2,
        multiline_data: n % 4 == 1,
        split_writes: req.header("x-mock-split") != Some("0"),
        keepalives: true,
    };
    (style, matches!(framing, Some("chunked" | "close")))
}

fn messages(shared: &Shared, req: &Request, n: u64, rid: &str) -> Result<Plan, Plan> {
    check_headers(req, rid)?;
    let body = parse_body(shared, req, rid)?;
    validate(&body, true).map_err(|m| invalid(m, rid))?;

    let model = body["model"].as_str().unwrap_or_default().to_string();
    let thinking_enabled =
        body.pointer("/thinking/type").and_then(Value::as_str) == Some("enabled");
    let (style, framing_explicit) = style_for(req, n);
    let mut ctx = Ctx {
        n,
        usage: Usage::plain(estimate_input_tokens(&body)),
        stream: body.get("stream").and_then(Value::as_bool) == Some(true),
        wrap: req.header("x-mock-wrap") == Some("1"),
        thinking: model.ends_with("-thinking") || thinking_enabled,
        max_tokens: body["max_tokens"].as_u64().unwrap_or(1),
        stop_sequences: body
            .get("stop_sequences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        prefill: prefill_text(&body),
        model,
        style,
        framing_explicit,
        tool_names: body["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .collect(),
        tool_choice: ToolChoice::of(&body),
        parallel_tools: body.pointer("/tool_choice/disable_parallel_tool_use")
            != Some(&json!(true)),
        interleaved_thinking: req
            .headers
            .iter()
            .any(|(k, v)| k == "anthropic-beta" && v.contains("interleaved-thinking")),
    };
    let boundaries = cache::boundaries(&body);
    let (usage, cached_prefixes) = shared.account_prompt_cache(&boundaries, ctx.usage.input_tokens);
    ctx.usage = usage;
    let outcome = match shared.next_scenario() {
        Some(scenario) => from_scenario(scenario, &ctx),
        None => from_magic(shared, &body, &ctx),
    };
    // Only a request that is answered with a message gets its prompt processed, and cached.
    if matches!(outcome, Outcome::Message { .. }) {
        shared.remember_prompt_prefixes(cached_prefixes);
    }
    Ok(render(outcome, &ctx, rid))
}

fn from_scenario(scenario: Scenario, ctx: &Ctx) -> Outcome {
    match scenario {
        Scenario::Reply {
            text,
            chunk_chars,
            delay_ms_between_chunks,
        } => message(
            Reply::new(vec![Block::text(fixed_chunks(&text, chunk_chars))]),
            delay_ms_between_chunks,
        ),
        Scenario::Thinking { thinking, text } => message(
            Reply::new(vec![
                Block::thinking(&thinking),
                Block::text(varied_chunks(&text)),
            ]),
            0,
        ),
        Scenario::ToolUse {
            name,
            input,
            text_before,
        } => {
            let mut blocks = Vec::new();
            if !text_before.is_empty() {
                blocks.push(Block::text(varied_chunks(&text_before)));
            }
            blocks.push(Block::tool_use(tool_use_id(ctx.n), name, input));
            message(Reply::new(blocks), 0)
        }
        Scenario::HttpError {
            status,
            error_type,
            message,
            retry_after,
        } => Outcome::Error {
            status,
            error_type,
            message,
            retry_after,
        },
        Scenario::MidStreamError {
            text_before,
            error_type,
        } => Outcome::Message {
            reply: Reply::new(vec![Block::text(varied_chunks(&text_before))]),
            end: End::Error {
                message: error_message_for_type(&error_type).to_string(),
                error_type,
            },
            delay_ms: 5,
            wrapped: false,
        },
        Scenario::Drop { text_before } => Outcome::Message {
            reply: Reply::new(vec![Block::text(varied_chunks(&text_before))]),
            end: End::Drop,
            delay_ms: 5,
            wrapped: false,
        },
        Scenario::Slow {
            text,
            delay_ms_between_chunks,
        } => message(
            Reply::new(vec![Block::text(varied_chunks(&text))]),
            delay_ms_between_chunks,
        ),
        Scenario::Wrapped { text } => Outcome::Message {
            reply: Reply::new(vec![Block::text(vec![text])]),
            end: End::Complete,
            delay_ms: 0,
            wrapped: true,
        },
        Scenario::Raw {
            status,
            headers,
            body,
        } => Outcome::Raw {
            status,
            headers,
            body,
        },
        Scenario::Redirect { status, location } => redirect(status, location),
        Scenario::EndlessLine { text_before } => endless_line(&text_before),
        Scenario::Huge {
            tokens,
            tokens_per_event,
        } => message(
            Reply::new(vec![Block::Huge {
                tokens,
                per_event: tokens_per_event,
                per_second: 0,
            }]),
            0,
        ),
    }
}

fn redirect(status: u16, location: String) -> Outcome {
    Outcome::Raw {
        status,
        headers: vec![("location".to_string(), location)],
        body: Vec::new(),
    }
}

fn endless_line(text_before: &str) -> Outcome {
    Outcome::Message {
        reply: Reply::new(vec![Block::text(varied_chunks(text_before))]),
        end: End::EndlessLine,
        delay_ms: 0,
        wrapped: false,
    }
}

fn error_message_for_type(error_type: &str) -> &'static str {
    magic::error_message_for_status(magic::status_for_error_type(error_type))
}

fn tool_use_id(n: u64) -> String {
    format!("toolu_mock_{n:08}")
}

/// The text of the last user message: its text blocks joined with `\n`, or, when it has none
/// (a tool-result turn), the text of its tool results.
pub(crate) fn last_user_text(body: &Value) -> String {
    let Some(message) = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
    else {
        return String::new();
    };
    let content = &message["content"];
    let direct = user_texts(content);
    if !direct.is_empty() {
        return direct.join("\n");
    }
    content
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "tool_result")
        .flat_map(|b| user_texts(&b["content"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The texts of a message's content: the string itself, or its text blocks.
fn user_texts(content: &Value) -> Vec<String> {
    match content {
        Value::String(s) => vec![s.clone()],
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The image blocks of the last user message (also inside its tool results), each described as
/// `image/png 640x400` (media type and the pixel size decoded from the data) or `url <address>`,
/// so tests of the real app can see exactly what reached the API.
fn last_user_images(body: &Value) -> Vec<String> {
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            Value::Object(map) if map.get("type").and_then(Value::as_str) == Some("image") => {
                out.push(describe_image(&v["source"]));
            }
            Value::Object(map) => {
                if let Some(content) = map.get("content") {
                    collect(content, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(message) = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
    {
        collect(&message["content"], &mut out);
    }
    out
}

fn describe_image(source: &Value) -> String {
    use base64::Engine;
    if source["type"] == "url" {
        return format!("url {}", source["url"].as_str().unwrap_or_default());
    }
    let media_type = source["media_type"].as_str().unwrap_or("unknown");
    let size = source["data"]
        .as_str()
        .and_then(|data| base64::engine::general_purpose::STANDARD.decode(data).ok())
        .and_then(|bytes| {
            image::ImageReader::new(std::io::Cursor::new(bytes))
                .with_guessed_format()
                .ok()?
                .into_dimensions()
                .ok()
        });
    match size {
        Some((width, height)) => format!("{media_type} {width}x{height}"),
        None => format!("{media_type} undecodable"),
    }
}

/// The tool a `[[tool]]` reply calls: the one `tool_choice` names, else the request's first
/// tool, else a built-in `get_weather`.
fn pick_tool(body: &Value) -> (String, Value) {
    let tools: Vec<&Value> = body["tools"].as_array().into_iter().flatten().collect();
    let chosen = match body.pointer("/tool_choice/name").and_then(Value::as_str) {
        Some(name) => tools.iter().find(|t| t["name"] == name).copied(),
        None => tools.first().copied(),
    };
    let Some(tool) = chosen else {
        return (
            "get_weather".into(),
            json!({"location": "Paris, France", "unit": "celsius"}),
        );
    };
    let name = tool["name"].as_str().unwrap_or("tool").to_string();
    let kind = tool["type"].as_str().unwrap_or("custom");
    let input = if let Some(schema) = tool.get("input_schema") {
        input_from_schema(schema)
    } else if kind.starts_with("bash") {
        json!({"command": "echo mock"})
    } else if kind.starts_with("text_editor") {
        json!({"command": "view", "path": "/tmp/mock.txt"})
    } else if kind.starts_with("computer") {
        json!({"action": "screenshot"})
    } else {
        json!({})
    };
    (name, input)
}

fn from_magic(shared: &Shared, body: &Value, ctx: &Ctx) -> Outcome {
    // The next round of a scripted tool loop: the word is in the message that opened it.
    if let Some(round) = tool_round(body)
        && let Some(Magic::ToolCalls { calls, rounds }) = magic::parse(&round.opening_text)
    {
        return next_tool_round(&calls, rounds, &round, ctx);
    }
    let text = last_user_text(body);
    // Replies of a thinking model (or with thinking enabled) start with a thinking block.
    let with_thinking = |blocks: Vec<Block>| {
        let thought = ctx.thinking.then(|| thought_about(&text));
        thinking_first(thought.as_deref(), blocks)
    };
    let text_reply = |full: String, tokenize: fn(&str) -> Vec<String>, stop_reason: &str| {
        let answer = TextAnswer {
            full,
            tokenize,
            stop_reason: stop_reason.to_string(),
        };
        answer.continue_for(ctx, with_thinking)
    };
    match magic::parse(&text) {
        Some(Magic::Drop) => Outcome::Message {
            reply: Reply::new(vec![Block::text(varied_chunks(magic::DROP_TEXT))]),
            end: End::Drop,
            delay_ms: 10,
            wrapped: false,
        },
        Some(Magic::MidstreamError) => Outcome::Message {
            reply: Reply::new(vec![Block::text(varied_chunks(magic::MIDSTREAM_TEXT))]),
            end: End::Error {
                error_type: "overloaded_error".into(),
                message: "Overloaded".into(),
            },
            delay_ms: 10,
            wrapped: false,
        },
        Some(Magic::Http(status)) => Outcome::Error {
            status,
            error_type: magic::error_type_for_status(status).into(),
            message: magic::error_message_for_status(status).into(),
            retry_after: matches!(status, 429 | 529).then_some(0),
        },
        Some(Magic::Flaky(failures)) if shared.flaky_hit(&text) < failures => Outcome::Error {
            status: 529,
            error_type: "overloaded_error".into(),
            message: "Overloaded".into(),
            retry_after: Some(0),
        },
        Some(Magic::Slow) => message(
            with_thinking(vec![Block::text(
                (0..magic::SLOW_CHUNKS).map(magic::slow_chunk).collect(),
            )]),
            magic::SLOW_DELAY_MS,
        ),
        Some(Magic::Thinking) => message(
            Reply::new(vec![
                Block::thinking(magic::THINKING_TEXT),
                Block::text(varied_chunks(magic::THINKING_ANSWER)),
            ]),
            5,
        ),
        Some(Magic::Tool) if ctx.tool_choice == ToolChoice::None => {
            let (name, _) = pick_tool(body);
            text_reply(
                magic::tool_choice_none_text(&[&name]),
                varied_chunks,
                "end_turn",
            )
        }
        Some(Magic::Tool) => {
            let (name, input) = pick_tool(body);
            let intro = format!("Let me use the {name} tool.");
            message(
                with_thinking(vec![
                    Block::text(varied_chunks(&intro)),
                    Block::tool_use(tool_use_id(ctx.n), name, input),
                ]),
                5,
            )
        }
        Some(Magic::Markdown) => {
            text_reply(magic::MARKDOWN_REPLY.into(), varied_chunks, "end_turn")
        }
        Some(Magic::Xss) => text_reply(magic::XSS_REPLY.into(), varied_chunks, "end_turn"),
        Some(Magic::Long(words)) => text_reply(magic::long_text(words), word_chunks, "end_turn"),
        // A paused turn is continued by sending its content back as a prefill; only the first
        // leg pauses.
        Some(Magic::Pause) if ctx.prefill.is_none() => {
            text_reply(magic::PAUSE_TEXT.into(), varied_chunks, "pause_turn")
        }
        Some(Magic::Pause) => text_reply(
            format!("{}{}", magic::PAUSE_TEXT, magic::PAUSE_REST),
            varied_chunks,
            "end_turn",
        ),
        Some(Magic::Refusal) => text_reply(magic::REFUSAL_TEXT.into(), varied_chunks, "refusal"),
        Some(Magic::StopReason(reason)) => {
            text_reply(magic::STOP_REASON_TEXT.into(), varied_chunks, &reason)
        }
        Some(Magic::Redirect(status)) => redirect(status, magic::REDIRECT_TARGET.to_string()),
        Some(Magic::EndlessLine) => endless_line(magic::ENDLESS_TEXT),
        Some(Magic::Huge(tokens)) => message(
            Reply::new(vec![Block::Huge {
                tokens,
                per_event: 1,
                per_second: 0,
            }]),
            0,
        ),
        Some(Magic::Rate { per_second, tokens }) => message(
            Reply::new(vec![Block::Huge {
                tokens,
                per_event: 1,
                per_second,
            }]),
            0,
        ),
        Some(Magic::RateRich { per_second, tokens }) => message(
            Reply::new(vec![Block::PacedText {
                chunks: magic::rich_chunks(tokens),
                per_second,
            }]),
            0,
        ),
        Some(Magic::ToolCalls { calls, rounds }) => {
            let thought = ctx.thinking.then(|| thought_about(&text));
            tool_calls_reply(&calls, 1, rounds, ctx, thought)
        }
        Some(Magic::Flaky(_)) | None => forced_tool_call(ctx).unwrap_or_else(|| {
            text_reply(
                echo_text(&text, &last_user_images(body)),
                varied_chunks,
                "end_turn",
            )
        }),
    }
}

/// The thinking text of a reply that thinks before answering `text`.
fn thought_about(text: &str) -> String {
    format!(
        "The user wrote {} characters. I will answer the way the mock always does.",
        text.chars().count()
    )
}

/// `blocks`, after a thinking block of `thought` when there is one.
fn thinking_first(thought: Option<&str>, mut blocks: Vec<Block>) -> Reply {
    if let Some(thought) = thought {
        blocks.insert(0, Block::thinking(thought));
    }
    Reply::new(blocks)
}

/// A text reply (end_turn), honouring the prefill, `stop_sequences` and `max_tokens`.
fn plain_text(full: String, ctx: &Ctx, thought: Option<&str>) -> Outcome {
    let answer = TextAnswer {
        full,
        tokenize: varied_chunks,
        stop_reason: "end_turn".to_string(),
    };
    answer.continue_for(ctx, |blocks| thinking_first(thought, blocks))
}

/// With `tool_choice` `any` or `tool` (and tools to call), the reply a forced model gives
/// instead of text: one call of the named tool, or of the first, with input `{}`, and no text.
fn forced_tool_call(ctx: &Ctx) -> Option<Outcome> {
    let name = match &ctx.tool_choice {
        ToolChoice::Any => ctx.tool_names.first()?.clone(),
        ToolChoice::Tool(name) if ctx.tool_names.contains(name) => name.clone(),
        _ => return None,
    };
    Some(message(
        Reply::new(vec![Block::tool_use(tool_use_id(ctx.n), name, json!({}))]),
        5,
    ))
}

/// Round `round` (from 1) of a scripted tool loop of `rounds` rounds: the calls, or the text
/// saying why they are not made.
fn tool_calls_reply(
    calls: &[magic::ToolCall],
    round: u32,
    rounds: u32,
    ctx: &Ctx,
    thought: Option<String>,
) -> Outcome {
    let calls = if ctx.parallel_tools {
        calls
    } else {
        &calls[..calls.len().min(1)]
    };
    let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    if ctx.tool_choice == ToolChoice::None {
        return plain_text(
            magic::tool_choice_none_text(&names),
            ctx,
            thought.as_deref(),
        );
    }
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !ctx.tool_names.iter().any(|t| t == name))
        .collect();
    if !unknown.is_empty() {
        let available: Vec<&str> = ctx.tool_names.iter().map(String::as_str).collect();
        return plain_text(
            magic::unknown_tool_text(&unknown, &available),
            ctx,
            thought.as_deref(),
        );
    }
    let mut blocks = Vec::new();
    // A forced tool_choice prefills the turn with the call: no text comes before it.
    if !ctx.tool_choice.forced() {
        let intro = match (round, names.as_slice()) {
            (2.., [name]) => magic::tool_round_text(round, rounds, name),
            _ => magic::tool_intro(&names),
        };
        blocks.push(Block::text(varied_chunks(&intro)));
    }
    let single = calls.len() == 1;
    for (k, call) in calls.iter().enumerate() {
        let id = if single {
            tool_use_id(ctx.n)
        } else {
            format!("{}_{}", tool_use_id(ctx.n), k + 1)
        };
        blocks.push(Block::tool_use(id, call.name.clone(), call.input.clone()));
    }
    message(thinking_first(thought.as_deref(), blocks), 5)
}

/// The reply to a round of a scripted tool loop after the first: the same calls again while
/// rounds remain, else the final text quoting the results.
fn next_tool_round(
    calls: &[magic::ToolCall],
    rounds: u32,
    round: &ToolRound,
    ctx: &Ctx,
) -> Outcome {
    // Without interleaved thinking the model thinks once, at the start of its turn.
    let thought = (ctx.thinking && ctx.interleaved_thinking).then(|| {
        format!(
            "{} tool result(s) came back. Deciding what to do next.",
            round.results.len()
        )
    });
    let done = u32::try_from(round.rounds_done).unwrap_or(u32::MAX);
    if done < rounds && ctx.tool_choice != ToolChoice::None {
        return tool_calls_reply(calls, done.saturating_add(1), rounds, ctx, thought);
    }
    forced_tool_call(ctx).unwrap_or_else(|| {
        plain_text(
            magic::tool_results_text(&round.results),
            ctx,
            thought.as_deref(),
        )
    })
}

/// A request in the middle of a tool loop: its last user message holds `tool_result` blocks
/// and no text.
struct ToolRound {
    /// The text of the last user message with text: the one that opened the exchange.
    opening_text: String,
    /// The user messages after that one (the tool-result turns so far).
    rounds_done: usize,
    /// The results of the last user message, in order.
    results: Vec<magic::QuotedResult>,
}

fn tool_round(body: &Value) -> Option<ToolRound> {
    let messages = body["messages"].as_array()?;
    let has_text = |m: &Value| m["role"] == "user" && !user_texts(&m["content"]).is_empty();
    let last = messages.iter().rposition(|m| m["role"] == "user")?;
    if has_text(&messages[last]) {
        return None;
    }
    let results: Vec<magic::QuotedResult> = messages[last]["content"]
        .as_array()?
        .iter()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| magic::QuotedResult {
            tool_use_id: b["tool_use_id"].as_str().unwrap_or_default().to_string(),
            text: quote_content(&b["content"]),
            is_error: b["is_error"] == true,
        })
        .collect();
    if results.is_empty() {
        return None;
    }
    let opening = messages[..last].iter().rposition(has_text)?;
    Some(ToolRound {
        opening_text: user_texts(&messages[opening]["content"]).join("\n"),
        rounds_done: messages[opening + 1..=last]
            .iter()
            .filter(|m| m["role"] == "user")
            .count(),
        results,
    })
}

/// A tool result's content as [`magic::tool_results_text`] quotes it.
fn quote_content(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| match b["type"].as_str() {
                Some("text") => b["text"].as_str().unwrap_or_default().to_string(),
                Some("image") => format!("[image: {}]", describe_image(&b["source"])),
                Some(other) => format!("[{other}]"),
                None => "[?]".to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The default reply: the echo of the last user message, and the images it carried.
fn echo_text(text: &str, images: &[String]) -> String {
    let mut full = magic::echo_text(text);
    // Say which images arrived, so image tests can see them reach the API.
    match images.len() {
        0 => {}
        1 => full.push_str(&format!(" [1 image: {}]", images[0])),
        n => full.push_str(&format!(" [{n} images: {}]", images.join(", "))),
    }
    full
}

/// A text reply known in full before it is sent, so it can do what the API does with a
/// prefill, `stop_sequences` and `max_tokens`.
struct TextAnswer {
    /// The whole answer to the last user turn.
    full: String,
    /// How text is cut into tokens; each token is one delta and counts one output token.
    tokenize: fn(&str) -> Vec<String>,
    /// The stop reason when the answer ends by itself.
    stop_reason: String,
}

impl TextAnswer {
    /// The reply for this request: the rest of the answer after the prefill (or, when the
    /// prefill is not the start of the answer, [`magic::CONTINUED`] and the whole answer), cut
    /// at the first stop sequence, then after `max_tokens` tokens.
    fn continue_for(self, ctx: &Ctx, with_thinking: impl Fn(Vec<Block>) -> Reply) -> Outcome {
        let text = match &ctx.prefill {
            None => self.full,
            Some(prefill) => match self.full.strip_prefix(prefill.as_str()) {
                Some(rest) => rest.to_string(),
                None => format!("{}{}", magic::CONTINUED, self.full),
            },
        };
        let stop = ctx
            .stop_sequences
            .iter()
            .filter_map(|s| text.find(s.as_str()).map(|at| (at, s)))
            .min_by_key(|(at, _)| *at);
        let (reply_text, mut stop_reason, mut stop_sequence) = match stop {
            Some((at, seq)) => (&text[..at], "stop_sequence".to_string(), Some(seq.clone())),
            None => (text.as_str(), self.stop_reason, None),
        };
        let mut chunks = (self.tokenize)(reply_text);
        if chunks.len() as u64 > ctx.max_tokens {
            chunks.truncate(usize::try_from(ctx.max_tokens).unwrap_or(usize::MAX));
            stop_reason = "max_tokens".to_string();
            stop_sequence = None;
        }
        let delay = if chunks.len() <= 100 { 5 } else { 0 };
        let mut reply = with_thinking(vec![Block::text(chunks)]);
        reply.stop_reason = stop_reason;
        reply.stop_sequence = stop_sequence;
        message(reply, delay)
    }
}

/// The text of a final assistant message (a prefill): its text blocks joined; `None` when the
/// last message is the user's.
fn prefill_text(body: &Value) -> Option<String> {
    let last = body["messages"].as_array()?.last()?;
    if last["role"] != "assistant" {
        return None;
    }
    Some(match &last["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect(),
        _ => String::new(),
    })
}

fn render(outcome: Outcome, ctx: &Ctx, rid: &str) -> Plan {
    match outcome {
        Outcome::Error {
            status,
            error_type,
            message,
            retry_after,
        } => json_plan(
            status,
            &error_body(&error_type, &message, rid),
            retry_after
                .map(|s| ("retry-after".to_string(), s.to_string()))
                .into_iter()
                .collect(),
        ),
        Outcome::Raw {
            status,
            headers,
            body,
        } => Plan::Full {
            status,
            headers,
            body,
            delay_ms: 0,
            cut_at: None,
        },
        Outcome::Message {
            reply,
            end,
            delay_ms,
            wrapped,
        } => {
            let id = format!("msg_mock_{:08}", ctx.n);
            if ctx.stream && !wrapped {
                let mut style = ctx.style;
                if matches!(end, End::Drop) && !ctx.framing_explicit {
                    // A close-delimited body makes the drop a clean EOF: the client can only
                    // notice it by the missing `message_stop`.
                    style.chunked = false;
                }
                return Plan::Stream(Box::new(StreamPlan {
                    message_id: id,
                    model: ctx.model.clone(),
                    usage: ctx.usage,
                    reply,
                    end,
                    delay_ms,
                    style,
                }));
            }
            match end {
                End::Error { error_type, .. } => {
                    let status = magic::status_for_error_type(&error_type);
                    error_plan(
                        status,
                        &error_type,
                        error_message_for_type(&error_type),
                        rid,
                    )
                }
                End::EndlessLine => {
                    // The message's JSON up to the opening quote of its text, then endless `x`s.
                    let prefix = format!(
                        r#"{{"id":"{id}","type":"message","role":"assistant","model":{},"content":[{{"type":"text","text":{}"#,
                        Value::String(ctx.model.clone()),
                        Value::String(
                            reply
                                .blocks
                                .iter()
                                .filter_map(|b| match b {
                                    Block::Text(chunks) => Some(chunks.concat()),
                                    _ => None,
                                })
                                .collect()
                        ),
                    );
                    // Drop the closing quote of the text, so the string never ends.
                    let prefix = prefix.strip_suffix('"').unwrap_or(&prefix).to_string();
                    Plan::Endless {
                        status: 200,
                        headers: vec![("content-type".into(), "application/json".into())],
                        prefix: prefix.into_bytes(),
                    }
                }
                End::Complete | End::Drop => {
                    let message = message_json(&id, &ctx.model, &reply, &ctx.usage);
                    let body = if wrapped || ctx.wrap {
                        json!({"code": 200, "data": message})
                    } else {
                        message
                    };
                    let bytes = body.to_string().into_bytes();
                    let cut_at = matches!(end, End::Drop).then_some(bytes.len() / 2);
                    let total_delay = delay_ms.saturating_mul(reply.output_tokens()).min(30_000);
                    Plan::Full {
                        status: 200,
                        headers: vec![("content-type".into(), "application/json".into())],
                        body: bytes,
                        delay_ms: total_delay,
                        cut_at,
                    }
                }
            }
        }
    }
}
