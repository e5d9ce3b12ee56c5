//! The stream job: one spawned task per reply, from the request to the final write.
//!
//! It retries failures that happen before any reply output (429, 500, 529, network) with
//! backoff, coalesces deltas for the UI ([`Outbox`]), writes the partial reply to SQLite at most
//! every `persist_every` (so a crash loses at most that much), and always ends with one
//! [`ChatEvent::Finished`] carrying the final state. That state is read back from the store;
//! when the final write fails (a full disk, a read-only file system) it is built from the
//! reply in memory instead, shown with a `database` error, and the write is tried again in the
//! background, so the UI never shows less than was streamed.
//!
//! This module knows nothing of [`crate::app::Parley`]: `chat.rs` starts jobs and keeps their
//! [`StreamHandle`]s.

use std::sync::Arc;
use std::time::Duration;

use parley_claude::{
    ApiErrorKind, AppliedDelta, ClaudeClient, ClaudeError, ContentBlock, EventStream,
    MessageAccumulator, MessagesRequest, RetryPolicy, plain_text,
};
use parley_store::{
    MessageFinish, MessageStatus, Role, Store, StoreError, StoredMessage, StoredUsage,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::capabilities::SharedCapabilities;
use crate::continuation::Continuation;
use crate::error::{CoreError, CoreResult, ErrorKind, ErrorPayload};
use crate::events::{ChatEvent, ChatEventSink};
use crate::images::ImageStore;
use crate::pricing::ModelPrice;
use crate::request;
use crate::titles::TitleJob;
use crate::view::{MessageView, SiblingIndex, StatusView, UsageView};

mod outbox;
use outbox::Outbox;

/// How streams retry, persist and batch. Defaults suit the app; tests shorten the delays.
#[derive(Debug, Clone)]
pub struct StreamTuning {
    pub retry: RetryPolicy,
    /// The longest time streamed text stays only in memory.
    pub persist_every: Duration,
    /// The longest time a delta waits before it is sent to the UI.
    pub coalesce_every: Duration,
    /// Deltas are sent at once when this many bytes are waiting.
    pub coalesce_bytes: usize,
    /// The pauses between attempts at the final write before the reply is shown as not saved
    /// (a busy or briefly full disk often recovers within them).
    pub save_retry_delays: Vec<Duration>,
    /// After that, while the unsaved reply is shown, the write is tried again this often...
    pub save_retry_every: Duration,
    /// ...for this long.
    pub save_retry_for: Duration,
}

impl Default for StreamTuning {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            persist_every: Duration::from_millis(250),
            coalesce_every: Duration::from_millis(16),
            coalesce_bytes: 16 * 1024,
            save_retry_delays: vec![
                Duration::from_millis(100),
                Duration::from_millis(400),
                Duration::from_millis(1500),
            ],
            save_retry_every: Duration::from_secs(5),
            save_retry_for: Duration::from_secs(10 * 60),
        }
    }
}

/// A running stream as `Parley` keeps it (keyed by the reply's id): how to stop it, and which
/// conversation it writes into, so deleting a conversation can stop its streams first.
#[derive(Debug, Clone)]
pub(crate) struct StreamHandle {
    pub(crate) conversation_id: String,
    /// Stops the request; the job then stores the partial reply as `cancelled`.
    pub(crate) cancel: CancellationToken,
    /// Stops everything, including the background retries of a final write that failed; a
    /// parent of `cancel`. For when the conversation goes away or the app closes.
    pub(crate) abandon: CancellationToken,
}

impl StreamHandle {
    pub(crate) fn new(conversation_id: &str) -> Self {
        let abandon = CancellationToken::new();
        Self {
            conversation_id: conversation_id.to_owned(),
            cancel: abandon.child_token(),
            abandon,
        }
    }
}

/// How one attempt at streaming ended.
enum Attempt {
    Complete,
    Cancelled,
    Failed(ClaudeError),
    /// The request could not be built (say, an image file is gone); nothing was sent.
    Refused(CoreError),
}

/// One reply being streamed.
pub(crate) struct StreamJob {
    pub(crate) store: Store,
    pub(crate) client: ClaudeClient,
    pub(crate) request: MessagesRequest,
    /// The reply as it was created (empty, `streaming`): the frame of the view shown when the
    /// final state cannot be read back from the store.
    pub(crate) reply: MessageView,
    pub(crate) sink: Arc<dyn ChatEventSink>,
    pub(crate) handle: StreamHandle,
    pub(crate) tuning: StreamTuning,
    pub(crate) images: ImageStore,
    /// Makes the conversation's title after its first reply (`None`: off).
    pub(crate) title_model: Option<String>,
    /// What the reply already holds (a prefill, or the text before Continue).
    pub(crate) continuation: Continuation,
    /// Mark the request's stable prefix with `cache_control`.
    pub(crate) prompt_caching: bool,
    /// The price table, for the cost shown on the finished reply.
    pub(crate) prices: Vec<ModelPrice>,
    /// Where to remember that the endpoint refused `cache_control` (the request is then sent
    /// again without it).
    pub(crate) cache_refusal: Option<CacheRefusal>,
    /// Runs the calls of a reply that stops at `tool_use` and streams the next reply (`None`:
    /// the request has no tools).
    pub(crate) tool_loop: Option<crate::tool_loop::ToolLoop>,
    /// Start with the tool round of `reply` (stored with these blocks) instead of a request:
    /// the loop resumed after its cap or a restart.
    pub(crate) resume_round: Option<Vec<parley_claude::ContentBlock>>,
}

/// The memory of what an endpoint serves, and the endpoint a stream talks to.
pub(crate) struct CacheRefusal {
    pub(crate) capabilities: Arc<SharedCapabilities>,
    pub(crate) base_url: String,
}

impl CacheRefusal {
    /// Remembers that the endpoint refuses `cache_control`, so later requests go without it.
    async fn remember(self, store: &Store) {
        let remembered = self
            .capabilities
            .record(store, &self.base_url, |known| {
                known.cache_control = Some(false);
            })
            .await;
        if let Err(error) = remembered {
            tracing::warn!(%error, "could not remember that the endpoint refuses cache_control");
        }
    }
}

/// How many `pause_turn` stops one reply continues by itself before it ends as it is.
const MAX_PAUSE_CONTINUATIONS: u32 = 8;

/// How the final write went.
enum Saved {
    /// The row holds the final state.
    Stored,
    /// The row is gone (its conversation was deleted): nothing to save into, nobody to show.
    Gone,
    /// Every attempt failed; the last attempt's error.
    Failed(StoreError),
}

impl StreamJob {
    /// Streams the reply (and, with tools, the replies of the loop after it); returns the id of
    /// the last reply, whose handle the caller then drops.
    pub(crate) async fn run(mut self) -> String {
        if let Some(content) = self.resume_round.take()
            && !self.run_tool_round(content).await
        {
            return self.reply.id.clone();
        }
        loop {
            let finish = self.stream_reply().await;
            let tool_use = finish.as_ref().is_some_and(|finish| {
                finish.status == MessageStatus::Done
                    && finish.stop_reason.as_deref() == Some("tool_use")
            });
            let content =
                finish.map(|finish| serde_json::from_str(&finish.content_json).unwrap_or_default());
            match content {
                Some(content) if tool_use => {
                    if !self.run_tool_round(content).await {
                        return self.reply.id.clone();
                    }
                    self.continuation = Continuation::default();
                }
                _ => return self.reply.id.clone(),
            }
        }
    }

    /// Streams one reply to its end and stores it; its final state when it was stored.
    async fn stream_reply(&mut self) -> Option<MessageFinish> {
        let mut continuation = std::mem::take(&mut self.continuation);
        // Stored images become base64 here, off the command's path: a send returns at once
        // even with large images, and a refusal ends as a failed reply the user can retry.
        if let Err(error) = self
            .images
            .resolve_request_images(&mut self.request.messages)
            .await
        {
            let empty = MessageAccumulator::new();
            return self
                .finish(&continuation, &empty, Attempt::Refused(error), None)
                .await;
        }
        let mut caching = self.prompt_caching;
        let mut request_id = None;
        let mut pauses = 0;
        loop {
            let mut request = self.request.clone();
            if caching {
                request::mark_cache_breakpoints(&mut request);
            }
            let (outcome, accumulator) = self
                .send_with_retries(&request, &mut continuation, &mut request_id)
                .await;
            if let Attempt::Failed(error) = &outcome
                && caching
                && !accumulator.has_output()
                && rejects_cache_control(error)
            {
                // A gateway that does not know prompt caching: once more without it, and
                // remembered for this base URL, so the user never sees this failure.
                tracing::info!("the endpoint refused cache_control; sending without it");
                caching = false;
                if let Some(refusal) = self.cache_refusal.take() {
                    refusal.remember(&self.store).await;
                }
                continue;
            }
            if matches!(outcome, Attempt::Complete)
                && accumulator.stop_reason() == Some("pause_turn")
                && pauses < MAX_PAUSE_CONTINUATIONS
            {
                // The API paused a long turn: send the reply so far back for it to go on.
                pauses += 1;
                continuation = continuation.extended(
                    accumulator.content(),
                    accumulator.message_id().map(|_| accumulator.usage()),
                );
                request::continue_with(&mut self.request, continuation.content(Vec::new()));
                continue;
            }
            return self
                .finish(&continuation, &accumulator, outcome, request_id)
                .await;
        }
    }

    /// Sends `request`, retrying failures before any output with backoff.
    async fn send_with_retries(
        &self,
        request: &MessagesRequest,
        continuation: &mut Continuation,
        request_id: &mut Option<String>,
    ) -> (Attempt, MessageAccumulator) {
        let mut retry_number = 0;
        loop {
            let mut accumulator = MessageAccumulator::new();
            let attempt = self
                .attempt(request, continuation, &mut accumulator, request_id)
                .await;
            let Attempt::Failed(error) = attempt else {
                return (attempt, accumulator);
            };
            // Once output was shown, a retry would replace it: the user decides instead.
            if accumulator.has_output() {
                return (Attempt::Failed(error), accumulator);
            }
            retry_number += 1;
            let jitter: f64 = rand::random();
            let Some(delay) = self.tuning.retry.delay_for(retry_number, &error, jitter) else {
                return (Attempt::Failed(error), accumulator);
            };
            self.sink.send(ChatEvent::Retrying {
                message_id: self.reply.id.clone(),
                attempt: retry_number,
                delay_ms: delay.as_millis() as u64,
                error: CoreError::Api(error.clone()).to_payload(),
            });
            tokio::select! {
                () = self.handle.cancel.cancelled() => return (Attempt::Cancelled, accumulator),
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// Sends the request once and reads its stream until it ends, fails or is cancelled.
    async fn attempt(
        &self,
        request: &MessagesRequest,
        continuation: &mut Continuation,
        accumulator: &mut MessageAccumulator,
        request_id: &mut Option<String>,
    ) -> Attempt {
        let mut stream: EventStream = tokio::select! {
            () = self.handle.cancel.cancelled() => return Attempt::Cancelled,
            opened = self.client.stream_message(request) => match opened {
                Ok(stream) => stream,
                Err(error) => {
                    request_id.clone_from(&error.request_id);
                    return Attempt::Failed(error);
                }
            },
        };
        *request_id = stream.request_id().map(str::to_owned);
        let mut outbox = Outbox::new(&self.reply.id, &self.tuning, !continuation.has_base());
        let mut persisted_at = Instant::now();
        let mut unsaved = false;
        let result = loop {
            let deadline = next_deadline(
                &outbox,
                unsaved.then_some(persisted_at + self.tuning.persist_every),
            );
            let next = tokio::select! {
                biased;
                () = self.handle.cancel.cancelled() => break Attempt::Cancelled,
                event = stream.next_event() => Some(event),
                () = sleep_until(deadline) => None,
            };
            match next {
                // A timer fired: flush what waits.
                None => {}
                Some(None) => break Attempt::Complete,
                Some(Some(Err(error))) => break Attempt::Failed(error),
                Some(Some(Ok(event))) => match accumulator.apply(&event) {
                    Ok(applied) => {
                        unsaved |= !matches!(applied, AppliedDelta::Nothing);
                        outbox.push(continuation.remap(applied));
                    }
                    Err(error) => break Attempt::Failed(error),
                },
            }
            if outbox.due() {
                outbox.flush(self.sink.as_ref());
            }
            if unsaved && persisted_at.elapsed() >= self.tuning.persist_every {
                self.persist_partial(continuation, accumulator).await;
                persisted_at = Instant::now();
                unsaved = false;
            }
        };
        // Dropping the stream here closes the HTTP connection at once, also on cancel.
        drop(stream);
        outbox.flush(self.sink.as_ref());
        if matches!(result, Attempt::Complete) && !accumulator.is_complete() {
            return Attempt::Failed(ClaudeError {
                kind: parley_claude::ApiErrorKind::StreamInterrupted,
                message: "The connection closed before the reply was complete".into(),
                status: None,
                request_id: request_id.clone(),
                retry_after: None,
            });
        }
        result
    }

    async fn persist_partial(&self, continuation: &Continuation, accumulator: &MessageAccumulator) {
        let content = continuation.content(accumulator.content());
        let json = match serde_json::to_string(&content) {
            Ok(json) => json,
            Err(error) => {
                tracing::error!(%error, "could not serialise a partial reply");
                return;
            }
        };
        if let Err(error) = self
            .store
            .update_streaming_content(&self.reply.id, &json, &plain_text(&content))
            .await
        {
            // Keep streaming: the final write may still succeed, and the UI has the text.
            tracing::error!(%error, "could not save a partial reply");
        }
    }

    async fn finish(
        &self,
        continuation: &Continuation,
        accumulator: &MessageAccumulator,
        outcome: Attempt,
        request_id: Option<String>,
    ) -> Option<MessageFinish> {
        let finish = final_state(continuation, accumulator, outcome, request_id);
        let streamed = blocks_streamed(continuation, accumulator, &finish);
        match self.save(&finish).await {
            Saved::Stored => {
                self.show_stored(&finish, streamed).await;
                Some(finish)
            }
            Saved::Gone => {
                tracing::warn!("the reply was deleted while it streamed");
                None
            }
            Saved::Failed(store_error) => {
                tracing::error!(%store_error, "could not save the finished reply");
                let mut message = self.memory_view(&finish);
                message.status = StatusView::Error;
                message.error = Some(unsaved_error(&store_error, &finish));
                self.sink.send(ChatEvent::Finished {
                    message: Box::new(message),
                    blocks_streamed: false,
                });
                self.keep_saving(&finish, streamed).await;
                None
            }
        }
    }

    /// Writes the final state, trying again after each of `save_retry_delays`.
    async fn save(&self, finish: &MessageFinish) -> Saved {
        let mut delays = self.tuning.save_retry_delays.iter();
        loop {
            match self.store.finish_message(&self.reply.id, finish).await {
                Ok(_) => return Saved::Stored,
                Err(StoreError::NotFound(_)) => return Saved::Gone,
                Err(error) => match delays.next() {
                    Some(delay) => {
                        tracing::warn!(%error, "could not save the finished reply; trying again");
                        tokio::time::sleep(*delay).await;
                    }
                    None => return Saved::Failed(error),
                },
            }
        }
    }

    /// While the reply is shown as not saved, tries the write again every `save_retry_every`
    /// for `save_retry_for`; once it works the UI gets the stored reply in a second `Finished`.
    /// Stops when the stream is abandoned (its conversation is deleted, the app closes); the
    /// row then keeps its last partial write, and the next start-up marks it interrupted.
    async fn keep_saving(&self, finish: &MessageFinish, streamed: bool) {
        let give_up_at = Instant::now() + self.tuning.save_retry_for;
        while Instant::now() < give_up_at {
            tokio::select! {
                () = self.handle.abandon.cancelled() => return,
                () = tokio::time::sleep(self.tuning.save_retry_every) => {}
            }
            match self.store.finish_message(&self.reply.id, finish).await {
                Ok(_) => {
                    tracing::info!("saved the finished reply after all");
                    self.show_stored(finish, streamed).await;
                    return;
                }
                Err(StoreError::NotFound(_)) => return,
                Err(error) => tracing::debug!(%error, "the finished reply still cannot be saved"),
            }
        }
        tracing::error!("gave up saving the finished reply; it stays as last written");
    }

    /// Sends `Finished` with the stored reply (its sibling list up to date; its blocks left out
    /// when `streamed`, see [`blocks_streamed`]), and starts the title after a first reply.
    /// Falls back to the reply in memory when it cannot be read.
    async fn show_stored(&self, finish: &MessageFinish, streamed: bool) {
        let all = match self.final_messages().await {
            Ok(all) => all,
            Err(view_error) => {
                tracing::error!(%view_error, "could not read back the finished reply");
                let message = self.memory_view(finish);
                self.sink.send(ChatEvent::Finished {
                    message: Box::new(message),
                    blocks_streamed: false,
                });
                return;
            }
        };
        let Some(message) = all.iter().find(|m| m.id == self.reply.id) else {
            tracing::warn!("the reply was deleted while it streamed");
            return;
        };
        let mut view = SiblingIndex::new(&all).view(message).priced(&self.prices);
        if streamed {
            view.blocks = Vec::new();
        }
        self.sink.send(ChatEvent::Finished {
            message: Box::new(view),
            blocks_streamed: streamed,
        });
        if finish.status == MessageStatus::Done {
            self.start_title(&all, message, &finish.text);
        }
    }

    /// The final reply from memory: what the stored row would show.
    fn memory_view(&self, finish: &MessageFinish) -> MessageView {
        let error = finish.error_kind.as_deref().map(|kind| ErrorPayload {
            kind: ErrorKind::parse(kind).unwrap_or(ErrorKind::Internal),
            message: finish.error_message.clone().unwrap_or_default(),
            status: None,
            request_id: finish.request_id.clone(),
        });
        let usage = &finish.usage;
        MessageView {
            blocks: serde_json::from_str(&finish.content_json).unwrap_or_default(),
            status: match finish.status {
                MessageStatus::Streaming => StatusView::Streaming,
                MessageStatus::Done => StatusView::Done,
                MessageStatus::Error => StatusView::Error,
                MessageStatus::Cancelled => StatusView::Cancelled,
            },
            error,
            stop_reason: finish.stop_reason.clone(),
            stop_sequence: finish.stop_sequence.clone(),
            usage: usage.input_tokens.map(|input| UsageView {
                input_tokens: input.max(0) as u64,
                output_tokens: usage.output_tokens.unwrap_or(0).max(0) as u64,
                cache_creation_input_tokens: usage
                    .cache_creation_input_tokens
                    .map(|v| v.max(0) as u64),
                cache_read_input_tokens: usage.cache_read_input_tokens.map(|v| v.max(0) as u64),
            }),
            ..self.reply.clone()
        }
        .priced(&self.prices)
    }

    async fn final_messages(&self) -> CoreResult<Vec<StoredMessage>> {
        Ok(self
            .store
            .messages_in_conversation(&self.reply.conversation_id)
            .await?)
    }

    /// After the conversation's first finished reply (no other reply is `done`), spawns the
    /// request for its title, so the stream ends without waiting for it.
    fn start_title(&self, all: &[StoredMessage], reply: &StoredMessage, reply_text: &str) {
        let Some(model) = self.title_model.clone() else {
            return;
        };
        let done_replies = all
            .iter()
            .filter(|m| m.role == Role::Assistant && m.status == MessageStatus::Done)
            .count();
        if done_replies != 1 {
            return;
        }
        let user_text = all
            .iter()
            .find(|m| Some(&m.id) == reply.parent_id.as_ref())
            .map(|m| m.text.clone())
            .unwrap_or_default();
        let job = TitleJob {
            store: self.store.clone(),
            client: self.client.clone(),
            model,
            conversation_id: self.reply.conversation_id.clone(),
            user_text,
            reply_text: reply_text.to_owned(),
            sink: Arc::clone(&self.sink),
        };
        tokio::spawn(job.run());
    }
}

/// The reply's final state as the store keeps it.
fn final_state(
    continuation: &Continuation,
    accumulator: &MessageAccumulator,
    outcome: Attempt,
    request_id: Option<String>,
) -> MessageFinish {
    let (status, error) = match outcome {
        Attempt::Complete => (MessageStatus::Done, None),
        Attempt::Cancelled => (MessageStatus::Cancelled, None),
        Attempt::Failed(error) => (MessageStatus::Error, Some(CoreError::Api(error))),
        Attempt::Refused(error) => (MessageStatus::Error, Some(error)),
    };
    let content = continuation.content(accumulator.content());
    // No `message_start` means the API never began a reply: there are no counts to show
    // (beyond those of the legs before, for a continued reply).
    let usage = continuation.usage(accumulator.message_id().map(|_| accumulator.usage()));
    MessageFinish {
        status,
        content_json: serde_json::to_string(&content).unwrap_or_else(|_| "[]".into()),
        text: plain_text(&content),
        stop_reason: accumulator.stop_reason().map(str::to_owned),
        stop_sequence: accumulator.stop_sequence().map(str::to_owned),
        usage: usage
            .map(|usage| StoredUsage {
                input_tokens: Some(usage.input_tokens as i64),
                output_tokens: Some(usage.output_tokens as i64),
                cache_creation_input_tokens: usage.cache_creation_input_tokens.map(|v| v as i64),
                cache_read_input_tokens: usage.cache_read_input_tokens.map(|v| v as i64),
            })
            .unwrap_or_default(),
        error_kind: error.as_ref().map(|e| e.kind().as_str().to_owned()),
        error_message: error.as_ref().map(|e| match e {
            CoreError::Api(api) => api.message.clone(),
            other => other.to_string(),
        }),
        request_id: error
            .as_ref()
            .and_then(|e| e.to_payload().request_id)
            .or(request_id),
    }
}

/// The error shown on a reply whose final write failed: kind `database`, what failed, that the
/// text is not stored, and what the user can do. An error the reply itself ended with is added.
fn unsaved_error(store_error: &StoreError, finish: &MessageFinish) -> ErrorPayload {
    let mut message = format!(
        "Parley could not save this reply: {store_error}. The text is shown but not stored; \
         free disk space (or make the data folder writable) and Parley will store it, as it \
         keeps trying while the app is open. Copy the text to be safe."
    );
    if let Some(reply_error) = &finish.error_message {
        message.push_str(&format!(" The reply had also stopped early: {reply_error}"));
    }
    ErrorPayload {
        kind: ErrorKind::Database,
        message,
        status: None,
        request_id: finish.request_id.clone(),
    }
}

/// A 400 about `cache_control`: what a gateway that does not know prompt caching answers.
fn rejects_cache_control(error: &ClaudeError) -> bool {
    error.kind == ApiErrorKind::InvalidRequest
        && error.message.to_ascii_lowercase().contains("cache_control")
}

fn next_deadline(outbox: &Outbox, persist_at: Option<Instant>) -> Option<Instant> {
    match (outbox.flush_at(), persist_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Whether the UI holds the finished reply's blocks exactly as stored, built from this reply's
/// events: it streamed from its first block with nothing before it (no prefill, continued reply
/// or `pause_turn` leg), and each block either ended with its `BlockStop` (a complete reply) or
/// is text or thinking, which the deltas carry whole. A cancelled tool call's input, say, is
/// only partial JSON on the UI's side, so such a reply is sent whole.
fn blocks_streamed(
    continuation: &Continuation,
    accumulator: &MessageAccumulator,
    finish: &MessageFinish,
) -> bool {
    !continuation.has_base()
        && (finish.status == MessageStatus::Done
            || accumulator.content().iter().all(|block| {
                matches!(
                    block,
                    ContentBlock::Text { .. }
                        | ContentBlock::Thinking { .. }
                        | ContentBlock::RedactedThinking { .. }
                )
            }))
}
