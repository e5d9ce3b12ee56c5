//! Errors of the Claude client, classified into the kinds the UI tells apart.

use std::error::Error as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::key::ApiKey;
use crate::sanitize::sanitize_error_text;
use crate::types::ApiErrorBody;

/// What went wrong, as the UI needs to tell it apart. Serializes to the `ErrorKind` strings of the
/// IPC contract (`"rate_limit"`, `"api_error"`, `"stream_interrupted"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorKind {
    /// 400 `invalid_request_error`: the request itself is wrong (model id, parameters, ...).
    InvalidRequest,
    /// 401 `authentication_error`: missing or wrong API key.
    Auth,
    /// 403 `permission_error`: the key may not use this resource.
    Permission,
    /// 404 `not_found_error`: wrong base URL or model.
    NotFound,
    /// 413 `request_too_large`.
    RequestTooLarge,
    /// 429 `rate_limit_error`.
    RateLimit,
    /// 500 `api_error` (and other 5xx): a server fault.
    #[serde(rename = "api_error")]
    Api,
    /// 529 `overloaded_error`, also sent mid-stream.
    Overloaded,
    /// No response: DNS, connect, TLS or timeout failure.
    Network,
    /// The connection broke, or closed, before the streamed reply was complete.
    StreamInterrupted,
    /// The server answered with something that is not the Messages API.
    BadResponse,
    /// The user stopped the request.
    Cancelled,
    /// The server answered with a redirect (3xx), which is never followed: it would carry the
    /// key and the conversation to another address.
    Redirect,
    /// The reply went past one of the [`ResponseLimits`](crate::ResponseLimits): an SSE event
    /// or a non-streamed body larger than Parley reads.
    ResponseTooLarge,
}

impl ApiErrorKind {
    /// The serialized name, e.g. `"rate_limit"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::Auth => "auth",
            Self::Permission => "permission",
            Self::NotFound => "not_found",
            Self::RequestTooLarge => "request_too_large",
            Self::RateLimit => "rate_limit",
            Self::Api => "api_error",
            Self::Overloaded => "overloaded",
            Self::Network => "network",
            Self::StreamInterrupted => "stream_interrupted",
            Self::BadResponse => "bad_response",
            Self::Cancelled => "cancelled",
            Self::Redirect => "redirect",
            Self::ResponseTooLarge => "response_too_large",
        }
    }

    /// The kind an HTTP error status stands for. Unlisted 4xx count as invalid requests and
    /// unlisted 5xx as server faults; anything else is not an API answer at all.
    pub fn from_status(status: u16) -> Self {
        match status {
            401 => Self::Auth,
            403 => Self::Permission,
            404 => Self::NotFound,
            413 => Self::RequestTooLarge,
            429 => Self::RateLimit,
            529 => Self::Overloaded,
            // 400 and any other client error.
            400..=499 => Self::InvalidRequest,
            500..=599 => Self::Api,
            _ => Self::BadResponse,
        }
    }

    /// The kind an error body's `error.type` stands for; unknown types count as [`Self::Api`].
    pub fn from_error_type(error_type: &str) -> Self {
        Self::from_known_error_type(error_type).unwrap_or(Self::Api)
    }

    fn from_known_error_type(error_type: &str) -> Option<Self> {
        Some(match error_type {
            "invalid_request_error" => Self::InvalidRequest,
            "authentication_error" => Self::Auth,
            "permission_error" => Self::Permission,
            "not_found_error" => Self::NotFound,
            "request_too_large" => Self::RequestTooLarge,
            "rate_limit_error" => Self::RateLimit,
            "api_error" => Self::Api,
            "overloaded_error" => Self::Overloaded,
            _ => return None,
        })
    }

    /// The start of an error message, in words a user understands.
    fn label(&self) -> &'static str {
        match self {
            Self::InvalidRequest => "Invalid request",
            Self::Auth => "Authentication failed",
            Self::Permission => "Permission denied",
            Self::NotFound => "Not found",
            Self::RequestTooLarge => "Request too large",
            Self::RateLimit => "Rate limited",
            Self::Api => "API error",
            Self::Overloaded => "The API is overloaded",
            Self::Network => "Network error",
            Self::StreamInterrupted => "The reply was interrupted",
            Self::BadResponse => "Unexpected response from the server",
            Self::Cancelled => "Cancelled",
            Self::Redirect => "Redirect refused",
            Self::ResponseTooLarge => "Response too large",
        }
    }
}

/// An error from the Claude API or the transport, with everything the UI shows in error details.
///
/// The message never contains the API key or request headers: it is built only from the
/// status, the server's error text and the transport's error chain.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ClaudeError {
    /// Classification the UI branches on.
    pub kind: ApiErrorKind,
    /// Specific, human-readable explanation.
    pub message: String,
    /// HTTP status, when the error came with one (`None` for transport and mid-stream errors).
    pub status: Option<u16>,
    /// The `request-id` of the response, for support requests.
    pub request_id: Option<String>,
    /// How long the server asked us to wait (`retry-after`).
    pub retry_after: Option<Duration>,
}

/// Longest body excerpt quoted in a message; error pages can be large.
const EXCERPT_CHARS: usize = 300;

impl ClaudeError {
    /// An error of `kind` with a message and no HTTP details.
    pub fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            request_id: None,
            retry_after: None,
        }
    }

    /// The error for a request the user stopped.
    pub fn cancelled() -> Self {
        Self::new(ApiErrorKind::Cancelled, "Cancelled")
    }

    /// Attaches a request id (keeps an existing one).
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        if self.request_id.is_none() {
            self.request_id = request_id;
        }
        self
    }

    /// Whether sending the same request again may succeed: rate limits, server faults (5xx),
    /// overload, network failures and interrupted streams. Never for 400/401/403/404/413.
    ///
    /// A caller must still not retry by itself once reply text has been shown to the user
    /// (see `MessageAccumulator::has_output`); it offers a retry button instead.
    pub fn is_retryable(&self) -> bool {
        if matches!(self.status, Some(400 | 401 | 403 | 404 | 413)) {
            return false;
        }
        match self.kind {
            ApiErrorKind::RateLimit
            | ApiErrorKind::Overloaded
            | ApiErrorKind::Network
            | ApiErrorKind::StreamInterrupted => true,
            // An `api_error` is a server fault; a 4xx that a gateway labelled so is not.
            ApiErrorKind::Api => self.status.is_none_or(|s| s >= 500),
            ApiErrorKind::InvalidRequest
            | ApiErrorKind::Auth
            | ApiErrorKind::Permission
            | ApiErrorKind::NotFound
            | ApiErrorKind::RequestTooLarge
            | ApiErrorKind::BadResponse
            | ApiErrorKind::Cancelled
            | ApiErrorKind::Redirect
            | ApiErrorKind::ResponseTooLarge => false,
        }
    }

    /// Whether the endpoint does not serve the route that was called (a gateway without
    /// `/v1/models` or `count_tokens`), as opposed to a failure of this one request: a 405 or
    /// 501, a 404 that does not blame a model, or a 400 whose message calls the route unknown.
    /// The status may be an HTTP status or a gateway's `code` in an HTTP 200 (which
    /// [`from_http`](Self::from_http) takes as the status).
    ///
    /// Callers remember this to stop asking, so a 404 that names a model (`model: claude-x`,
    /// the API's answer to an unknown model on `count_tokens`) does not count: it is about the
    /// request, and the next request may name another model.
    pub fn is_endpoint_missing(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        match self.status {
            Some(405 | 501) => true,
            Some(404) => !blames_a_model(&message) || calls_the_route_unknown(&message),
            Some(400) => calls_the_route_unknown(&message),
            _ => false,
        }
    }

    /// Classifies an HTTP error response from its status, headers and body.
    ///
    /// The body may be the API's `{"type":"error","error":{"type","message"},"request_id"}`, a
    /// gateway wrapper such as `{"code":429,"msg":"..."}` or `{"code":500,"data":{...}}`, or not
    /// JSON at all (a proxy's HTML page); then the status and a trimmed excerpt are used. A known
    /// `error.type` wins over the status, because gateways sometimes relabel statuses.
    pub fn from_http(
        status: u16,
        request_id: Option<String>,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        let info = serde_json::from_slice::<Value>(body)
            .ok()
            .map(|value| ErrorInfo::from_json(&value))
            .unwrap_or_default();
        // A wrapped error can arrive with HTTP 200; its `code` is then the real status.
        let status = match info.code {
            Some(code) if !(400..=599).contains(&status) && (400..=599).contains(&code) => code,
            _ => status,
        };
        let kind = info
            .error_type
            .as_deref()
            .and_then(ApiErrorKind::from_known_error_type)
            .filter(|kind| *kind != ApiErrorKind::Api)
            .unwrap_or_else(|| match ApiErrorKind::from_status(status) {
                // A body that says "error" on a non-error status is still an error from the API.
                ApiErrorKind::BadResponse if info.is_error => ApiErrorKind::Api,
                kind => kind,
            });
        let detail = match info.message {
            Some(message) if !message.trim().is_empty() => message.trim().to_owned(),
            _ => body_excerpt(body),
        };
        let mut message = format!("{} ({status})", kind.label());
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(&detail);
        }
        Self {
            kind,
            message,
            status: Some(status),
            request_id: request_id.or(info.request_id),
            retry_after,
        }
        .sanitized(None)
    }

    /// The error for an `event: error` that arrived in the middle of a stream.
    pub fn from_stream_error(error: &ApiErrorBody, request_id: Option<String>) -> Self {
        let kind = ApiErrorKind::from_error_type(&error.kind);
        let message = match error.message.trim() {
            "" if error.kind.is_empty() => format!("{} during the reply", kind.label()),
            "" => format!("{} during the reply ({})", kind.label(), error.kind),
            text => format!("{} during the reply: {text}", kind.label()),
        };
        Self {
            kind,
            message,
            status: None,
            request_id,
            retry_after: None,
        }
        .sanitized(None)
    }

    /// The error for a request that got no response (connect, TLS, timeout, ...).
    /// `endpoint` is `host:port`, so the user sees where the client tried to connect.
    pub(crate) fn network(err: reqwest::Error, endpoint: &str) -> Self {
        let what = if err.is_timeout() {
            format!("The request to {endpoint} timed out")
        } else if err.is_connect() {
            format!("Could not connect to {endpoint}")
        } else {
            format!("The request to {endpoint} failed")
        };
        Self::new(
            ApiErrorKind::Network,
            format!("{what}: {}", error_chain(err)),
        )
    }

    /// The error for a response body that broke off while being read.
    pub(crate) fn interrupted(err: reqwest::Error, request_id: Option<String>) -> Self {
        let kind = if err.is_timeout() {
            "timed out"
        } else {
            "was interrupted"
        };
        Self::new(
            ApiErrorKind::StreamInterrupted,
            format!(
                "The connection {kind} while the reply was arriving: {}",
                error_chain(err)
            ),
        )
        .with_request_id(request_id)
    }

    /// The error for a body that is not what the Messages API sends.
    pub(crate) fn bad_response(detail: impl std::fmt::Display, request_id: Option<String>) -> Self {
        Self::new(
            ApiErrorKind::BadResponse,
            format!("{}: {detail}", ApiErrorKind::BadResponse.label()),
        )
        .with_request_id(request_id)
        .sanitized(None)
    }

    /// The same error with its server-given text cleaned by [`sanitize_error_text`]: `key` and
    /// anything that looks like a key redacted, the message cut to [`MAX_ERROR_TEXT`] bytes.
    /// The client applies it, with its key, to every error it returns.
    ///
    /// [`MAX_ERROR_TEXT`]: crate::sanitize::MAX_ERROR_TEXT
    pub fn sanitized(mut self, key: Option<&ApiKey>) -> Self {
        self.message = sanitize_error_text(&self.message, key);
        self.request_id = self
            .request_id
            .map(|id| sanitize_error_text(&id, key))
            .filter(|id| !id.is_empty());
        self
    }
}

/// The facts an error body may carry, whatever its shape.
#[derive(Debug, Default)]
pub(crate) struct ErrorInfo {
    pub(crate) error_type: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) request_id: Option<String>,
    /// A gateway's numeric `code`.
    pub(crate) code: Option<u16>,
    /// The body looks like an error (an `error` member or `"type": "error"`).
    pub(crate) is_error: bool,
}

impl ErrorInfo {
    pub(crate) fn from_json(value: &Value) -> Self {
        let mut info = Self::default();
        info.fill(value, 0);
        info
    }

    fn fill(&mut self, value: &Value, depth: u8) {
        let Some(obj) = value.as_object() else {
            return;
        };
        let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
        if obj.get("type").and_then(Value::as_str) == Some("error") {
            self.is_error = true;
        }
        match obj.get("error") {
            Some(Value::Object(error)) => {
                self.is_error = true;
                let field = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
                self.error_type = self.error_type.take().or_else(|| field("type"));
                self.message = self.message.take().or_else(|| field("message"));
            }
            Some(Value::String(message)) => {
                self.is_error = true;
                self.message = self.message.take().or_else(|| Some(message.clone()));
            }
            _ => {}
        }
        self.message = self
            .message
            .take()
            .or_else(|| text("message"))
            .or_else(|| text("msg"));
        self.request_id = self.request_id.take().or_else(|| text("request_id"));
        if self.code.is_none() {
            self.code = obj.get("code").and_then(json_code);
        }
        // Gateways put the real error one level down, in `data`.
        if depth == 0
            && let Some(data) = obj.get("data")
        {
            self.fill(data, depth + 1);
        }
    }
}

/// Routes a message may name; they contain "model" without blaming one.
const ROUTE_NAMES: [&str; 2] = ["/v1/models", "/v1/messages/count_tokens"];

/// `message` (lowercase) says a model is unknown or unavailable.
fn blames_a_model(message: &str) -> bool {
    let mut message = message.to_owned();
    for route in ROUTE_NAMES {
        message = message.replace(route, "");
    }
    message.contains("model:")
        || message.contains("model_not_found")
        || (message.contains("model")
            && [
                "not found",
                "does not exist",
                "unknown",
                "invalid",
                "no such",
                "not available",
            ]
            .iter()
            .any(|phrase| message.contains(phrase)))
}

/// `message` (lowercase) says the route itself is unknown: the wording of common gateways and
/// web servers (`Invalid URL (GET /v1/models)`, Express's `Cannot POST /v1/...`, `no route`),
/// or one of Parley's routes named as unsupported.
fn calls_the_route_unknown(message: &str) -> bool {
    const PHRASES: [&str; 16] = [
        "invalid url",
        "unknown url",
        "no route",
        "route not found",
        "unknown route",
        "no such route",
        "path not found",
        "unknown path",
        "invalid path",
        "no handler",
        "not implemented",
        "unknown endpoint",
        "endpoint not found",
        "no such endpoint",
        "cannot get /",
        "cannot post /",
    ];
    const UNSUPPORTED: [&str; 5] = [
        "not supported",
        "unsupported",
        "not found",
        "not available",
        "unknown",
    ];
    PHRASES.iter().any(|phrase| message.contains(phrase))
        || (ROUTE_NAMES.iter().any(|route| message.contains(route))
            && UNSUPPORTED.iter().any(|phrase| message.contains(phrase)))
}

/// A gateway `code` as a status number; some send it as a string.
pub(crate) fn json_code(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses a `retry-after` header value given in (possibly fractional) seconds.
///
/// The HTTP-date form is not supported (the API and the gateways send seconds); it yields `None`,
/// and the caller falls back to exponential backoff.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if seconds.is_finite() && seconds >= 0.0 {
        Duration::try_from_secs_f64(seconds).ok()
    } else {
        None
    }
}

/// A short, single-line excerpt of a non-JSON body for an error message.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.starts_with('<') {
        // An HTML error page from a proxy: its title says more than the markup.
        let lower = text.to_ascii_lowercase();
        if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>"))
            && start + 7 <= end
        {
            let title = text[start + 7..end].trim();
            if !title.is_empty() {
                return format!(
                    "the server returned an HTML page titled \"{}\"",
                    truncate(title)
                );
            }
        }
        return "the server returned an HTML page".to_owned();
    }
    truncate(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The error and its sources as one line, without the URL (which reqwest would include).
fn error_chain(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // hyper and std often repeat the same text at two levels of the chain.
        if parts.last() != Some(&text) && !text.is_empty() {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_serialize_to_the_ipc_contract_names() {
        use ApiErrorKind::*;
        for kind in [
            InvalidRequest,
            Auth,
            Permission,
            NotFound,
            RequestTooLarge,
            RateLimit,
            Api,
            Overloaded,
            Network,
            StreamInterrupted,
            BadResponse,
            Cancelled,
            Redirect,
            ResponseTooLarge,
        ] {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                json!(kind.as_str()),
                "as_str and serde must agree, the UI branches on these strings"
            );
        }
        assert_eq!(Api.as_str(), "api_error");
        assert_eq!(
            serde_json::from_value::<ApiErrorKind>(json!("rate_limit")).unwrap(),
            RateLimit
        );
    }

    #[test]
    fn statuses_map_to_kinds() {
        use ApiErrorKind::*;
        let cases = [
            (400, InvalidRequest),
            (401, Auth),
            (403, Permission),
            (404, NotFound),
            (413, RequestTooLarge),
            (429, RateLimit),
            (500, Api),
            (529, Overloaded),
            (422, InvalidRequest),
            (502, Api),
            (503, Api),
            (302, BadResponse),
        ];
        for (status, kind) in cases {
            assert_eq!(ApiErrorKind::from_status(status), kind, "status {status}");
        }
    }

    #[test]
    fn error_types_map_to_kinds() {
        use ApiErrorKind::*;
        let cases = [
            ("invalid_request_error", InvalidRequest),
            ("authentication_error", Auth),
            ("permission_error", Permission),
            ("not_found_error", NotFound),
            ("request_too_large", RequestTooLarge),
            ("rate_limit_error", RateLimit),
            ("api_error", Api),
            ("overloaded_error", Overloaded),
            ("something_new", Api),
        ];
        for (error_type, kind) in cases {
            assert_eq!(
                ApiErrorKind::from_error_type(error_type),
                kind,
                "{error_type}"
            );
        }
    }

    #[test]
    fn plain_api_error_body_is_classified_with_message_and_request_id() {
        let body = br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_body"}"#;
        let err = ClaudeError::from_http(401, None, None, body);
        assert_eq!(err.kind, ApiErrorKind::Auth);
        assert_eq!(
            err.message,
            "Authentication failed (401): invalid x-api-key"
        );
        assert_eq!(err.status, Some(401));
        assert_eq!(
            err.request_id.as_deref(),
            Some("req_body"),
            "body request_id is the fallback"
        );
    }

    #[test]
    fn request_id_header_wins_over_the_body() {
        let body = br#"{"type":"error","error":{"type":"api_error","message":"boom"},"request_id":"req_body"}"#;
        let err = ClaudeError::from_http(500, Some("req_header".into()), None, body);
        assert_eq!(err.request_id.as_deref(), Some("req_header"));
        assert_eq!(err.kind, ApiErrorKind::Api);
        assert_eq!(err.message, "API error (500): boom");
    }

    #[test]
    fn error_type_in_the_body_wins_over_the_status() {
        let body =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let err = ClaudeError::from_http(503, None, None, body);
        assert_eq!(err.kind, ApiErrorKind::Overloaded);
        assert_eq!(err.message, "The API is overloaded (503): Overloaded");
        let unknown = br#"{"type":"error","error":{"type":"weird_error","message":"x"}}"#;
        assert_eq!(
            ClaudeError::from_http(429, None, None, unknown).kind,
            ApiErrorKind::RateLimit
        );
    }

    #[test]
    fn gateway_wrapped_error_bodies_are_understood() {
        let wrapped = br#"{"code":429,"msg":"too many requests, slow down"}"#;
        let err = ClaudeError::from_http(429, None, None, wrapped);
        assert_eq!(err.kind, ApiErrorKind::RateLimit);
        assert_eq!(
            err.message,
            "Rate limited (429): too many requests, slow down"
        );

        let nested = br#"{"code":401,"data":{"type":"error","error":{"type":"authentication_error","message":"bad key"}}}"#;
        let err = ClaudeError::from_http(401, None, None, nested);
        assert_eq!(err.kind, ApiErrorKind::Auth);
        assert_eq!(err.message, "Authentication failed (401): bad key");

        let openai_style = br#"{"error":{"message":"model not found","type":"not_found_error","code":"model_not_found"}}"#;
        let err = ClaudeError::from_http(404, None, None, openai_style);
        assert_eq!(err.kind, ApiErrorKind::NotFound);
        assert_eq!(err.message, "Not found (404): model not found");
    }

    #[test]
    fn wrapped_error_in_a_200_uses_the_code_as_status() {
        let err = ClaudeError::from_http(200, None, None, br#"{"code":529,"msg":"busy"}"#);
        assert_eq!(err.kind, ApiErrorKind::Overloaded);
        assert_eq!(err.status, Some(529));
        assert!(err.is_retryable());
    }

    #[test]
    fn non_json_bodies_fall_back_to_status_and_excerpt() {
        let err = ClaudeError::from_http(502, None, None, b"  Bad Gateway\n\n upstream   down ");
        assert_eq!(err.kind, ApiErrorKind::Api);
        assert_eq!(err.message, "API error (502): Bad Gateway upstream down");

        let html =
            b"<html><head><title>503 Service Unavailable</title></head><body>...</body></html>";
        let err = ClaudeError::from_http(503, None, None, html);
        assert_eq!(
            err.message,
            "API error (503): the server returned an HTML page titled \"503 Service Unavailable\""
        );

        let err = ClaudeError::from_http(404, None, None, b"");
        assert_eq!(err.message, "Not found (404)");

        let long = "x".repeat(5000);
        let err = ClaudeError::from_http(500, None, None, long.as_bytes());
        assert!(
            err.message.chars().count() < 400,
            "huge bodies must be cut: {}",
            err.message.len()
        );
    }

    #[test]
    fn a_missing_route_is_told_from_other_failures() {
        let missing: [(u16, &[u8]); 7] = [
            // The API's answer to an unknown path.
            (
                404,
                br#"{"type":"error","error":{"type":"not_found_error","message":"Not found: GET /v1/models"}}"#,
            ),
            // A proxy's page.
            (404, b"<html><title>404 Not Found</title></html>"),
            // A gateway that wraps every answer in an HTTP 200.
            (
                200,
                br#"{"code":404,"error":{"message":"Invalid URL (GET /v1/models)","type":"invalid_request_error"}}"#,
            ),
            (200, br#"{"code":405,"msg":"method not allowed"}"#),
            (501, b"Not Implemented"),
            (
                200,
                br#"{"code":400,"msg":"/v1/messages/count_tokens is not supported"}"#,
            ),
            (400, b"Cannot POST /v1/messages/count_tokens"),
        ];
        for (status, body) in missing {
            let err = ClaudeError::from_http(status, None, None, body);
            assert!(err.is_endpoint_missing(), "{status}: {}", err.message);
        }
        let present: [(u16, &[u8]); 6] = [
            // An unknown model on count_tokens: the next request may name another.
            (
                404,
                br#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-nope"}}"#,
            ),
            (200, br#"{"code":404,"msg":"model claude-nope not found"}"#),
            (
                400,
                br#"{"type":"error","error":{"type":"invalid_request_error","message":"messages: at least one message is required"}}"#,
            ),
            (401, br#"{"code":401,"msg":"invalid token"}"#),
            (200, br#"{"code":500,"msg":"upstream failed"}"#),
            (429, b""),
        ];
        for (status, body) in present {
            let err = ClaudeError::from_http(status, None, None, body);
            assert!(!err.is_endpoint_missing(), "{status}: {}", err.message);
        }
        assert!(!ClaudeError::new(ApiErrorKind::Network, "refused").is_endpoint_missing());
    }

    #[test]
    fn retry_after_parses_seconds() {
        assert_eq!(parse_retry_after("5"), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after(" 1.5 "),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("inf"), None);
    }

    #[test]
    fn retryable_kinds_and_statuses() {
        for status in [429, 500, 502, 529] {
            let err = ClaudeError::from_http(status, None, None, b"");
            assert!(err.is_retryable(), "{status} is transient");
        }
        for status in [400, 401, 403, 404, 413, 422] {
            let err = ClaudeError::from_http(status, None, None, b"");
            assert!(!err.is_retryable(), "{status} would fail again");
        }
        // Even if a gateway labels it overloaded, a 401 must not be retried.
        let odd = br#"{"error":{"type":"overloaded_error","message":"x"}}"#;
        assert!(!ClaudeError::from_http(401, None, None, odd).is_retryable());
        assert!(ClaudeError::new(ApiErrorKind::Network, "x").is_retryable());
        assert!(ClaudeError::new(ApiErrorKind::StreamInterrupted, "x").is_retryable());
        assert!(!ClaudeError::new(ApiErrorKind::BadResponse, "x").is_retryable());
        assert!(!ClaudeError::cancelled().is_retryable());
    }

    #[test]
    fn stream_error_event_is_classified_by_type() {
        let body = ApiErrorBody {
            kind: "overloaded_error".into(),
            message: "Overloaded".into(),
        };
        let err = ClaudeError::from_stream_error(&body, Some("req_1".into()));
        assert_eq!(err.kind, ApiErrorKind::Overloaded);
        assert_eq!(err.status, None);
        assert_eq!(err.request_id.as_deref(), Some("req_1"));
        assert_eq!(
            err.message,
            "The API is overloaded during the reply: Overloaded"
        );
        assert!(err.is_retryable());
    }
}
