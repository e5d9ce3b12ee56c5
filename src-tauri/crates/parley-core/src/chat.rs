//! Sending messages: the user's message and an empty reply go into the store, then a
//! [`StreamJob`] (see [`crate::stream`]) streams the reply. Also stopping streams: one by one,
//! those of conversations about to be deleted, and all of them when the app closes.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;

use parley_claude::{ClaudeClient, ContentBlock, MessagesRequest, Tool, ToolChoice};
use parley_store::{
    ConversationTree, MessageStatus, NewAttachment, NewConversation, NewMessage, Role,
    StoredMessage,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use ts_rs::TS;

use crate::app::Parley;
use crate::continuation::Continuation;
use crate::error::{CoreError, CoreResult};
use crate::events::ChatEventSink;
use crate::images::{ComposerImage, ImagePlacement, composer_blocks, stored_images};
use crate::params::{self, ParamContext};
use crate::params::{RequestParams, ToolChoiceSetting};
use crate::request::{RequestInputs, build_request};
use crate::settings::Settings;
use crate::stream::{CacheRefusal, StreamHandle, StreamJob};
use crate::tokens::{TokenCount, TokenCountRequest, TokenSource};
use crate::tool_loop::ToolLoop;
use crate::tools::LoopTool;
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
        let existing = match &request.conversation_id {
            Some(id) => Some(self.store.get_conversation(id).await?),
            None => None,
        };
        // Invalid parameters are refused here, before anything is stored or sent.
        let params = match (&request.params, &existing) {
            (Some(params), _) => params.clone().normalized(),
            (None, Some(current)) => ConversationMeta::from(current).params,
            (None, None) => settings.default_params.clone(),
        };
        self.check_params(&model, &params, &settings).await?;
        let params_json = to_json(&params)?;
        let conversation = match existing {
            Some(current) => {
                let id = current.id.as_str();
                if current.params_json != params_json {
                    self.store.set_params(id, &params_json).await?;
                }
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
        if request.conversation_id.is_none() {
            self.store
                .set_params(&conversation.id, &params_json)
                .await?;
        }
        let parent_id = self
            .store
            .active_path(&conversation.id)
            .await?
            .last()
            .map(|m| m.id.clone());
        let user = self
            .insert_user_message(&conversation.id, parent_id, blocks, &attachments)
            .await?;
        let reply = ReplyStart {
            include_user_message: true,
            prefill: request.prefill.clone(),
        };
        self.start_reply(client, &settings, &conversation.id, &user.id, sink, reply)
            .await
    }

    /// Asks for more of reply `message_id`, which stopped at `max_tokens`: the reply so far is
    /// sent as the start of the reply (a prefill) and the continuation is appended to the same
    /// message, so it reads as one. Its token counts add up.
    pub async fn continue_reply(
        &self,
        message_id: &str,
        sink: Arc<dyn ChatEventSink>,
    ) -> CoreResult<SendStarted> {
        let reply = self.store.get_message(message_id).await?;
        // Only a reply the API cut short reads on: a finished one would be asked to say more
        // than it meant, and one that called a tool waits for the tool's answer.
        let cut_short = matches!(
            reply.stop_reason.as_deref(),
            Some("max_tokens" | "pause_turn")
        );
        let parent_id = match (&reply.role, &reply.parent_id, reply.status) {
            (Role::Assistant, Some(parent_id), MessageStatus::Done) if cut_short => {
                parent_id.clone()
            }
            _ => {
                return Err(CoreError::InvalidInput(
                    "Only a reply that stopped at its max_tokens limit can be continued".into(),
                ));
            }
        };
        let base = parse_blocks(&reply.content_json, &reply.text);
        let base_text = parley_claude::plain_text(&base);
        if base_text.trim().is_empty() {
            return Err(CoreError::InvalidInput(
                "This reply has no text to continue".into(),
            ));
        }
        let (client, settings) = self.client().await?;
        let conversation = self.store.get_conversation(&reply.conversation_id).await?;
        let tree = self.store.conversation_tree(&conversation.id).await?;
        let history = branch_to(&tree, &parent_id);
        let meta = ConversationMeta::from(&conversation);
        let (request, tools) = self
            .reply_request(&meta, &settings, &history, Some(&base_text))
            .await?;
        let reopened = self.store.reopen_for_continue(message_id).await?;
        let siblings = SiblingIndex::new(&tree.messages);
        let started = SendStarted {
            conversation: meta,
            user_message: None,
            assistant_message: siblings.view(&reopened).priced(&settings.prices),
        };
        let usage = started
            .assistant_message
            .usage
            .as_ref()
            .map(|u| parley_claude::Usage {
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
                cache_creation_input_tokens: u.cache_creation_input_tokens,
                cache_read_input_tokens: u.cache_read_input_tokens,
            });
        let start = JobStart {
            request,
            reply: started.assistant_message.clone(),
            continuation: Continuation::after(base, usage),
            tools,
            resume_round: None,
        };
        self.spawn_stream(client, &settings, start, sink).await;
        Ok(started)
    }

    /// Runs the tool calls of reply `message_id` and goes on with the loop: after the round
    /// cap paused it, or after a restart left its calls not run. Refused once the calls have
    /// been answered (the reply has a child).
    pub async fn resume_tool_loop(
        &self,
        message_id: &str,
        sink: Arc<dyn ChatEventSink>,
    ) -> CoreResult<SendStarted> {
        let reply = self.store.get_message(message_id).await?;
        let tree = self.store.conversation_tree(&reply.conversation_id).await?;
        let answered = tree
            .messages
            .iter()
            .any(|m| m.parent_id.as_deref() == Some(message_id));
        let parent_id = match (&reply.role, &reply.parent_id, reply.status) {
            (Role::Assistant, Some(parent_id), MessageStatus::Done)
                if reply.stop_reason.as_deref() == Some("tool_use") && !answered =>
            {
                parent_id.clone()
            }
            _ => {
                return Err(CoreError::InvalidInput(
                    "Only a reply whose tool calls have not been answered can run them".into(),
                ));
            }
        };
        if self
            .tool_rounds
            .lock()
            .is_ok_and(|r| r.contains_key(message_id))
        {
            return Err(CoreError::InvalidInput(
                "These tool calls are running already".into(),
            ));
        }
        let (client, settings) = self.client().await?;
        let meta = ConversationMeta::from(&tree.conversation);
        let history = branch_to(&tree, &parent_id);
        let (request, tools) = self.reply_request(&meta, &settings, &history, None).await?;
        let content = parse_blocks(&reply.content_json, &reply.text);
        let view = SiblingIndex::new(&tree.messages)
            .view(&reply)
            .priced(&settings.prices);
        let start = JobStart {
            request,
            reply: view.clone(),
            continuation: Continuation::default(),
            tools,
            resume_round: Some(content),
        };
        self.spawn_stream(client, &settings, start, sink).await;
        Ok(SendStarted {
            conversation: meta,
            user_message: None,
            assistant_message: view,
        })
    }

    /// The request the composer would send now (for counting its tokens): the conversation's
    /// visible branch, or nothing for a new one, then the draft as the new user turn. Images
    /// stay content-hash references (see [`Parley::count_request_tokens`]) and no cache
    /// breakpoints are placed: they do not change the count. `None` when there is nothing to
    /// send.
    pub(crate) async fn draft_request(
        &self,
        draft: &TokenCountRequest,
    ) -> CoreResult<Option<MessagesRequest>> {
        let settings = self.settings().await?;
        let tree = match &draft.conversation_id {
            Some(id) => Some(self.store.conversation_tree(id).await?),
            None => None,
        };
        let (model, system_prompt, params) = match &tree {
            Some(tree) => (
                tree.conversation.model.clone(),
                tree.conversation.system_prompt.clone(),
                ConversationMeta::from(&tree.conversation).params,
            ),
            None => (
                Some(draft.model.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| settings.default_model.clone()),
                draft.system_prompt.clone(),
                draft
                    .params
                    .clone()
                    .unwrap_or_else(|| settings.default_params.clone()),
            ),
        };
        let model = self.model_info_for(&model).await;
        let text = draft.text.trim_end();
        let draft_message = if text.trim().is_empty() && draft.images.is_empty() {
            None
        } else {
            let blocks = composer_blocks(text, &draft.images, ImagePlacement::default())?;
            Some(StoredMessage::unsaved(
                Role::User,
                to_json(&blocks)?,
                text.to_owned(),
            ))
        };
        let mut history: Vec<&StoredMessage> = tree
            .as_ref()
            .map(|tree| tree.active_path())
            .unwrap_or_default();
        history.extend(draft_message.as_ref());
        if history.is_empty() {
            return Ok(None);
        }
        // The tools count too; a tool choice being edited may be invalid for a moment.
        let tools = self.current_tools(&params.hand_tools).await;
        let api_tools: Vec<Tool> = tools.iter().map(LoopTool::to_api).collect();
        let tool_choice = checked_tool_choice(&params.tool_choice, &tools).unwrap_or(None);
        let inputs = RequestInputs {
            model: &model,
            system_prompt: system_prompt.as_deref(),
            history: &history,
            params: &params,
            default_max_tokens: settings.default_max_tokens,
            metadata_user_id: None,
            prefill: draft.prefill.as_deref(),
            tools: &api_tools,
            tool_choice: tool_choice.as_ref(),
        };
        // Parameters being typed may be invalid for a moment; they do not change the count.
        let default_params = RequestParams::default();
        let request = build_request(inputs).or_else(|_| {
            build_request(RequestInputs {
                params: &default_params,
                ..inputs
            })
        })?;
        Ok(Some(request))
    }

    /// The input tokens of the request the composer would send now: the endpoint's
    /// `count_tokens` (cached by content), or a local estimate where it has none.
    pub async fn count_tokens(&self, draft: &TokenCountRequest) -> CoreResult<TokenCount> {
        match self.draft_request(draft).await? {
            Some(request) => self.count_request_tokens(&request).await,
            None => Ok(TokenCount {
                tokens: 0,
                source: TokenSource::Estimate,
            }),
        }
    }

    /// Refuses parameters the API would refuse for `model`, naming each.
    pub(crate) async fn check_params(
        &self,
        model: &str,
        params: &RequestParams,
        settings: &Settings,
    ) -> CoreResult<()> {
        let info = self.model_info_for(model).await;
        let issues = params::validate(
            params,
            ParamContext {
                default_max_tokens: settings.default_max_tokens,
                max_output_tokens: info.max_output_tokens,
                thinking: info.thinking,
            },
        );
        if issues.is_empty() {
            Ok(())
        } else {
            Err(CoreError::InvalidInput(params::describe(&issues)))
        }
    }

    /// Sets a conversation's request parameters (the parameters panel), refusing invalid ones.
    pub async fn update_conversation_params(
        &self,
        id: &str,
        params: RequestParams,
    ) -> CoreResult<ConversationMeta> {
        let params = params.normalized();
        let conversation = self.store.get_conversation(id).await?;
        let settings = self.settings().await?;
        self.check_params(&conversation.model, &params, &settings)
            .await?;
        self.store.set_params(id, &to_json(&params)?).await?;
        Ok(ConversationMeta::from(
            &self.store.get_conversation(id).await?,
        ))
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
        let reply = ReplyStart {
            include_user_message: false,
            // Retry and regenerate start the new reply the way the user started the old one.
            prefill: old.prefill.clone(),
        };
        self.start_reply(
            client,
            &settings,
            &old.conversation_id,
            &parent_id,
            sink,
            reply,
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
        let reply = ReplyStart {
            include_user_message: true,
            prefill: None,
        };
        self.start_reply(
            client,
            &settings,
            &old.conversation_id,
            &user.id,
            sink,
            reply,
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
        // MCP servers' process groups go with the app, not left behind as orphans.
        self.tools.shutdown().await;
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
        settings: &Settings,
        conversation_id: &str,
        user_id: &str,
        sink: Arc<dyn ChatEventSink>,
        start: ReplyStart,
    ) -> CoreResult<SendStarted> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        let meta = ConversationMeta::from(&conversation);
        // Built before the reply row exists: a request that cannot be built stores nothing.
        let tree = self.store.conversation_tree(conversation_id).await?;
        let history = branch_to(&tree, user_id);
        let prefill = start
            .prefill
            .as_deref()
            .map(str::trim_end)
            .filter(|text| !text.trim().is_empty());
        let (request, tools) = self
            .reply_request(&meta, settings, &history, prefill)
            .await?;
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
        if let Some(prefill) = prefill {
            self.store.set_prefill(&assistant.id, Some(prefill)).await?;
        }
        let assistant = StoredMessage {
            prefill: prefill.map(str::to_owned),
            ..assistant
        };
        let mut all = tree.messages.clone();
        all.push(assistant.clone());
        let siblings = SiblingIndex::new(&all);
        let user_view = all
            .iter()
            .find(|m| m.id == user_id)
            .map(|m| siblings.view(m));
        let started = SendStarted {
            conversation: ConversationMeta::from(&tree.conversation),
            user_message: if start.include_user_message {
                user_view
            } else {
                None
            },
            assistant_message: siblings.view(&assistant),
        };
        let continuation = match prefill {
            Some(prefill) => Continuation::after(vec![ContentBlock::text(prefill)], None),
            None => Continuation::default(),
        };
        let start = JobStart {
            request,
            reply: started.assistant_message.clone(),
            continuation,
            tools,
            resume_round: None,
        };
        self.spawn_stream(client, settings, start, sink).await;
        Ok(started)
    }

    /// The request for the next reply of `conversation` after `history`, starting with
    /// `prefill`, with the conversation's model, system prompt and parameters.
    async fn reply_request(
        &self,
        conversation: &ConversationMeta,
        settings: &Settings,
        history: &[&StoredMessage],
        prefill: Option<&str>,
    ) -> CoreResult<(MessagesRequest, Vec<LoopTool>)> {
        let model = self.model_info_for(&conversation.model).await;
        let tools = self.request_tools(&conversation.params.hand_tools).await;
        let api_tools: Vec<Tool> = tools.iter().map(LoopTool::to_api).collect();
        let tool_choice = checked_tool_choice(&conversation.params.tool_choice, &tools)?;
        let request = build_request(RequestInputs {
            model: &model,
            system_prompt: conversation.system_prompt.as_deref(),
            history,
            params: &conversation.params,
            default_max_tokens: settings.default_max_tokens,
            metadata_user_id: settings.metadata_user_id.as_deref(),
            prefill,
            tools: &api_tools,
            tool_choice: tool_choice.as_ref(),
        })?;
        Ok((request, tools))
    }

    /// Starts the [`StreamJob`] of `start` and keeps its handle while it runs.
    async fn spawn_stream(
        &self,
        client: ClaudeClient,
        settings: &Settings,
        start: JobStart,
        sink: Arc<dyn ChatEventSink>,
    ) {
        let JobStart {
            request,
            reply,
            continuation,
            tools,
            resume_round,
        } = start;
        // A gateway that refused cache_control once is not sent it again.
        let refused_before = self
            .capabilities
            .get(&self.store, &settings.base_url)
            .await
            .is_ok_and(|known| known.cache_control == Some(false));
        let prompt_caching = settings.prompt_caching && !refused_before;
        let cache_refusal = CacheRefusal {
            capabilities: Arc::clone(&self.capabilities),
            base_url: settings.base_url.clone(),
        };
        let handle = StreamHandle::new(&reply.conversation_id);
        if let Ok(mut streams) = self.streams.lock() {
            streams.insert(reply.id.clone(), handle.clone());
        }
        let tool_loop = if tools.is_empty() {
            None
        } else {
            Some(ToolLoop {
                tools,
                host: self.tools.host().await,
                timeout: Duration::from_secs(u64::from(settings.tool_timeout_secs)),
                cap: settings.tool_round_cap,
                rounds: 0,
                live: Arc::clone(&self.tool_rounds),
                streams: Arc::clone(&self.streams),
            })
        };
        let job = StreamJob {
            store: self.store.clone(),
            client,
            request,
            reply,
            sink,
            handle,
            tuning: self.tuning.clone(),
            images: self.images.clone(),
            title_model: settings.title_model.clone(),
            continuation,
            prompt_caching,
            prices: settings.prices.clone(),
            cache_refusal: Some(cache_refusal),
            tool_loop,
            resume_round,
        };
        let streams = Arc::clone(&self.streams);
        tokio::spawn(async move {
            let last_reply_id = job.run().await;
            if let Ok(mut streams) = streams.lock() {
                streams.remove(&last_reply_id);
            }
        });
    }
}

/// What a stream job starts from.
struct JobStart {
    request: MessagesRequest,
    /// The reply it streams into (or, resuming, whose tool calls it runs first).
    reply: MessageView,
    /// What the reply already holds.
    continuation: Continuation,
    /// The tools the request offers; the loop runs their calls.
    tools: Vec<LoopTool>,
    /// Run the tool round of `reply` (these blocks) before any request.
    resume_round: Option<Vec<ContentBlock>>,
}

/// How a new reply starts.
struct ReplyStart {
    /// Return the user's message with the reply (a new turn, not a regenerated reply).
    include_user_message: bool,
    /// "Start Claude's reply with…".
    prefill: Option<String>,
}

/// The request's `tool_choice`: none without tools (the API refuses one), and an error naming
/// a forced tool that is not offered.
fn checked_tool_choice(
    setting: &ToolChoiceSetting,
    tools: &[LoopTool],
) -> CoreResult<Option<ToolChoice>> {
    if tools.is_empty() {
        return match setting {
            ToolChoiceSetting::Any | ToolChoiceSetting::Tool { .. } => {
                Err(CoreError::InvalidInput(
                    "Tool choice requires a tool, but no tool is enabled: add an MCP server or a \
                     hand-written tool, or set tool choice to auto"
                        .into(),
                ))
            }
            ToolChoiceSetting::Auto | ToolChoiceSetting::None => Ok(None),
        };
    }
    if let ToolChoiceSetting::Tool { name } = setting
        && !tools.iter().any(|tool| tool.api_name() == name)
    {
        return Err(CoreError::InvalidInput(format!(
            "Tool choice names the tool {name}, which is not enabled"
        )));
    }
    Ok(setting.to_api())
}

/// The visible branch of `tree` from its root down to `last_id`, inclusive.
fn branch_to<'a>(tree: &'a ConversationTree, last_id: &str) -> Vec<&'a StoredMessage> {
    let path = tree.active_path();
    match path.iter().position(|m| m.id == last_id) {
        Some(at) => path[..=at].to_vec(),
        // `last_id` is not on the visible branch (a branch switch raced): walk up from it.
        None => {
            let by_id: HashMap<&str, &StoredMessage> =
                tree.messages.iter().map(|m| (m.id.as_str(), m)).collect();
            let mut chain = Vec::new();
            let mut next = by_id.get(last_id).copied();
            while let Some(message) = next {
                chain.push(message);
                next = message
                    .parent_id
                    .as_deref()
                    .and_then(|id| by_id.get(id).copied());
            }
            chain.reverse();
            chain
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(|error| CoreError::Internal(format!("JSON: {error}")))
}
