//! A mock of the Claude Messages API that speaks real HTTP/1.1 over real TCP.
//!
//! It exists so that Parley's client, core and end-to-end tests have an independent oracle: it
//! shares no code with the Parley crates and only agrees with them on the JSON that crosses the
//! wire. The HTTP layer is hand-written (see `http.rs`) because the tests need full control over
//! framing: SSE events split across TCP writes (even inside multi-byte UTF-8 characters), `\r\n`
//! or `\n` line endings, chunked or close-delimited bodies, and connections that end before
//! `message_stop`.
//!
//! Every connection serves exactly one request and answers with `Connection: close`.
//!
//! What a `POST /v1/messages` answers is decided, in this order, by: the path (404 for anything
//! that is not an API route), the headers (401 for a missing or `sk-wrong` key, 400 for a missing
//! `anthropic-version`), the body (400 with a specific message), then the next queued
//! [`Scenario`] if any, else the magic words in the last user message (see [`magic`]; in the
//! middle of a scripted tool loop, in the message that opened it), else an echo of that
//! message. `tool_choice` is obeyed too: `none` never calls a tool, `any` and `tool` always do.

mod cache;
mod generate;
mod handler;
mod http;
pub mod magic;
mod models;
mod sse;

pub use models::{ModelInfo, default_models};

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The model ids the gateway documentation lists; `GET /v1/models` returns exactly these until a
/// test replaces them with [`MockServer::set_models`].
pub const MODELS: [&str; 5] = [
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-1-20250805",
    "claude-opus-4-1-20250805-thinking",
    "claude-sonnet-4-5-20250929-thinking",
];

/// The API key that the mock always rejects with 401 `authentication_error`.
pub const WRONG_KEY: &str = "sk-wrong";

/// One HTTP request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, as sent (`POST`, `GET`, ...).
    pub method: String,
    /// The request target without its query string, e.g. `/v1/messages`.
    pub path: String,
    /// The query string without the `?`, if the target had one.
    pub query: Option<String>,
    /// Header names are lowercased; values are trimmed; order and duplicates are kept.
    pub headers: Vec<(String, String)>,
    /// The decoded body (a chunked request body is de-chunked).
    pub body: Vec<u8>,
    /// The `request-id` the mock answered this request with (`req_mock_<n>`).
    pub request_id: String,
    /// When its body had been read (benchmarks time a client's gaps between requests).
    pub received_at: std::time::Instant,
}

impl RecordedRequest {
    /// The first value of a header, looked up case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How the mock answers a route it does not serve, including `count_tokens` and `/v1/models`
/// once switched off ([`MockServer::set_count_tokens_enabled`], [`MockServer::set_models_enabled`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotFoundStyle {
    /// As Anthropic's API: 404 with `{"type":"error","error":{"type":"not_found_error",...}}`.
    #[default]
    Api,
    /// As a gateway that wraps every answer (the apimart gateway wraps replies as
    /// `{"code":200,"data":...}`): HTTP **200** with
    /// `{"code":404,"error":{"message":"Invalid URL (GET /v1/models)","type":"invalid_request_error"}}`,
    /// so a client that trusts the HTTP status alone takes the error for a reply.
    Gateway,
}

/// A scripted answer to one `POST /v1/messages` request.
///
/// Queued scenarios are consumed one per `POST /v1/messages` request that passes the path,
/// header and body checks, before the magic words are looked at. With `stream: false` each
/// scenario is answered with the equivalent JSON (a mid-stream error becomes the HTTP error of
/// its type, a drop becomes a body cut short of its `content-length`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    /// A normal streamed text reply, `chunk_chars` characters per `text_delta` (0 = whole text).
    Reply {
        text: String,
        chunk_chars: usize,
        delay_ms_between_chunks: u64,
    },
    /// A thinking block (with a `signature_delta`) followed by a text block.
    Thinking { thinking: String, text: String },
    /// Optional text, then a `tool_use` block whose input is streamed as `input_json_delta`s;
    /// `stop_reason` is `tool_use`.
    ToolUse {
        name: String,
        input: serde_json::Value,
        text_before: String,
    },
    /// An HTTP error with the API's JSON error body; `retry_after` sets the `retry-after` header.
    HttpError {
        status: u16,
        error_type: String,
        message: String,
        retry_after: Option<u64>,
    },
    /// HTTP 200, some text, then `event: error` with `error_type`; no `message_stop`.
    MidStreamError {
        text_before: String,
        error_type: String,
    },
    /// HTTP 200, some text, then the connection closes without `message_delta`/`message_stop`.
    Drop { text_before: String },
    /// A text reply in small chunks with a pause between them (for cancellation tests).
    Slow {
        text: String,
        delay_ms_between_chunks: u64,
    },
    /// A non-streaming gateway body `{"code":200,"data":{...message...}}`, whatever `stream` says.
    Wrapped { text: String },
    /// Exactly this status, headers and body. `content-length`, `connection: close` and
    /// `request-id` are added when absent.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `tokens` tokens (`"word "` each), `tokens_per_event` per delta, as fast as possible.
    Huge {
        tokens: usize,
        tokens_per_event: usize,
    },
    /// A redirect: `status` (3xx) with `Location: location` and an empty body.
    Redirect { status: u16, location: String },
    /// HTTP 200, some text, then a `content_block_delta` whose `data:` line never ends: `x`s
    /// as fast as the client reads them, until it hangs up (or [`magic::ENDLESS_MAX_BYTES`]).
    /// With `stream: false`, a JSON message whose text never ends, the same way.
    EndlessLine { text_before: String },
}

impl Scenario {
    /// A streamed text reply in 4-character chunks with no delay.
    pub fn reply(text: impl Into<String>) -> Self {
        Scenario::Reply {
            text: text.into(),
            chunk_chars: 4,
            delay_ms_between_chunks: 0,
        }
    }

    /// An HTTP error with the error type and message the API uses for `status`.
    pub fn http_error(status: u16) -> Self {
        Scenario::HttpError {
            status,
            error_type: magic::error_type_for_status(status).to_string(),
            message: magic::error_message_for_status(status).to_string(),
            retry_after: None,
        }
    }
}

/// State shared between the [`MockServer`] handle and its connection tasks.
pub(crate) struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    script: Mutex<VecDeque<Scenario>>,
    flaky: Mutex<HashMap<String, u32>>,
    counter: AtomicU64,
    active: watch::Sender<usize>,
    received: watch::Sender<usize>,
    logging: AtomicBool,
    /// Hashes of the prompt prefixes cached so far (see `cache.rs`).
    prompt_cache: Mutex<HashSet<u64>>,
    cache_control_rejected: AtomicBool,
    models: Mutex<Vec<ModelInfo>>,
    count_tokens_enabled: AtomicBool,
    models_enabled: AtomicBool,
    not_found_style: Mutex<NotFoundStyle>,
    /// Where every request is appended as a JSON line, when set.
    record_file: Mutex<Option<File>>,
}

/// Locks a mutex, ignoring poisoning: a panicking test thread must not wedge the server.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn new() -> Self {
        Shared {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            flaky: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            active: watch::Sender::new(0),
            received: watch::Sender::new(0),
            logging: AtomicBool::new(false),
            prompt_cache: Mutex::new(HashSet::new()),
            cache_control_rejected: AtomicBool::new(false),
            models: Mutex::new(default_models()),
            count_tokens_enabled: AtomicBool::new(true),
            models_enabled: AtomicBool::new(true),
            not_found_style: Mutex::new(NotFoundStyle::Api),
            record_file: Mutex::new(None),
        }
    }

    pub(crate) fn next_request_number(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub(crate) fn record(&self, req: RecordedRequest) {
        self.append_to_record_file(&req);
        let len = {
            let mut requests = lock(&self.requests);
            requests.push(req);
            requests.len()
        };
        self.received.send_replace(len);
    }

    /// Appends `{"method","path","query","body"}` as one line. Headers are left out on purpose:
    /// the API key travels in them, and a file outlives the test that wrote it. The write is
    /// blocking, which is fine for one short line on a local disk; each line goes out whole and
    /// at once, so a reader polling the file never sees half a request.
    fn append_to_record_file(&self, req: &RecordedRequest) {
        let mut file = lock(&self.record_file);
        let Some(file) = file.as_mut() else {
            return;
        };
        let body = match serde_json::from_slice::<serde_json::Value>(&req.body) {
            Ok(json) => json,
            Err(_) => serde_json::Value::String(req.body_text()),
        };
        let line = serde_json::json!({
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "body": body,
        });
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        if let Err(err) = file.write_all(&bytes).and_then(|()| file.flush())
            && self.logging()
        {
            eprintln!("[mock-claude] cannot append to the record file: {err}");
        }
    }

    pub(crate) fn next_scenario(&self) -> Option<Scenario> {
        lock(&self.script).pop_front()
    }

    /// Counts one more request for a `[[flaky:N]]` text; returns how many came before it.
    pub(crate) fn flaky_hit(&self, key: &str) -> u32 {
        let mut flaky = lock(&self.flaky);
        let seen = flaky.entry(key.to_string()).or_insert(0);
        let before = *seen;
        *seen = seen.saturating_add(1);
        before
    }

    pub(crate) fn logging(&self) -> bool {
        self.logging.load(Ordering::Relaxed)
    }

    /// Splits a request's input tokens between cache reads, cache writes and plain input, and
    /// returns the prefixes the request would cache (see [`cache::account`]).
    pub(crate) fn account_prompt_cache(
        &self,
        boundaries: &[cache::Boundary],
        total_input_tokens: u64,
    ) -> (generate::Usage, Vec<u64>) {
        let cached = lock(&self.prompt_cache);
        cache::account(boundaries, total_input_tokens, |hash| {
            cached.contains(&hash)
        })
    }

    pub(crate) fn remember_prompt_prefixes(&self, prefixes: Vec<u64>) {
        lock(&self.prompt_cache).extend(prefixes);
    }

    pub(crate) fn cache_control_rejected(&self) -> bool {
        self.cache_control_rejected.load(Ordering::Relaxed)
    }

    pub(crate) fn count_tokens_enabled(&self) -> bool {
        self.count_tokens_enabled.load(Ordering::Relaxed)
    }

    pub(crate) fn models_enabled(&self) -> bool {
        self.models_enabled.load(Ordering::Relaxed)
    }

    pub(crate) fn not_found_style(&self) -> NotFoundStyle {
        *lock(&self.not_found_style)
    }
}

/// Counts a connection as active for as long as it lives (also when its task is aborted).
struct ConnectionGuard(Arc<Shared>);

impl ConnectionGuard {
    fn new(shared: Arc<Shared>) -> Self {
        shared.active.send_modify(|n| *n += 1);
        ConnectionGuard(shared)
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.active.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A running mock server. Dropping it stops the accept loop and every open connection.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// Binds `127.0.0.1` on a free port and starts serving on the current tokio runtime.
    pub async fn start() -> io::Result<MockServer> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` (port 0 picks a free port) and starts serving on the current tokio runtime.
    pub async fn start_on(addr: SocketAddr) -> io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new());
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(MockServer { addr, shared, task })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash or `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `base_url()` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The `POST /v1/messages` requests received so far, in order.
    pub fn message_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/v1/messages")
            .cloned()
            .collect()
    }

    /// The most recent request, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.shared.requests).last().cloned()
    }

    /// Forgets the recorded requests (the request-id counter keeps counting).
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
        self.shared.received.send_replace(0);
    }

    /// Replaces the queue of scripted scenarios.
    pub fn set_script(&self, script: Vec<Scenario>) {
        *lock(&self.shared.script) = script.into();
    }

    /// Appends one scenario to the queue.
    pub fn push_scenario(&self, scenario: Scenario) {
        lock(&self.shared.script).push_back(scenario);
    }

    /// How many queued scenarios have not been consumed yet.
    pub fn pending_scenarios(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Forgets the `[[flaky:N]]` counters.
    pub fn reset_flaky(&self) {
        lock(&self.shared.flaky).clear();
    }

    /// Connections accepted and not yet closed.
    pub fn active_connections(&self) -> usize {
        *self.shared.active.borrow()
    }

    /// Waits until no connection is open; `false` if that did not happen within `timeout`.
    ///
    /// A connection counts from the moment it is accepted, so call this after the request you
    /// are interested in has reached the server (see [`MockServer::wait_for_requests`]).
    pub async fn wait_for_disconnect(&self, timeout: Duration) -> bool {
        let mut rx = self.shared.active.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|n| *n == 0))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Waits until at least `count` requests are recorded; `false` on timeout.
    pub async fn wait_for_requests(&self, count: usize, timeout: Duration) -> bool {
        let mut rx = self.shared.received.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|n| *n >= count))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Forgets every cached prompt prefix, as if the API's cache had expired.
    pub fn clear_prompt_cache(&self) {
        lock(&self.shared.prompt_cache).clear();
    }

    /// Makes the mock behave like a gateway that does not know prompt caching: any request with
    /// a `cache_control` key anywhere in its body is refused with 400 `invalid_request_error`
    /// `<path>.cache_control: Extra inputs are not permitted` (e.g.
    /// `messages.0.content.0.cache_control: ...`). Off by default.
    pub fn set_cache_control_rejected(&self, rejected: bool) {
        self.shared
            .cache_control_rejected
            .store(rejected, Ordering::Relaxed);
    }

    /// Serves `POST /v1/messages/count_tokens` (the default), or answers it like a route the
    /// mock does not know (see [`NotFoundStyle`]), as a gateway without it does.
    pub fn set_count_tokens_enabled(&self, enabled: bool) {
        self.shared
            .count_tokens_enabled
            .store(enabled, Ordering::Relaxed);
    }

    /// Serves `GET /v1/models` (the default), or answers it like a route the mock does not know
    /// (see [`NotFoundStyle`]), as a gateway without it does.
    pub fn set_models_enabled(&self, enabled: bool) {
        self.shared.models_enabled.store(enabled, Ordering::Relaxed);
    }

    /// How routes the mock does not serve are answered: like the API (the default) or like a
    /// wrapping gateway.
    pub fn set_not_found_style(&self, style: NotFoundStyle) {
        *lock(&self.shared.not_found_style) = style;
    }

    /// Replaces the entries `GET /v1/models` lists, in this order (e.g. 25 made-up ones to see
    /// the paging). [`default_models`] restores the built-in list.
    pub fn set_models(&self, models: Vec<ModelInfo>) {
        *lock(&self.shared.models) = models;
    }

    /// From now on, appends every request the mock reads whole to `path` (created if needed,
    /// never truncated), one JSON object per line: `{"method","path","query","body"}`, with
    /// `query` `null` when absent and `body` parsed when it is JSON, else a string (`""` when
    /// empty). Headers are never written, so the API key does not land in the file.
    pub fn record_to_file(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let file = File::options().create(true).append(true).open(path)?;
        *lock(&self.shared.record_file) = Some(file);
        Ok(())
    }

    /// Logs one line per request to stderr (off by default; the binary turns it on).
    pub fn set_logging(&self, on: bool) {
        self.shared.logging.store(on, Ordering::Relaxed);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // The accept task owns the JoinSet of connection tasks, so aborting it closes them too.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let guard = ConnectionGuard::new(Arc::clone(&shared));
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        let _guard = guard;
                        handler::serve_connection(stream, shared).await;
                    });
                }
                Err(err) => {
                    // Typically EMFILE: back off instead of spinning.
                    if shared.logging() {
                        eprintln!("[mock-claude] accept failed: {err}");
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
