//! Sending messages: the user's message and an empty reply go into the store, then a
//! [`StreamJob`] (see [`crate::stream`]) streams the reply. Also stopping streams: one by one,
//! those of conversations about to be deleted, and all of them when the app closes.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parley_claude::{
    ClaudeClient, ContentBlock, Message, MessageContent, MessagesRequest, SystemPrompt,
};
use parley_store::{
    MessageStatus, NewAttachment, NewConversation, NewMessage, Role, StoredMessage,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use ts_rs::TS;

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::events::ChatEventSink;
use crate::images::{ComposerImage, ImagePlacement, composer_blocks, stored_images};
use crate::params::RequestParams;
use crate::stream::{StreamHandle, StreamJob};
use crate::view::{ConversationMeta, MessageView, SiblingIndex, parse_blocks, title_from_text};

/// How long deleting a conversation waits for its streams to store their partial replies.
const STOP_GRACE: Duration = Duration::from_secs(5);

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
    /// The parameters panel as shown: stored on the conversation before the request is built.
    /// `None` keeps the conversation's (a new conversation gets the settings' defaults).
    #[serde(default)]
    pub params: Option<RequestParams>,
    /// "Start Claude's reply with…": the reply continues this text.
    #[serde(default)]
    pub prefill: Option<String>,
}

/// What a send created; the reply then streams over the channel.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendStarted {
    pub conversation: ConversationMeta,
    pub user_message: Option<MessageView>,
    pub assistant_message: MessageView,
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
                .map(|handle| handle.cancel.cancel())
                .is_some(),
            Err(_) => false,
        }
    }

    /// Stops every stream, and the retries of final writes that failed (the app is closing).
    pub fn cancel_all_streams(&self) {
        if let Ok(streams) = self.streams.lock() {
            streams.values().for_each(|handle| handle.abandon.cancel());
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

    /// Stops the streams of `conversation_ids` and waits (at most [`STOP_GRACE`]) until each
    /// has stored its partial reply, so that nothing writes into those conversations after
    /// they are trashed or purged. Returns how many streams were stopped.
    pub(crate) async fn stop_streams_of(&self, conversation_ids: &[String]) -> usize {
        let wanted: HashSet<&str> = conversation_ids.iter().map(String::as_str).collect();
        let stopped: Vec<String> = match self.streams.lock() {
            Ok(streams) => streams
                .iter()
                .filter(|(_, handle)| wanted.contains(handle.conversation_id.as_str()))
                .map(|(message_id, handle)| {
                    handle.abandon.cancel();
                    message_id.clone()
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        if stopped.is_empty() {
            return 0;
        }
        let running = || {
            self.streams
                .lock()
                .is_ok_and(|streams| stopped.iter().any(|id| streams.contains_key(id)))
        };
        let deadline = Instant::now() + STOP_GRACE;
        while running() {
            if Instant::now() >= deadline {
                tracing::warn!("a stopped stream did not end in time; deleting anyway");
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stopped.len()
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
        let params: RequestParams =
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

        let handle = StreamHandle::new(conversation_id);
        if let Ok(mut streams) = self.streams.lock() {
            streams.insert(assistant.id.clone(), handle.clone());
        }
        let job = StreamJob {
            store: self.store.clone(),
            client,
            request,
            reply: started.assistant_message.clone(),
            sink,
            handle,
            tuning: self.tuning.clone(),
            images: self.images.clone(),
            title_model: settings.title_model.clone(),
        };
        let streams = Arc::clone(&self.streams);
        let message_id = assistant.id.clone();
        tokio::spawn(async move {
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
