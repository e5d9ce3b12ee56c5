//! Sending messages and streaming replies: into the store as they arrive, and out to the UI.
//!
//! One spawned task per reply ([`StreamJob`]). It retries failures that happen before any reply
//! output (429, 500, 529, network) with backoff, coalesces deltas for the UI, writes the partial
//! reply to SQLite at most every `persist_every` (so a crash loses at most that much), and always
//! ends with one [`ChatEvent::Finished`] carrying the stored final state.

use std::sync::Arc;
use std::time::Duration;

use parley_claude::{
    AppliedDelta, ClaudeClient, ClaudeError, ContentBlock, EventStream, Message,
    MessageAccumulator, MessageContent, MessagesRequest, RetryPolicy, SystemPrompt,
};
use parley_store::{
    MessageFinish, MessageStatus, NewAttachment, NewConversation, NewMessage, Role, Store,
    StoredMessage, StoredUsage,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::events::{ChatEvent, ChatEventSink};
use crate::images::{ComposerImage, ImagePlacement, ImageStore, composer_blocks, stored_images};
use crate::titles::TitleJob;
use crate::view::{
    ConversationMeta, MessageView, SiblingIndex, UsageView, parse_blocks, title_from_text,
};

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
}

impl Default for StreamTuning {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            persist_every: Duration::from_millis(250),
            coalesce_every: Duration::from_millis(16),
            coalesce_bytes: 16 * 1024,
        }
    }
}

/// A new message from the composer.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest {
    /// `None` starts a new conversation.
    pub conversation_id: Option<String>,
    pub text: String,
    pub model: String,
    pub system_prompt: Option<String>,
    /// Images in the order the user arranged them.
    #[serde(default)]
    pub images: Vec<ComposerImage>,
    #[serde(default)]
    pub image_placement: ImagePlacement,
}

/// What a send created; the reply then streams over the channel.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendStarted {
    pub conversation: ConversationMeta,
    pub user_message: Option<MessageView>,
    pub assistant_message: MessageView,
}

/// Per-conversation request parameters kept in `conversations.params_json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConversationParams {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<u32>,
    pub stop_sequences: Vec<String>,
}

impl Parley {
    /// Stores the user's message and an empty reply, and starts streaming the reply.
    ///
    /// Fails before storing anything when no key is available, so the composer keeps the text.
    pub async fn send_message(
        &self,
        request: SendRequest,
        sink: Arc<dyn ChatEventSink>,
    ) -> CoreResult<SendStarted> {
        let text = request.text.trim_end().to_owned();
        if text.trim().is_empty() && request.images.is_empty() {
            return Err(CoreError::InvalidInput("The message is empty".into()));
        }
        let blocks = composer_blocks(&text, &request.images, request.image_placement)?;
        // Checked before anything is stored, so a missing image leaves the composer as it was.
        let attachments = self.attachments_of(&blocks).await?;
        let (client, settings) = self.client().await?;
        let model = Some(request.model.trim().to_owned())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| settings.default_model.clone());
        let conversation = match &request.conversation_id {
            Some(id) => {
                let current = self.store.get_conversation(id).await?;
                if current.model != model {
                    self.store
                        .update_conversation(id, Some(&model), None)
                        .await?
                } else {
                    current
                }
            }
            None => {
                let system_prompt = request
                    .system_prompt
                    .clone()
                    .filter(|s| !s.trim().is_empty());
                self.store
                    .create_conversation(&NewConversation {
                        title: if text.trim().is_empty() {
                            "Image".to_owned()
                        } else {
                            title_from_text(&text)
                        },
                        model: model.clone(),
                        system_prompt,
                    })
                    .await?
            }
        };
        let parent_id = self
            .store
            .active_path(&conversation.id)
            .await?
            .last()
            .map(|m| m.id.clone());
        let user = self
            .insert_user_message(&conversation.id, parent_id, blocks, &attachments)
            .await?;
        self.start_reply(client, &settings, &conversation.id, &user.id, sink, true)
            .await
    }

    /// Asks again for the reply to the turn of `message_id` (an assistant message): a new
    /// alternative is created; the old reply stays as a sibling. Used for retry and regenerate.
    pub async fn regenerate_reply(
        &self,
        message_id: &str,
        sink: Arc<dyn ChatEventSink>,
    ) -> CoreResult<SendStarted> {
        let old = self.store.get_message(message_id).await?;
        let parent_id = match (old.role, old.parent_id) {
            (Role::Assistant, Some(parent_id)) => parent_id,
            _ => {
                return Err(CoreError::InvalidInput(
                    "Only a reply can be regenerated".into(),
                ));
            }
        };
        let (client, settings) = self.client().await?;
        self.cancel_stream(message_id);
        self.start_reply(
            client,
            &settings,
            &old.conversation_id,
            &parent_id,
            sink,
            false,
        )
        .await
    }

    /// Sends an edited copy of user message `message_id` as a new branch of its turn. The
    /// message's images stay, in their place before or after the text.
    pub async fn edit_and_resend(
        &self,
        message_id: &str,
        text: String,
        sink: Arc<dyn ChatEventSink>,
    ) -> CoreResult<SendStarted> {
        let text = text.trim_end().to_owned();
        let old = self.store.get_message(message_id).await?;
        if old.role != Role::User {
            return Err(CoreError::InvalidInput(
                "Only your own messages can be edited".into(),
            ));
        }
        let old_blocks = parse_blocks(&old.content_json, &old.text);
        let images: Vec<ContentBlock> = old_blocks
            .iter()
            .filter(|block| matches!(block, ContentBlock::Image { .. }))
            .cloned()
            .collect();
        if text.trim().is_empty() && images.is_empty() {
            return Err(CoreError::InvalidInput("The message is empty".into()));
        }
        let text_first = old_blocks
            .first()
            .is_some_and(|block| !matches!(block, ContentBlock::Image { .. }));
        let text_block = (!text.trim().is_empty()).then(|| ContentBlock::text(&text));
        let blocks: Vec<ContentBlock> = if text_first {
            text_block.into_iter().chain(images).collect()
        } else {
            images.into_iter().chain(text_block).collect()
        };
        let attachments = self.attachments_of(&blocks).await?;
        let (client, settings) = self.client().await?;
        let user = self
            .insert_user_message(&old.conversation_id, old.parent_id, blocks, &attachments)
            .await?;
        self.start_reply(
            client,
            &settings,
            &old.conversation_id,
            &user.id,
            sink,
            true,
        )
        .await
    }

    /// Stops the reply `message_id` streams, if it still does. The HTTP request is dropped at
    /// once; the stream task then stores the partial reply as `cancelled`.
    pub fn cancel_stream(&self, message_id: &str) -> bool {
        match self.streams.lock() {
            Ok(streams) => streams
                .get(message_id)
                .map(CancellationToken::cancel)
                .is_some(),
            Err(_) => false,
        }
    }

    /// Cancels every stream (the app is closing).
    pub fn cancel_all_streams(&self) {
        if let Ok(streams) = self.streams.lock() {
            streams.values().for_each(CancellationToken::cancel);
        }
    }

    /// Cancels every stream and waits, at most `grace`, until each has saved its partial reply.
    pub async fn shutdown(&self, grace: Duration) {
        self.cancel_all_streams();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && self.streams.lock().is_ok_and(|s| !s.is_empty()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The `attachments` rows for the stored images among `blocks`; fails when a file is gone.
    async fn attachments_of(&self, blocks: &[ContentBlock]) -> CoreResult<Vec<NewAttachment>> {
        let mut attachments = Vec::new();
        for (position, sha256) in stored_images(blocks) {
            attachments.push(self.images.attachment_for(position, &sha256).await?);
        }
        Ok(attachments)
    }

    async fn insert_user_message(
        &self,
        conversation_id: &str,
        parent_id: Option<String>,
        content: Vec<ContentBlock>,
        attachments: &[NewAttachment],
    ) -> CoreResult<StoredMessage> {
        let text = content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        Ok(self
            .store
            .insert_message_with_attachments(
                &NewMessage {
                    conversation_id: conversation_id.to_owned(),
                    parent_id,
                    role: Role::User,
                    content_json: to_json(&content)?,
                    text,
                    model: None,
                    status: MessageStatus::Done,
                },
                attachments,
            )
            .await?)
    }

    /// Creates the streaming reply under `user_id`, spawns its [`StreamJob`] and returns the views.
    async fn start_reply(
        &self,
        client: ClaudeClient,
        settings: &crate::settings::Settings,
        conversation_id: &str,
        user_id: &str,
        sink: Arc<dyn ChatEventSink>,
        include_user_message: bool,
    ) -> CoreResult<SendStarted> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let assistant = self
            .store
            .insert_message(&NewMessage {
                conversation_id: conversation_id.to_owned(),
                parent_id: Some(user_id.to_owned()),
                role: Role::Assistant,
                content_json: "[]".into(),
                text: String::new(),
                model: Some(conversation.model.clone()),
                status: MessageStatus::Streaming,
            })
            .await?;
        // One read of the conversation and every message on every branch gives the request's
        // history (the visible branch), the sibling counts and the meta the UI gets back.
        let tree = self.store.conversation_tree(conversation_id).await?;
        let history: Vec<&StoredMessage> = tree
            .active_path()
            .into_iter()
            .take_while(|m| m.id != assistant.id)
            .collect();
        let params: ConversationParams =
            serde_json::from_str(&tree.conversation.params_json).unwrap_or_default();
        let request = MessagesRequest {
            model: conversation.model.clone(),
            max_tokens: params.max_tokens.unwrap_or(settings.default_max_tokens),
            messages: history_to_messages(&history),
            system: conversation.system_prompt.clone().map(SystemPrompt::Text),
            temperature: params.temperature,
            top_p: params.top_p,
            top_k: params.top_k,
            stop_sequences: params.stop_sequences.clone(),
            ..MessagesRequest::default()
        };

        let siblings = SiblingIndex::new(&tree.messages);
        let user_view = tree
            .messages
            .iter()
            .find(|m| m.id == user_id)
            .map(|m| siblings.view(m));
        let started = SendStarted {
            conversation: ConversationMeta::from(&tree.conversation),
            user_message: if include_user_message {
                user_view
            } else {
                None
            },
            assistant_message: siblings.view(&assistant),
        };

        let cancel = CancellationToken::new();
        if let Ok(mut streams) = self.streams.lock() {
            streams.insert(assistant.id.clone(), cancel.clone());
        }
        let job = StreamJob {
            store: self.store.clone(),
            client,
            request,
            message_id: assistant.id.clone(),
            conversation_id: conversation_id.to_owned(),
            sink,
            cancel,
            tuning: self.tuning.clone(),
            images: self.images.clone(),
            title_model: settings.title_model.clone(),
        };
        let streams = Arc::clone(&self.streams);
        tokio::spawn(async move {
            let message_id = job.message_id.clone();
            job.run().await;
            if let Ok(mut streams) = streams.lock() {
                streams.remove(&message_id);
            }
        });
        Ok(started)
    }
}

fn to_json<T: Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(|error| CoreError::Internal(format!("JSON: {error}")))
}

/// Turns the stored branch into API messages.
///
/// Replies are sent back as their text only: thinking blocks from a cancelled stream lack their
/// signature and tool calls lack results, both of which the API rejects, and Parley does not run
/// tools yet. Empty messages (a reply that failed before any text) are left out, and consecutive
/// messages of one role are merged, so the roles alternate as the API requires.
pub fn history_to_messages(path: &[&StoredMessage]) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    for stored in path {
        let role = match stored.role {
            Role::User => parley_claude::Role::User,
            Role::Assistant => parley_claude::Role::Assistant,
        };
        let blocks: Vec<ContentBlock> = parse_blocks(&stored.content_json, &stored.text)
            .into_iter()
            .filter(|block| match block {
                ContentBlock::Text { text, .. } => !text.trim().is_empty(),
                _ => role == parley_claude::Role::User,
            })
            .collect();
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some(last) if last.role == role => {
                if let MessageContent::Blocks(existing) = &mut last.content {
                    existing.extend(blocks);
                }
            }
            _ => messages.push(Message {
                role,
                content: MessageContent::Blocks(blocks),
            }),
        }
    }
    messages
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
struct StreamJob {
    store: Store,
    client: ClaudeClient,
    request: MessagesRequest,
    message_id: String,
    conversation_id: String,
    sink: Arc<dyn ChatEventSink>,
    cancel: CancellationToken,
    tuning: StreamTuning,
    images: ImageStore,
    /// Makes the conversation's title after its first reply (`None`: off).
    title_model: Option<String>,
}

impl StreamJob {
    async fn run(mut self) {
        // Stored images become base64 here, off the command's path: a send returns at once
        // even with large images, and a refusal ends as a failed reply the user can retry.
        if let Err(error) = self
            .images
            .resolve_request_images(&mut self.request.messages)
            .await
        {
            self.finish(&MessageAccumulator::new(), Attempt::Refused(error), None)
                .await;
            return;
        }
        let mut request_id = None;
        let mut retry_number = 0;
        let (outcome, accumulator) = loop {
            let mut accumulator = MessageAccumulator::new();
            let attempt = self.attempt(&mut accumulator, &mut request_id).await;
            let Attempt::Failed(error) = attempt else {
                break (attempt, accumulator);
            };
            // Once output was shown, a retry would replace it: the user decides instead.
            if accumulator.has_output() {
                break (Attempt::Failed(error), accumulator);
            }
            retry_number += 1;
            let jitter: f64 = rand::random();
            let Some(delay) = self.tuning.retry.delay_for(retry_number, &error, jitter) else {
                break (Attempt::Failed(error), accumulator);
            };
            self.sink.send(ChatEvent::Retrying {
                message_id: self.message_id.clone(),
                attempt: retry_number,
                delay_ms: delay.as_millis() as u64,
                error: CoreError::Api(error.clone()).to_payload(),
            });
            tokio::select! {
                () = self.cancel.cancelled() => break (Attempt::Cancelled, accumulator),
                () = tokio::time::sleep(delay) => {}
            }
        };
        self.finish(&accumulator, outcome, request_id).await;
    }

    /// Sends the request once and reads its stream until it ends, fails or is cancelled.
    async fn attempt(
        &self,
        accumulator: &mut MessageAccumulator,
        request_id: &mut Option<String>,
    ) -> Attempt {
        let mut stream: EventStream = tokio::select! {
            () = self.cancel.cancelled() => return Attempt::Cancelled,
            opened = self.client.stream_message(&self.request) => match opened {
                Ok(stream) => stream,
                Err(error) => {
                    request_id.clone_from(&error.request_id);
                    return Attempt::Failed(error);
                }
            },
        };
        *request_id = stream.request_id().map(str::to_owned);
        let mut outbox = Outbox::new(&self.message_id, &self.tuning);
        let mut persisted_at = Instant::now();
        let mut unsaved = false;
        let result = loop {
            let deadline = next_deadline(
                &outbox,
                unsaved.then_some(persisted_at + self.tuning.persist_every),
            );
            let next = tokio::select! {
                biased;
                () = self.cancel.cancelled() => break Attempt::Cancelled,
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
                        outbox.push(applied);
                    }
                    Err(error) => break Attempt::Failed(error),
                },
            }
            if outbox.due() {
                outbox.flush(self.sink.as_ref());
            }
            if unsaved && persisted_at.elapsed() >= self.tuning.persist_every {
                self.persist_partial(accumulator).await;
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

    async fn persist_partial(&self, accumulator: &MessageAccumulator) {
        let content = accumulator.content();
        let json = match serde_json::to_string(&content) {
            Ok(json) => json,
            Err(error) => {
                tracing::error!(%error, "could not serialise a partial reply");
                return;
            }
        };
        if let Err(error) = self
            .store
            .update_streaming_content(&self.message_id, &json, &accumulator.plain_text())
            .await
        {
            // Keep streaming: the final write may still succeed, and the UI has the text.
            tracing::error!(%error, "could not save a partial reply");
        }
    }

    async fn finish(
        &self,
        accumulator: &MessageAccumulator,
        outcome: Attempt,
        request_id: Option<String>,
    ) {
        let (status, error) = match outcome {
            Attempt::Complete => (MessageStatus::Done, None),
            Attempt::Cancelled => (MessageStatus::Cancelled, None),
            Attempt::Failed(error) => (MessageStatus::Error, Some(CoreError::Api(error))),
            Attempt::Refused(error) => (MessageStatus::Error, Some(error)),
        };
        let content = accumulator.content();
        // No `message_start` means the API never began a reply: there are no counts to show.
        let usage = accumulator.message_id().map(|_| accumulator.usage());
        let finish = MessageFinish {
            status,
            content_json: serde_json::to_string(&content).unwrap_or_else(|_| "[]".into()),
            text: accumulator.plain_text(),
            stop_reason: accumulator.stop_reason().map(str::to_owned),
            stop_sequence: accumulator.stop_sequence().map(str::to_owned),
            usage: usage
                .map(|usage| StoredUsage {
                    input_tokens: Some(usage.input_tokens as i64),
                    output_tokens: Some(usage.output_tokens as i64),
                    cache_creation_input_tokens: usage
                        .cache_creation_input_tokens
                        .map(|v| v as i64),
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
        };
        if let Err(store_error) = self.store.finish_message(&self.message_id, &finish).await {
            tracing::error!(%store_error, "could not save the finished reply");
        }
        let all = match self.final_messages().await {
            Ok(all) => all,
            Err(view_error) => {
                tracing::error!(%view_error, "could not read back the finished reply");
                return;
            }
        };
        let Some(message) = all.iter().find(|m| m.id == self.message_id) else {
            tracing::error!("the reply was deleted while it streamed");
            return;
        };
        self.sink.send(ChatEvent::Finished {
            message: SiblingIndex::new(&all).view(message),
        });
        if status == MessageStatus::Done {
            self.start_title(&all, message, &finish.text);
        }
    }

    async fn final_messages(&self) -> CoreResult<Vec<StoredMessage>> {
        Ok(self
            .store
            .messages_in_conversation(&self.conversation_id)
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
            conversation_id: self.conversation_id.clone(),
            user_text,
            reply_text: reply_text.to_owned(),
            sink: Arc::clone(&self.sink),
        };
        tokio::spawn(job.run());
    }
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

/// Coalesces consecutive deltas of one block into one event, sent when `coalesce_every` has
/// passed since the first waiting delta or `coalesce_bytes` are waiting.
struct Outbox {
    message_id: String,
    events: Vec<ChatEvent>,
    waiting_bytes: usize,
    first_waiting: Option<Instant>,
    every: Duration,
    max_bytes: usize,
}

impl Outbox {
    fn new(message_id: &str, tuning: &StreamTuning) -> Self {
        Self {
            message_id: message_id.to_owned(),
            events: Vec::new(),
            waiting_bytes: 0,
            first_waiting: None,
            every: tuning.coalesce_every,
            max_bytes: tuning.coalesce_bytes,
        }
    }

    fn push(&mut self, applied: AppliedDelta) {
        let id = self.message_id.clone();
        let event = match applied {
            AppliedDelta::Nothing
            | AppliedDelta::Signature { .. }
            | AppliedDelta::Citation { .. }
            | AppliedDelta::MessageStopped => return,
            AppliedDelta::BlockStarted { index, block } => ChatEvent::BlockStart {
                message_id: id,
                index: index as u32,
                block,
            },
            AppliedDelta::Text { index, text } => {
                return self.append(DeltaKind::Text, index, &text);
            }
            AppliedDelta::Thinking { index, text } => {
                return self.append(DeltaKind::Thinking, index, &text);
            }
            AppliedDelta::ToolInput {
                index,
                partial_json,
            } => {
                return self.append(DeltaKind::ToolInput, index, &partial_json);
            }
            AppliedDelta::BlockStopped { index, block } => ChatEvent::BlockStop {
                message_id: id,
                index: index as u32,
                block,
            },
            AppliedDelta::Usage(usage) => {
                // Only the newest counts matter: replace a waiting usage event.
                self.events
                    .retain(|e| !matches!(e, ChatEvent::Usage { .. }));
                ChatEvent::Usage {
                    message_id: id,
                    usage: UsageView::from(&usage),
                }
            }
        };
        self.enqueue(event, 0);
    }

    /// Appends `text` to the waiting delta of the same kind and block, or queues a new one.
    fn append(&mut self, kind: DeltaKind, index: usize, text: &str) {
        let index = index as u32;
        if let Some(last) = self.events.last_mut()
            && let Some((last_kind, last_index, buffer)) = delta_parts(last)
            && last_kind == kind
            && last_index == index
        {
            buffer.push_str(text);
            self.note_waiting(text.len());
            return;
        }
        let message_id = self.message_id.clone();
        let text = text.to_owned();
        let bytes = text.len();
        let event = match kind {
            DeltaKind::Text => ChatEvent::TextDelta {
                message_id,
                index,
                text,
            },
            DeltaKind::Thinking => ChatEvent::ThinkingDelta {
                message_id,
                index,
                text,
            },
            DeltaKind::ToolInput => ChatEvent::ToolInputDelta {
                message_id,
                index,
                partial_json: text,
            },
        };
        self.enqueue(event, bytes);
    }

    fn enqueue(&mut self, event: ChatEvent, bytes: usize) {
        self.events.push(event);
        self.note_waiting(bytes);
    }

    fn note_waiting(&mut self, bytes: usize) {
        self.waiting_bytes += bytes;
        self.first_waiting.get_or_insert_with(Instant::now);
    }

    fn flush_at(&self) -> Option<Instant> {
        self.first_waiting.map(|first| first + self.every)
    }

    fn due(&self) -> bool {
        self.waiting_bytes >= self.max_bytes
            || self
                .first_waiting
                .is_some_and(|first| first.elapsed() >= self.every)
    }

    fn flush(&mut self, sink: &dyn ChatEventSink) {
        for event in self.events.drain(..) {
            sink.send(event);
        }
        self.waiting_bytes = 0;
        self.first_waiting = None;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeltaKind {
    Text,
    Thinking,
    ToolInput,
}

fn delta_parts(event: &mut ChatEvent) -> Option<(DeltaKind, u32, &mut String)> {
    match event {
        ChatEvent::TextDelta { index, text, .. } => Some((DeltaKind::Text, *index, text)),
        ChatEvent::ThinkingDelta { index, text, .. } => Some((DeltaKind::Thinking, *index, text)),
        ChatEvent::ToolInputDelta {
            index,
            partial_json,
            ..
        } => Some((DeltaKind::ToolInput, *index, partial_json)),
        _ => None,
    }
}
