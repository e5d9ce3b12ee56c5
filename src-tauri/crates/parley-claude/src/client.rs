//! The HTTP client for `POST /v1/messages` (streamed and not), `count_tokens` and
//! `GET /v1/models`.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION};
use serde::Serialize;
use serde_json::Value;

use crate::accumulate::message_to_events;
use crate::config::{ApiConfig, AuthStyle};
use crate::error::{
    ApiErrorKind, ClaudeError, ErrorInfo, body_excerpt, json_code, parse_retry_after,
};
use crate::http::{ResponseLimits, human_size, read_capped};
use crate::key::ApiKey;
use crate::models::ModelPage;
use crate::sanitize::sanitize_error_text;
use crate::sse::{SseEvent, SseParser};
use crate::types::{
    Message, MessageResponse, MessagesRequest, StreamEvent, SystemPrompt, ThinkingConfig, Tool,
    ToolChoice,
};

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const ANTHROPIC_VERSION: HeaderName = HeaderName::from_static("anthropic-version");
const AUTHORIZATION: HeaderName = reqwest::header::AUTHORIZATION;

/// How many bytes of a body that yields no SSE event are kept, to explain what it was instead.
const PREFIX_LIMIT: usize = 64 * 1024;

/// A client for one API endpoint and key. Cheap to clone; the `reqwest::Client` inside is shared.
///
/// The HTTP client is passed in so the caller decides timeouts, proxies and connection pooling.
/// Its `Debug` output shows the configuration but never the key.
///
/// Every error it returns has been through [`ClaudeError::sanitized`] with its key, so a server
/// that echoes the key into its error text cannot get it stored, shown or exported.
#[derive(Debug, Clone)]
pub struct ClaudeClient {
    http: reqwest::Client,
    config: ApiConfig,
    key: ApiKey,
    limits: ResponseLimits,
    /// The proxy `http` goes through, for error messages (never with credentials).
    via: Option<String>,
}

impl ClaudeClient {
    /// A client that sends requests with `http` to `config.base_url`, authenticated by `key`,
    /// reading responses within the default [`ResponseLimits`].
    ///
    /// `http` must not follow redirects: build it with [`crate::http_client`] (or
    /// [`crate::http_client_builder`]). A client that follows them would already have sent the
    /// key to the new address by the time an answer comes back.
    pub fn new(http: reqwest::Client, config: ApiConfig, key: ApiKey) -> Self {
        Self {
            http,
            config,
            key,
            limits: ResponseLimits::default(),
            via: None,
        }
    }

    /// Names the proxy `http` goes through in network errors, so a dead proxy is told from a
    /// dead API (`label` is shown as is: no credentials in it).
    pub fn with_proxy_label(mut self, label: Option<String>) -> Self {
        self.via = label;
        self
    }

    /// The same client with other response limits (tests use small ones).
    pub fn with_limits(mut self, limits: ResponseLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits this client reads responses within.
    pub fn limits(&self) -> ResponseLimits {
        self.limits
    }

    /// The configuration this client uses.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// `{base}/v1/messages`.
    pub fn messages_url(&self) -> String {
        self.endpoint("/v1/messages")
    }

    /// `{base}/v1/messages/count_tokens`.
    pub fn count_tokens_url(&self) -> String {
        self.endpoint("/v1/messages/count_tokens")
    }

    /// `{base}/v1/models`.
    pub fn models_url(&self) -> String {
        self.endpoint("/v1/models")
    }

    fn endpoint(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.config.base_url.trim().trim_end_matches('/')
        )
    }

    /// `host:port` of the base URL, for network error messages (never the full URL, which a
    /// hand-written configuration could fill with credentials).
    fn host_label(&self) -> String {
        ::url::Url::parse(self.config.base_url.trim())
            .ok()
            .and_then(|url| {
                Some(format!(
                    "{}:{}",
                    url.host_str()?,
                    url.port_or_known_default()?
                ))
            })
            .map(|host| match &self.via {
                Some(proxy) => format!("{host} through the proxy {proxy}"),
                None => host,
            })
            .unwrap_or_else(|| "the API server".to_owned())
    }

    /// Sends a non-streamed request (`stream` is forced to `false`) and returns the whole reply.
    ///
    /// Accepts the API's plain body and a gateway's `{"code": 200, "data": {...}}` wrapper; a
    /// wrapper with another code or an error object is returned as the error it describes.
    pub async fn create_message(
        &self,
        req: &MessagesRequest,
    ) -> Result<MessageResponse, ClaudeError> {
        self.send_message(req).await.map_err(|e| self.clean(e))
    }

    async fn send_message(&self, req: &MessagesRequest) -> Result<MessageResponse, ClaudeError> {
        let body = request_body(req, false)?;
        let (status, bytes, meta) = self.post_for_json(self.messages_url(), body).await?;
        parse_message_body(status, &bytes, &meta)
    }

    /// Sends a streamed request (`stream` is forced to `true`) and returns the event stream once
    /// the response headers have arrived.
    ///
    /// An HTTP error status is returned here, classified by status and error body. A `200` whose
    /// content type is JSON (a gateway that ignored `stream: true`) is turned into the events a
    /// stream would have carried, so the caller handles one shape of reply.
    pub async fn stream_message(&self, req: &MessagesRequest) -> Result<EventStream, ClaudeError> {
        self.open_stream(req).await.map_err(|e| self.clean(e))
    }

    async fn open_stream(&self, req: &MessagesRequest) -> Result<EventStream, ClaudeError> {
        let body = request_body(req, true)?;
        let mut response = self
            .post(self.messages_url(), body, "text/event-stream")
            .await?;
        let meta = ResponseMeta::of(&response, &self.key);
        if !response.status().is_success() {
            return Err(meta.error_from(response, self.limits.error_body).await);
        }
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.to_ascii_lowercase().contains("json"));
        if is_json {
            let status = response.status().as_u16();
            let bytes = self.read_json(&mut response, &meta).await.map_err(|err| {
                err.unwrap_or_else(|err| ClaudeError::interrupted(err, meta.request_id.clone()))
            })?;
            let message = parse_message_body(status, &bytes, &meta)?;
            return Ok(EventStream::replay(
                message_to_events(&message),
                meta.request_id,
                self.key.clone(),
            ));
        }
        Ok(EventStream::sse(
            response,
            meta.request_id,
            SseParser::with_max_event(self.limits.sse_event),
            self.key.clone(),
        ))
    }

    /// The error with the server's text cleaned and this client's key redacted.
    fn clean(&self, error: ClaudeError) -> ClaudeError {
        error.sanitized(Some(&self.key))
    }

    /// Reads a non-streamed body within [`ResponseLimits::json_body`]. `Err(Ok(_))` is the
    /// too-large error, `Err(Err(_))` a transport failure for the caller to classify.
    async fn read_json(
        &self,
        response: &mut reqwest::Response,
        meta: &ResponseMeta,
    ) -> Result<Vec<u8>, Result<ClaudeError, reqwest::Error>> {
        let cap = self.limits.json_body;
        let body = read_capped(response, cap, false).await.map_err(Err)?;
        if body.over {
            return Err(Ok(ClaudeError::new(
                ApiErrorKind::ResponseTooLarge,
                format!(
                    "The reply is larger than the {} Parley reads from a non-streamed response, \
                     so it was not read.",
                    human_size(cap)
                ),
            )
            .with_request_id(meta.request_id.clone())));
        }
        Ok(body.bytes)
    }

    /// Counts the input tokens `req` would use (`POST /v1/messages/count_tokens`).
    ///
    /// Only the fields that endpoint accepts are sent: it rejects `max_tokens` and `stream`.
    pub async fn count_tokens(&self, req: &MessagesRequest) -> Result<u64, ClaudeError> {
        self.send_count_tokens(req).await.map_err(|e| self.clean(e))
    }

    async fn send_count_tokens(&self, req: &MessagesRequest) -> Result<u64, ClaudeError> {
        let body = CountTokensBody {
            model: &req.model,
            messages: &req.messages,
            system: req.system.as_ref(),
            tools: &req.tools,
            tool_choice: req.tool_choice.as_ref(),
            thinking: req.thinking.as_ref(),
        };
        let body = encode(&body)?;
        let (status, bytes, meta) = self.post_for_json(self.count_tokens_url(), body).await?;
        let value = parse_json_body(status, &bytes, &meta)?;
        value
            .get("input_tokens")
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                ClaudeError::bad_response(
                    format!(
                        "the token count reply has no input_tokens: {}",
                        body_excerpt(&bytes)
                    ),
                    meta.request_id.clone(),
                )
            })
    }

    /// One page of the models the endpoint lists (`GET /v1/models?limit=..&after_id=..`):
    /// `limit` entries at most, those after `after_id` (the previous page's
    /// [`ModelPage::last_id`]) or the first ones.
    ///
    /// Accepts the API's plain body and a gateway's `{"code": 200, "data": {...}}` wrapper. An
    /// error object or a wrapper with another code is returned as the error it describes even in
    /// an HTTP 200, so [`ClaudeError::is_endpoint_missing`] can tell a gateway without this route
    /// from other failures.
    pub async fn list_models(
        &self,
        limit: u32,
        after_id: Option<&str>,
    ) -> Result<ModelPage, ClaudeError> {
        self.fetch_models(limit, after_id)
            .await
            .map_err(|e| self.clean(e))
    }

    async fn fetch_models(
        &self,
        limit: u32,
        after_id: Option<&str>,
    ) -> Result<ModelPage, ClaudeError> {
        let mut url = ::url::Url::parse(&self.models_url()).map_err(|err| {
            ClaudeError::new(
                ApiErrorKind::InvalidRequest,
                format!("The base URL is not a valid URL: {err}"),
            )
        })?;
        {
            // Encoded by `url`: an id from the server must not be able to add parameters.
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &limit.to_string());
            if let Some(after_id) = after_id {
                query.append_pair("after_id", after_id);
            }
        }
        let request = self
            .http
            .get(url)
            .headers(self.headers("application/json")?);
        let response = self.send(request).await?;
        let (status, bytes, meta) = self.read_json_reply(response).await?;
        let value = parse_json_body(status, &bytes, &meta)?;
        ModelPage::from_json(&value).ok_or_else(|| {
            ClaudeError::bad_response(
                format!("the reply is not a models list: {}", body_excerpt(&bytes)),
                meta.request_id.clone(),
            )
        })
    }

    /// Posts `body` and reads the whole reply; an HTTP error status comes back classified.
    async fn post_for_json(
        &self,
        url: String,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>, ResponseMeta), ClaudeError> {
        let response = self.post(url, body, "application/json").await?;
        self.read_json_reply(response).await
    }

    /// Reads a whole non-streamed reply; an HTTP error status comes back classified.
    async fn read_json_reply(
        &self,
        mut response: reqwest::Response,
    ) -> Result<(u16, Vec<u8>, ResponseMeta), ClaudeError> {
        let meta = ResponseMeta::of(&response, &self.key);
        if !response.status().is_success() {
            return Err(meta.error_from(response, self.limits.error_body).await);
        }
        let status = response.status().as_u16();
        let bytes = self.read_json(&mut response, &meta).await.map_err(|err| {
            err.unwrap_or_else(|err| {
                ClaudeError::network(err, &self.host_label())
                    .with_request_id(meta.request_id.clone())
            })
        })?;
        Ok((status, bytes, meta))
    }

    async fn post(
        &self,
        url: String,
        body: Vec<u8>,
        accept: &'static str,
    ) -> Result<reqwest::Response, ClaudeError> {
        let mut headers = self.headers(accept)?;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.send(self.http.post(url).headers(headers).body(body))
            .await
    }

    /// Sends a request; a redirect comes back as an error (it is never followed).
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClaudeError> {
        let response = request
            .send()
            .await
            .map_err(|err| ClaudeError::network(err, &self.host_label()))?;
        if response.status().is_redirection() {
            return Err(redirect_error(&response, &self.key));
        }
        Ok(response)
    }

    /// The headers of every request: the key in the configured style, `anthropic-version` and
    /// `accept` (a POST adds `content-type`; a GET has no body to describe).
    fn headers(&self, accept: &'static str) -> Result<HeaderMap, ClaudeError> {
        if self.key.is_empty() {
            return Err(ClaudeError::new(ApiErrorKind::Auth, "No API key is set."));
        }
        let (name, value) = match self.config.auth_style {
            AuthStyle::XApiKey => (X_API_KEY, HeaderValue::from_str(self.key.expose())),
            AuthStyle::Bearer => (
                AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {}", self.key.expose())),
            ),
        };
        // The error from `from_str` is not shown: it could describe the key's content.
        let mut value = value.map_err(|_| {
            ClaudeError::new(
                ApiErrorKind::Auth,
                "The API key contains characters that cannot be sent in an HTTP header \
                 (such as a line break or a non-ASCII character); paste it again.",
            )
        })?;
        // Keeps the key out of hyper's and reqwest's debug output and HTTP/2 header compression.
        value.set_sensitive(true);
        let version = HeaderValue::from_str(self.config.api_version.trim()).map_err(|_| {
            ClaudeError::new(
                ApiErrorKind::InvalidRequest,
                format!(
                    "The API version \"{}\" cannot be sent in an HTTP header.",
                    self.config.api_version
                ),
            )
        })?;
        // Room for the `content-type` a POST adds.
        let mut headers = HeaderMap::with_capacity(4);
        headers.insert(name, value);
        headers.insert(ANTHROPIC_VERSION, version);
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        Ok(headers)
    }
}

/// The fields `count_tokens` accepts.
#[derive(Serialize)]
struct CountTokensBody<'a> {
    model: &'a str,
    messages: &'a [Message],
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a SystemPrompt>,
    #[serde(skip_serializing_if = "<[Tool]>::is_empty")]
    tools: &'a [Tool],
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'a ToolChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<&'a ThinkingConfig>,
}

/// A request with `"stream": true` added, without cloning it (images make requests large).
#[derive(Serialize)]
struct StreamingBody<'a> {
    #[serde(flatten)]
    request: &'a MessagesRequest,
    stream: bool,
}

fn request_body(req: &MessagesRequest, stream: bool) -> Result<Vec<u8>, ClaudeError> {
    if req.stream == stream {
        encode(req)
    } else if stream {
        encode(&StreamingBody {
            request: req,
            stream: true,
        })
    } else {
        encode(&MessagesRequest {
            stream: false,
            ..req.clone()
        })
    }
}

fn encode(body: &impl Serialize) -> Result<Vec<u8>, ClaudeError> {
    serde_json::to_vec(body).map_err(|err| {
        ClaudeError::new(
            ApiErrorKind::InvalidRequest,
            format!("The request could not be encoded as JSON: {err}"),
        )
    })
}

/// What the response headers say about the request, kept for error details.
struct ResponseMeta {
    request_id: Option<String>,
    retry_after: Option<Duration>,
}

impl ResponseMeta {
    /// The request id is cleaned like error text (it is stored and shown, and a server chooses
    /// it), with `key` redacted.
    fn of(response: &reqwest::Response, key: &ApiKey) -> Self {
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        let request_id = header("request-id")
            .or_else(|| header("x-request-id"))
            .map(|id| sanitize_error_text(id, Some(key)));
        // `retry-after-ms` is more precise when a server sends both.
        let retry_after = header("retry-after-ms")
            .and_then(|ms| ms.parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
            .or_else(|| header("retry-after").and_then(parse_retry_after));
        Self {
            request_id,
            retry_after,
        }
    }

    /// The error a non-2xx response stands for, from its status and the first `cap` bytes of
    /// its body (the rest is not read: the status says what matters).
    async fn error_from(&self, mut response: reqwest::Response, cap: usize) -> ClaudeError {
        let status = response.status().as_u16();
        // An unreadable error body still has a status worth reporting.
        let body = read_capped(&mut response, cap, true)
            .await
            .map(|body| body.bytes)
            .unwrap_or_default();
        ClaudeError::from_http(status, self.request_id.clone(), self.retry_after, &body)
    }
}

/// The error for a 3xx answer, naming where it pointed (without credentials or query, which
/// may carry tokens). The redirect is never followed.
fn redirect_error(response: &reqwest::Response, key: &ApiKey) -> ClaudeError {
    let status = response.status();
    let target = response.headers().get(LOCATION).map(|location| {
        let url = location
            .to_str()
            .ok()
            .and_then(|location| response.url().join(location.trim()).ok());
        match url {
            Some(mut url) => {
                // Both only fail for URLs that cannot have them, which is fine to leave.
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.set_query(None);
                url.set_fragment(None);
                url.to_string()
            }
            None => "an address that is not a valid URL".to_owned(),
        }
    });
    let what = match target {
        Some(target) => format!("The server answered {status}, pointing to {target}."),
        None => format!("The server answered {status} without saying where to."),
    };
    ClaudeError {
        kind: ApiErrorKind::Redirect,
        message: format!(
            "{what} Parley does not follow redirects: that would send the API key and the \
             conversation to another address. If the API has moved, set its address as the \
             base URL in Settings."
        ),
        status: Some(status.as_u16()),
        request_id: ResponseMeta::of(response, key).request_id,
        retry_after: None,
    }
}

/// Parses a 2xx JSON body, unwrapping a gateway's `{"code": 200, "data": ...}` and turning an
/// error object (wrapped or not) into the error it describes.
fn parse_json_body(status: u16, body: &[u8], meta: &ResponseMeta) -> Result<Value, ClaudeError> {
    let as_error =
        || ClaudeError::from_http(status, meta.request_id.clone(), meta.retry_after, body);
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ClaudeError::bad_response(
            format!("the reply is not JSON: {}", body_excerpt(body)),
            meta.request_id.clone(),
        )
    })?;
    if ErrorInfo::from_json(&value).is_error {
        return Err(as_error());
    }
    let wrapped_code = match &value {
        Value::Object(obj) if !obj.contains_key("type") => obj.get("code").and_then(json_code),
        _ => None,
    };
    let Some(code) = wrapped_code else {
        return Ok(value);
    };
    if !(200..300).contains(&code) {
        return Err(as_error());
    }
    match value {
        Value::Object(mut obj) => match obj.remove("data") {
            Some(data) if !data.is_null() => Ok(data),
            _ => Err(ClaudeError::bad_response(
                format!("the gateway's reply has no data: {}", body_excerpt(body)),
                meta.request_id.clone(),
            )),
        },
        other => Ok(other),
    }
}

fn parse_message_body(
    status: u16,
    body: &[u8],
    meta: &ResponseMeta,
) -> Result<MessageResponse, ClaudeError> {
    let value = parse_json_body(status, body, meta)?;
    // Every field of MessageResponse has a default, so insist on the one that makes it a message.
    if !value.get("content").is_some_and(Value::is_array) {
        return Err(ClaudeError::bad_response(
            format!("the reply is not a message: {}", body_excerpt(body)),
            meta.request_id.clone(),
        ));
    }
    serde_json::from_value(value).map_err(|err| {
        ClaudeError::bad_response(
            format!("the reply is not a message ({err})"),
            meta.request_id.clone(),
        )
    })
}

/// The events of one streamed reply, read from the connection as the caller asks for them.
///
/// Cancellation is dropping the stream: that drops the `reqwest::Response`, which closes the
/// connection, and the server stops generating. No other clean-up is needed.
#[derive(Debug)]
pub struct EventStream {
    source: Source,
    request_id: Option<String>,
    /// `message_stop` or an error was returned: only `None` from now on.
    finished: bool,
    /// An SSE event was dispatched; until then the body's first bytes are kept in `prefix`.
    saw_event: bool,
    prefix: Vec<u8>,
    /// To redact from error messages (prints as `<redacted>`).
    key: ApiKey,
}

#[derive(Debug)]
enum Source {
    Sse {
        // Boxed so the replay variant does not carry the response's size.
        response: Box<reqwest::Response>,
        parser: SseParser,
        pending: VecDeque<SseEvent>,
    },
    /// Events made from a complete JSON reply.
    Replay(VecDeque<StreamEvent>),
}

impl EventStream {
    fn sse(
        response: reqwest::Response,
        request_id: Option<String>,
        parser: SseParser,
        key: ApiKey,
    ) -> Self {
        Self::new(
            Source::Sse {
                response: Box::new(response),
                parser,
                pending: VecDeque::new(),
            },
            request_id,
            key,
        )
    }

    fn replay(events: Vec<StreamEvent>, request_id: Option<String>, key: ApiKey) -> Self {
        Self::new(Source::Replay(events.into()), request_id, key)
    }

    fn new(source: Source, request_id: Option<String>, key: ApiKey) -> Self {
        Self {
            source,
            request_id,
            finished: false,
            saw_event: false,
            prefix: Vec::new(),
            key,
        }
    }

    /// The `request-id` of the response, for error details.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The next event, or `None` after `message_stop`.
    ///
    /// Unknown event types are skipped; `ping` is passed on. An `error` event (e.g.
    /// `overloaded_error` after the 200) is returned as `Err` classified by its type; so is a
    /// connection that breaks (`StreamInterrupted`), a body that ends before `message_stop`
    /// (`StreamInterrupted`), data that is not a valid event (`BadResponse`) and an event larger
    /// than [`ResponseLimits::sse_event`] (`ResponseTooLarge`, after every event before it).
    /// After an `Err`, every further call returns `None`.
    pub async fn next_event(&mut self) -> Option<Result<StreamEvent, ClaudeError>> {
        if self.finished {
            return None;
        }
        let next = match self.read_next().await {
            Some(Err(error)) => Some(Err(error.sanitized(Some(&self.key)))),
            other => other,
        };
        if matches!(
            next,
            None | Some(Err(_)) | Some(Ok(StreamEvent::MessageStop))
        ) {
            self.finished = true;
        }
        next
    }

    async fn read_next(&mut self) -> Option<Result<StreamEvent, ClaudeError>> {
        loop {
            let (response, parser, pending) = match &mut self.source {
                Source::Replay(events) => return events.pop_front().map(Ok),
                Source::Sse {
                    response,
                    parser,
                    pending,
                } => (response, parser, pending),
            };
            if let Some(sse) = pending.pop_front() {
                match decode(&sse, &self.request_id) {
                    Some(result) => return Some(result),
                    None => continue,
                }
            }
            if parser.over_limit() {
                return Some(Err(ClaudeError::new(
                    ApiErrorKind::ResponseTooLarge,
                    format!(
                        "The server sent an event larger than the {} Parley accepts in a \
                         streamed reply, so the reply was stopped there; what came before it \
                         is kept.",
                        human_size(parser.max_event())
                    ),
                )
                .with_request_id(self.request_id.clone())));
            }
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    let events = parser.push(&bytes);
                    if !self.saw_event {
                        if events.is_empty() {
                            let room = PREFIX_LIMIT.saturating_sub(self.prefix.len());
                            self.prefix
                                .extend_from_slice(&bytes[..bytes.len().min(room)]);
                        } else {
                            self.saw_event = true;
                            self.prefix = Vec::new();
                        }
                    }
                    pending.extend(events);
                }
                Ok(None) => return Some(Err(self.end_of_body_error())),
                Err(err) => {
                    return Some(Err(ClaudeError::interrupted(err, self.request_id.clone())));
                }
            }
        }
    }

    /// The error for a body that ended before `message_stop`.
    fn end_of_body_error(&self) -> ClaudeError {
        // A body that never produced an event may be a JSON error sent with an SSE content type.
        if !self.saw_event
            && let Ok(value) = serde_json::from_slice::<Value>(&self.prefix)
        {
            let info = ErrorInfo::from_json(&value);
            if info.is_error || info.code.is_some() {
                return ClaudeError::from_http(200, self.request_id.clone(), None, &self.prefix);
            }
            return ClaudeError::bad_response(
                format!(
                    "the reply is not an event stream: {}",
                    body_excerpt(&self.prefix)
                ),
                self.request_id.clone(),
            );
        }
        ClaudeError::new(
            ApiErrorKind::StreamInterrupted,
            "The connection closed before the reply was complete.",
        )
        .with_request_id(self.request_id.clone())
    }
}

/// Turns one SSE event into a stream event; `None` for events to skip.
fn decode(sse: &SseEvent, request_id: &Option<String>) -> Option<Result<StreamEvent, ClaudeError>> {
    let data = sse.data.trim();
    // `[DONE]` is an OpenAI-style terminator that some gateways append; it carries nothing.
    if data.is_empty() || data == "[DONE]" {
        return None;
    }
    let parsed = serde_json::from_str::<StreamEvent>(data).or_else(|err| {
        // Some gateways put the type only in the `event:` line; fill it in from there.
        match serde_json::from_str::<Value>(data) {
            Ok(Value::Object(mut obj)) if !obj.contains_key("type") && sse.event != "message" => {
                obj.insert("type".to_owned(), Value::String(sse.event.clone()));
                serde_json::from_value(Value::Object(obj)).map_err(|_| err)
            }
            _ => Err(err),
        }
    });
    match parsed {
        Ok(StreamEvent::Unknown) => {
            tracing::debug!(event = %sse.event, "ignoring an unknown stream event");
            None
        }
        Ok(StreamEvent::Error { error }) => Some(Err(ClaudeError::from_stream_error(
            &error,
            request_id.clone(),
        ))),
        Ok(event) => Some(Ok(event)),
        Err(_) if sse.event == "error" => Some(Err(ClaudeError::new(
            ApiErrorKind::Api,
            format!(
                "API error during the reply: {}",
                body_excerpt(data.as_bytes())
            ),
        )
        .with_request_id(request_id.clone()))),
        Err(err) => Some(Err(ClaudeError::bad_response(
            format!(
                "could not read a \"{}\" event ({err}): {}",
                sse.event,
                body_excerpt(data.as_bytes())
            ),
            request_id.clone(),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ContentBlock;

    fn meta() -> ResponseMeta {
        ResponseMeta {
            request_id: Some("req_1".into()),
            retry_after: None,
        }
    }

    fn sse(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: None,
        }
    }

    #[test]
    fn plain_and_wrapped_message_bodies_parse_alike() {
        let message = r#"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"model":"m","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":2}}"#;
        let plain = parse_message_body(200, message.as_bytes(), &meta()).unwrap();
        let wrapped = format!(r#"{{"code":200,"data":{message}}}"#);
        let unwrapped = parse_message_body(200, wrapped.as_bytes(), &meta()).unwrap();
        assert_eq!(plain, unwrapped);
        assert_eq!(plain.content, vec![ContentBlock::text("Hi")]);
        let string_code = format!(r#"{{"code":"200","msg":"ok","data":{message}}}"#);
        assert_eq!(
            parse_message_body(200, string_code.as_bytes(), &meta()).unwrap(),
            plain
        );
    }

    #[test]
    fn wrapped_errors_and_error_objects_in_a_200_are_errors() {
        let cases: [(&str, ApiErrorKind); 4] = [
            (
                r#"{"code":429,"msg":"slow down","data":null}"#,
                ApiErrorKind::RateLimit,
            ),
            (
                r#"{"code":500,"message":"upstream failed"}"#,
                ApiErrorKind::Api,
            ),
            (
                r#"{"code":200,"data":{"type":"error","error":{"type":"overloaded_error","message":"busy"}}}"#,
                ApiErrorKind::Overloaded,
            ),
            (
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#,
                ApiErrorKind::InvalidRequest,
            ),
        ];
        for (body, kind) in cases {
            let err = parse_message_body(200, body.as_bytes(), &meta()).unwrap_err();
            assert_eq!(err.kind, kind, "{body}");
            assert_eq!(err.request_id.as_deref(), Some("req_1"));
        }
    }

    #[test]
    fn bodies_that_are_not_messages_are_bad_responses() {
        for body in [
            &b"<html>oops</html>"[..],
            b"{\"foo\": 1}",
            b"{\"code\":200,\"data\":null}",
            b"[]",
        ] {
            let err = parse_message_body(200, body, &meta()).unwrap_err();
            assert_eq!(
                err.kind,
                ApiErrorKind::BadResponse,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn streaming_body_adds_the_flag_without_duplicating_it() {
        let req = MessagesRequest {
            model: "m".into(),
            max_tokens: 1,
            ..Default::default()
        };
        let streamed: Value = serde_json::from_slice(&request_body(&req, true).unwrap()).unwrap();
        assert_eq!(streamed["stream"], true);
        let already = MessagesRequest {
            stream: true,
            ..req.clone()
        };
        let text = String::from_utf8(request_body(&already, true).unwrap()).unwrap();
        assert_eq!(text.matches("\"stream\"").count(), 1, "{text}");
        let plain: Value = serde_json::from_slice(&request_body(&already, false).unwrap()).unwrap();
        assert!(plain.get("stream").is_none());
    }

    #[test]
    fn decode_skips_unknown_events_and_done_markers() {
        let rid = Some("req_1".to_owned());
        assert!(decode(&sse("future", r#"{"type":"future"}"#), &rid).is_none());
        assert!(decode(&sse("message", "[DONE]"), &rid).is_none());
        assert!(matches!(
            decode(&sse("ping", r#"{"type":"ping"}"#), &rid),
            Some(Ok(StreamEvent::Ping))
        ));
    }

    #[test]
    fn decode_takes_the_type_from_the_event_line_when_data_lacks_it() {
        let rid = None;
        let decoded = decode(&sse("content_block_stop", r#"{"index":3}"#), &rid);
        assert!(
            matches!(
                decoded,
                Some(Ok(StreamEvent::ContentBlockStop { index: 3 }))
            ),
            "{decoded:?}"
        );
    }

    #[test]
    fn decode_turns_error_events_into_errors() {
        let rid = Some("req_9".to_owned());
        let err = decode(
            &sse(
                "error",
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}"#,
            ),
            &rid,
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::RateLimit);
        assert_eq!(err.request_id.as_deref(), Some("req_9"));
        let err = decode(&sse("error", "upstream exploded"), &rid)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::Api);
        assert!(err.message.contains("upstream exploded"), "{}", err.message);
    }

    #[test]
    fn decode_reports_unparseable_data_as_bad_response() {
        let err = decode(&sse("content_block_delta", "{not json"), &None)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::BadResponse);
        assert!(
            err.message.contains("content_block_delta"),
            "{}",
            err.message
        );
        let err = decode(&sse("message_start", r#"{"type":"message_start"}"#), &None)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.kind,
            ApiErrorKind::BadResponse,
            "a known event missing its fields"
        );
    }
}
