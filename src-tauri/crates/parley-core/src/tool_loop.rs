//! The tool loop: after a reply that stopped at `tool_use`, the stream job runs its calls (each
//! approved by the user or by an "always allow", in parallel), stores their `tool_result`
//! blocks as the next user turn, and streams the next reply, until a reply stops for another
//! reason, the user stops it, or the round cap is reached (then it asks).
//!
//! The calls' states live in a [`ToolRound`] (the core's state machine) inside a [`LiveRound`]
//! registered by reply id while the round runs, so the UI's decisions (commands) reach it; the
//! UI renders [`ChatEvent::ToolCalls`] and never decides whether a call may run.
//!
//! A crash or quit mid-round loses only the round in memory: the reply with its `tool_use`
//! blocks is stored, its calls show as not run, the request builder answers them as not run
//! ([`crate::request::history_to_messages`]), and `resume_tool_loop` can run them later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use parley_claude::{ContentBlock, Message, MessageContent};
use parley_store::{MessageStatus, NewMessage, Role, StoredMessage};
use parley_tools::{McpHost, ToolContent, ToolOutcome};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::events::{ChatEvent, ChatEventSink};
use crate::request;
use crate::stream::{StreamHandle, StreamJob};
use crate::tool_calls::{CallOutcome, Decision, ToolCallView, ToolRound, ToolSource};
use crate::tools::{LoopTool, permission_holds};
use crate::view::{MessageView, SiblingIndex};

/// The rounds in flight, by the id of the reply whose calls they answer.
pub(crate) type LiveRounds = Arc<Mutex<HashMap<String, Arc<LiveRound>>>>;

/// What a stream job needs to run tool rounds.
pub(crate) struct ToolLoop {
    pub(crate) tools: Vec<LoopTool>,
    pub(crate) host: Arc<McpHost>,
    pub(crate) timeout: Duration,
    /// Rounds run without asking; then the loop pauses.
    pub(crate) cap: u32,
    pub(crate) rounds: u32,
    pub(crate) live: LiveRounds,
    /// The stream handles by reply id (the job moves its handle to each new reply).
    pub(crate) streams: Arc<Mutex<HashMap<String, StreamHandle>>>,
}

/// A round waiting for decisions or results.
pub(crate) struct LiveRound {
    conversation_id: String,
    message_id: String,
    round: Mutex<ToolRound>,
    tools: Vec<LoopTool>,
    changed: Notify,
    sink: Arc<dyn ChatEventSink>,
}

impl LiveRound {
    fn tool(&self, name: &str) -> Option<&LoopTool> {
        self.tools.iter().find(|tool| tool.api_name() == name)
    }

    fn with_round<T>(&self, f: impl FnOnce(&mut ToolRound) -> T) -> T {
        match self.round.lock() {
            Ok(mut round) => f(&mut round),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    fn views(&self) -> Vec<ToolCallView> {
        self.with_round(|round| {
            round
                .calls()
                .iter()
                .map(|call| ToolCallView {
                    id: call.id.clone(),
                    name: call.name.clone(),
                    input: call.input.clone(),
                    state: call.state,
                    outcome: call.outcome.clone(),
                    source: match self.tool(&call.name) {
                        Some(LoopTool::Mcp(tool)) => ToolSource::Mcp {
                            server_name: tool.server_name.clone(),
                            tool_name: tool.tool_name.clone(),
                        },
                        Some(LoopTool::Hand(_)) => ToolSource::Hand,
                        None => ToolSource::Unknown,
                    },
                })
                .collect()
        })
    }

    fn event(&self) -> ChatEvent {
        ChatEvent::ToolCalls {
            message_id: self.message_id.clone(),
            conversation_id: self.conversation_id.clone(),
            calls: self.views(),
            awaiting: self.with_round(|round| round.awaits_decision()),
        }
    }

    fn announce(&self) {
        self.sink.send(self.event());
    }
}

/// The `tool_result` content of what a tool gave: its text as a string when that is all, else
/// text and image blocks.
fn outcome_of(outcome: ToolOutcome) -> CallOutcome {
    let only_text = outcome
        .content
        .iter()
        .all(|content| matches!(content, ToolContent::Text { .. }));
    let content = if only_text {
        Value::String(outcome.text())
    } else {
        Value::Array(
            outcome
                .content
                .into_iter()
                .map(|content| match content {
                    ToolContent::Text { text } => json!({"type": "text", "text": text}),
                    ToolContent::Image {
                        media_type,
                        data_base64,
                    } => json!({
                        "type": "image",
                        "source": {"type": "base64", "media_type": media_type, "data": data_base64}
                    }),
                })
                .collect(),
        )
    };
    CallOutcome {
        content,
        is_error: outcome.is_error,
    }
}

/// The searchable text of a round's results: each call's name and the text it gave.
fn results_text(round: &ToolRound) -> String {
    round
        .calls()
        .iter()
        .map(|call| {
            let text = match call.outcome.as_ref().map(|o| &o.content) {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Array(blocks)) => blocks
                    .iter()
                    .filter_map(|block| block.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => String::new(),
            };
            format!("{}: {text}", call.name)
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl StreamJob {
    /// After reply `content` stopped at `tool_use`: runs the round and prepares the next reply.
    /// `false` when the loop ends here (no tools, the cap, Stop, or a write that failed).
    pub(crate) async fn run_tool_round(&mut self, content: Vec<ContentBlock>) -> bool {
        let Some(tool_loop) = self.tool_loop.as_ref() else {
            return false;
        };
        if !content
            .iter()
            .any(|block| matches!(block, ContentBlock::ToolUse { .. }))
        {
            return false;
        }
        if tool_loop.rounds >= tool_loop.cap {
            self.sink.send(ChatEvent::ToolLoopPaused {
                message_id: self.reply.id.clone(),
                rounds: tool_loop.rounds,
            });
            return false;
        }
        let permissions = crate::tools::read_permissions(&self.store)
            .await
            .unwrap_or_default();
        let allowed = |name: &str| match tool_loop.tools.iter().find(|t| t.api_name() == name) {
            Some(LoopTool::Mcp(tool)) => permission_holds(&permissions, tool),
            _ => false,
        };
        let mut round = ToolRound::from_reply(&content, allowed);
        let unknown: Vec<(String, String)> = round
            .calls()
            .iter()
            .filter(|call| !tool_loop.tools.iter().any(|t| t.api_name() == call.name))
            .map(|call| (call.id.clone(), call.name.clone()))
            .collect();
        for (id, name) in unknown {
            let _ = round.resolve(
                &id,
                CallOutcome {
                    content: Value::String(format!(
                        "Parley has no tool named {name} (it may have been turned off)."
                    )),
                    is_error: true,
                },
            );
        }
        let live = Arc::new(LiveRound {
            conversation_id: self.reply.conversation_id.clone(),
            message_id: self.reply.id.clone(),
            round: Mutex::new(round),
            tools: tool_loop.tools.clone(),
            changed: Notify::new(),
            sink: Arc::clone(&self.sink),
        });
        if let Ok(mut rounds) = tool_loop.live.lock() {
            rounds.insert(self.reply.id.clone(), Arc::clone(&live));
        }
        live.announce();
        let stopped = self.settle(&live, tool_loop).await;
        if let Ok(mut rounds) = tool_loop.live.lock() {
            rounds.remove(&self.reply.id);
        }
        let Some(results) = live.with_round(|round| round.results()) else {
            return false;
        };
        let text = live.with_round(|round| results_text(round));
        let results_message = match self.store_results(&results, text).await {
            Ok(message) => message,
            Err(error) => {
                tracing::error!(%error, "could not store the tool results");
                return false;
            }
        };
        if stopped || self.handle.cancel.is_cancelled() {
            return false;
        }
        self.next_reply(content, results, &results_message).await
    }

    /// Runs approved calls as they are approved until every call is settled, or Stop. `true`
    /// when stopped.
    async fn settle(&self, live: &LiveRound, tool_loop: &ToolLoop) -> bool {
        let calls_cancel = self.handle.cancel.child_token();
        let mut running: JoinSet<(String, CallOutcome)> = JoinSet::new();
        loop {
            let started = live.with_round(|round| round.start_approved());
            if !started.is_empty() {
                live.announce();
            }
            for call in started {
                let host = Arc::clone(&tool_loop.host);
                let token: CancellationToken = calls_cancel.clone();
                let timeout = tool_loop.timeout;
                running.spawn(async move {
                    let outcome = host.call(&call.name, call.input, timeout, token).await;
                    (call.id, outcome_of(outcome))
                });
            }
            if live.with_round(|round| round.is_settled()) {
                return self.handle.cancel.is_cancelled();
            }
            tokio::select! {
                // Stop first: the calls' tokens are children of the same token, so a call
                // ended by Stop must not be taken for one that finished.
                biased;
                () = self.handle.cancel.cancelled() => {
                    calls_cancel.cancel();
                    live.with_round(ToolRound::cancel_all);
                    live.announce();
                    // The calls end promptly on their token; they are not waited for.
                    running.detach_all();
                    return true;
                }
                Some(joined) = running.join_next(), if !running.is_empty() => {
                    match joined {
                        Ok((id, outcome)) => {
                            if let Err(error) = live.with_round(|round| round.finish(&id, outcome)) {
                                tracing::debug!(%error, "a tool result came too late");
                            }
                        }
                        Err(error) => tracing::error!(%error, "a tool call task failed"),
                    }
                    live.announce();
                }
                () = live.changed.notified() => {}
            }
        }
    }

    /// Stores `results` as the user turn after the reply, and shows it.
    async fn store_results(
        &self,
        results: &[ContentBlock],
        text: String,
    ) -> CoreResult<StoredMessage> {
        let content_json = serde_json::to_string(results)
            .map_err(|error| CoreError::Internal(format!("JSON: {error}")))?;
        let message = self
            .store
            .insert_message(&NewMessage {
                conversation_id: self.reply.conversation_id.clone(),
                parent_id: Some(self.reply.id.clone()),
                role: Role::User,
                content_json,
                text,
                model: None,
                status: MessageStatus::Done,
            })
            .await?;
        let view = self.view_of(&message).await;
        self.sink.send(ChatEvent::ToolResults {
            message: Box::new(view),
        });
        Ok(message)
    }

    /// `message` as the UI shows it, with its siblings.
    async fn view_of(&self, message: &StoredMessage) -> MessageView {
        match self
            .store
            .messages_in_conversation(&self.reply.conversation_id)
            .await
        {
            Ok(all) => SiblingIndex::new(&all).view(message),
            Err(_) => SiblingIndex::new(std::slice::from_ref(message)).view(message),
        }
    }

    /// Creates the next reply under `results_message`, extends the request with the reply and
    /// its results, and moves the job (and its Stop handle) to the new reply.
    async fn next_reply(
        &mut self,
        content: Vec<ContentBlock>,
        results: Vec<ContentBlock>,
        results_message: &StoredMessage,
    ) -> bool {
        let next = self
            .store
            .insert_message(&NewMessage {
                conversation_id: self.reply.conversation_id.clone(),
                parent_id: Some(results_message.id.clone()),
                role: Role::Assistant,
                content_json: "[]".into(),
                text: String::new(),
                model: self.reply.model.clone(),
                status: MessageStatus::Streaming,
            })
            .await;
        let next = match next {
            Ok(next) => next,
            Err(error) => {
                tracing::error!(%error, "could not store the next reply of the tool loop");
                return false;
            }
        };
        // Thinking goes back with its signature unchanged; unsigned thinking (never complete)
        // would be refused.
        let reply_blocks: Vec<ContentBlock> = content
            .into_iter()
            .filter(|block| match block {
                ContentBlock::Thinking { signature, .. } => !signature.is_empty(),
                _ => true,
            })
            .collect();
        request::continue_with(&mut self.request, reply_blocks);
        self.request.messages.push(Message {
            role: parley_claude::Role::User,
            content: MessageContent::Blocks(results),
        });
        let view = self.view_of(&next).await;
        if let Some(tool_loop) = self.tool_loop.as_mut() {
            tool_loop.rounds += 1;
            if let Ok(mut streams) = tool_loop.streams.lock() {
                streams.remove(&self.reply.id);
                streams.insert(next.id.clone(), self.handle.clone());
            }
        }
        self.sink.send(ChatEvent::NextReply {
            message: Box::new(view.clone()),
        });
        self.reply = view;
        true
    }
}

impl Parley {
    fn live_round(&self, message_id: &str) -> CoreResult<Arc<LiveRound>> {
        self.tool_rounds
            .lock()
            .ok()
            .and_then(|rounds| rounds.get(message_id).cloned())
            .ok_or_else(|| {
                CoreError::InvalidInput(
                    "These tool calls are no longer waiting (the round ended or was stopped)"
                        .into(),
                )
            })
    }

    /// The user's decision on a pending call: Deny, Allow once, or Always allow (remembered for
    /// the tool as it is now).
    pub async fn decide_tool_call(
        &self,
        message_id: &str,
        call_id: &str,
        decision: Decision,
    ) -> CoreResult<()> {
        let live = self.live_round(message_id)?;
        let name = live
            .with_round(|round| {
                round
                    .calls()
                    .iter()
                    .find(|call| call.id == call_id)
                    .map(|call| call.name.clone())
            })
            .ok_or_else(|| CoreError::Missing(format!("No tool call {call_id}")))?;
        let tool = live.tool(&name).cloned();
        if matches!(tool, Some(LoopTool::Hand(_))) && decision != Decision::Deny {
            return Err(CoreError::InvalidInput(
                "This tool is answered by hand: type its result instead".into(),
            ));
        }
        live.with_round(|round| round.decide(call_id, decision))
            .map_err(|error| CoreError::InvalidInput(error.to_string()))?;
        if decision == Decision::AlwaysAllow
            && let Some(LoopTool::Mcp(tool)) = &tool
        {
            self.grant_tool_permission(tool).await?;
        }
        live.announce();
        live.changed.notify_one();
        Ok(())
    }

    /// The user's answer to a call of a hand-written tool.
    pub async fn submit_tool_result(
        &self,
        message_id: &str,
        call_id: &str,
        text: String,
        is_error: bool,
    ) -> CoreResult<()> {
        let live = self.live_round(message_id)?;
        live.with_round(|round| {
            round.resolve(
                call_id,
                CallOutcome {
                    content: Value::String(text),
                    is_error,
                },
            )
        })
        .map_err(|error| CoreError::InvalidInput(error.to_string()))?;
        live.announce();
        live.changed.notify_one();
        Ok(())
    }

    /// The rounds waiting or running now, as `ToolCalls` events, for a UI that (re)opens a
    /// conversation.
    pub fn live_tool_calls(&self) -> Vec<ChatEvent> {
        self.tool_rounds
            .lock()
            .map(|rounds| rounds.values().map(|live| live.event()).collect())
            .unwrap_or_default()
    }
}
