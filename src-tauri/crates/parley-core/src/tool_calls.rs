//! The tool calls of one reply (a "round" of the tool loop) and what may happen to each: the
//! approval state machine. The core decides whether a call may run; the UI only shows the
//! state and passes the user's decisions on.
//!
//! ```text
//! pending ──allow──▶ approved ──start──▶ running ──finish──▶ done | error
//!    │                  │                   │
//!    └──deny──▶ denied  └──cancel──▶ cancelled ◀──cancel──┘
//! ```
//!
//! A call the user always allows starts `approved`. A timeout is a finish with an error result.
//! Once every call is settled (done, error, denied or cancelled) the round's `tool_result` blocks
//! are ready, in call order, so the next request answers every `tool_use`.

use parley_claude::ContentBlock;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// Where a call stands (the UI's `data-state`; `approved` shows as about to run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Pending,
    Approved,
    Running,
    Done,
    Error,
    Denied,
    Cancelled,
}

impl CallState {
    /// Whether nothing more can happen to the call.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            Self::Done | Self::Error | Self::Denied | Self::Cancelled
        )
    }
}

/// What answers a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ToolSource {
    /// A tool of an MCP server.
    Mcp {
        server_name: String,
        tool_name: String,
    },
    /// A hand-written tool: the user types the result.
    Hand,
    /// No tool of that name is offered (any more).
    Unknown,
}

/// A call as the UI shows it (`tool-call`, `data-state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallView {
    pub id: String,
    pub name: String,
    #[ts(type = "unknown")]
    pub input: Value,
    pub state: CallState,
    pub outcome: Option<CallOutcome>,
    pub source: ToolSource,
}

/// What the user chose for a pending call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Deny,
    AllowOnce,
    /// Allow this call and, from now on, every call of this tool (until revoked or until the
    /// tool's description or schema changes).
    AlwaysAllow,
}

/// What a tool answered (or why it did not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CallOutcome {
    /// The `tool_result` content: a string or content blocks, as the API takes them.
    #[ts(type = "unknown")]
    pub content: Value,
    pub is_error: bool,
}

/// One call of a round.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The `tool_use` id, which the result answers.
    pub id: String,
    /// The tool's name as the API knows it.
    pub name: String,
    pub input: Value,
    pub state: CallState,
    pub outcome: Option<CallOutcome>,
}

/// A move the state machine does not allow (a bug in the caller, or a stale click).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tool call {id} is {from:?}; it cannot {action}")]
pub struct InvalidTransition {
    pub id: String,
    pub from: CallState,
    pub action: &'static str,
}

/// The calls of one reply, in the order the model made them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolRound {
    calls: Vec<ToolCall>,
}

impl ToolRound {
    /// The round of `blocks` (a reply's content): one call per `tool_use` block. Calls of a tool
    /// for which `always_allowed` is true start approved.
    pub fn from_reply(blocks: &[ContentBlock], always_allowed: impl Fn(&str) -> bool) -> Self {
        let calls = blocks
            .iter()
            .filter_map(|block| match block {
                ContentBlock::ToolUse { id, name, input } => Some(ToolCall {
                    id: id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                    state: if always_allowed(name) {
                        CallState::Approved
                    } else {
                        CallState::Pending
                    },
                    outcome: None,
                }),
                _ => None,
            })
            .collect();
        Self { calls }
    }

    pub fn calls(&self) -> &[ToolCall] {
        &self.calls
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    fn call_mut(
        &mut self,
        id: &str,
        action: &'static str,
    ) -> Result<&mut ToolCall, InvalidTransition> {
        self.calls
            .iter_mut()
            .find(|call| call.id == id)
            .ok_or_else(|| InvalidTransition {
                id: id.to_owned(),
                from: CallState::Cancelled,
                action,
            })
    }

    fn transition(
        &mut self,
        id: &str,
        action: &'static str,
        allowed_from: &[CallState],
        to: CallState,
    ) -> Result<&mut ToolCall, InvalidTransition> {
        let call = self.call_mut(id, action)?;
        if !allowed_from.contains(&call.state) {
            return Err(InvalidTransition {
                id: id.to_owned(),
                from: call.state,
                action,
            });
        }
        call.state = to;
        Ok(call)
    }

    /// Applies the user's decision to a pending call.
    pub fn decide(&mut self, id: &str, decision: Decision) -> Result<(), InvalidTransition> {
        match decision {
            Decision::Deny => {
                let call =
                    self.transition(id, "be denied", &[CallState::Pending], CallState::Denied)?;
                call.outcome = Some(CallOutcome {
                    content: Value::String("The user denied this tool call.".into()),
                    is_error: true,
                });
            }
            Decision::AllowOnce | Decision::AlwaysAllow => {
                self.transition(id, "be allowed", &[CallState::Pending], CallState::Approved)?;
            }
        }
        Ok(())
    }

    /// Answers a pending call without running anything: the user's typed result for a
    /// hand-written tool, or an error for a call nothing can run.
    pub fn resolve(&mut self, id: &str, outcome: CallOutcome) -> Result<(), InvalidTransition> {
        let to = if outcome.is_error {
            CallState::Error
        } else {
            CallState::Done
        };
        let call = self.transition(id, "be answered", &[CallState::Pending], to)?;
        call.outcome = Some(outcome);
        Ok(())
    }

    /// The approved calls, now running: the caller starts them (in parallel).
    pub fn start_approved(&mut self) -> Vec<ToolCall> {
        self.calls
            .iter_mut()
            .filter(|call| call.state == CallState::Approved)
            .map(|call| {
                call.state = CallState::Running;
                call.clone()
            })
            .collect()
    }

    /// Records what a running call answered.
    pub fn finish(&mut self, id: &str, outcome: CallOutcome) -> Result<(), InvalidTransition> {
        let to = if outcome.is_error {
            CallState::Error
        } else {
            CallState::Done
        };
        let call = self.transition(id, "finish", &[CallState::Running], to)?;
        call.outcome = Some(outcome);
        Ok(())
    }

    /// Stop: every call not settled yet is cancelled (the caller stops the running ones).
    pub fn cancel_all(&mut self) {
        for call in &mut self.calls {
            if !call.state.is_settled() {
                call.state = CallState::Cancelled;
                call.outcome = Some(CallOutcome {
                    content: Value::String("The user stopped this tool call.".into()),
                    is_error: true,
                });
            }
        }
    }

    /// Whether every call is settled, so the results can be sent.
    pub fn is_settled(&self) -> bool {
        self.calls.iter().all(|call| call.state.is_settled())
    }

    /// Whether a call waits for the user.
    pub fn awaits_decision(&self) -> bool {
        self.calls
            .iter()
            .any(|call| call.state == CallState::Pending)
    }

    /// The `tool_result` blocks answering every call, in call order; `None` until the round is
    /// settled.
    pub fn results(&self) -> Option<Vec<ContentBlock>> {
        if !self.is_settled() {
            return None;
        }
        Some(
            self.calls
                .iter()
                .map(|call| {
                    let outcome = call.outcome.clone().unwrap_or(CallOutcome {
                        content: Value::String("This tool call gave no result.".into()),
                        is_error: true,
                    });
                    ContentBlock::ToolResult {
                        tool_use_id: call.id.clone(),
                        content: Some(outcome.content),
                        is_error: outcome.is_error.then_some(true),
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reply() -> Vec<ContentBlock> {
        vec![
            ContentBlock::text("Let me check."),
            ContentBlock::ToolUse {
                id: "a".into(),
                name: "weather".into(),
                input: json!({"city": "Oslo"}),
            },
            ContentBlock::ToolUse {
                id: "b".into(),
                name: "clock".into(),
                input: json!({}),
            },
        ]
    }

    fn text(outcome: &str) -> CallOutcome {
        CallOutcome {
            content: Value::String(outcome.into()),
            is_error: false,
        }
    }

    #[test]
    fn calls_wait_for_a_decision_unless_their_tool_is_always_allowed() {
        let round = ToolRound::from_reply(&reply(), |name| name == "clock");
        let states: Vec<CallState> = round.calls().iter().map(|c| c.state).collect();
        assert_eq!(states, [CallState::Pending, CallState::Approved]);
        assert!(round.awaits_decision());
        assert!(round.results().is_none());
        assert!(ToolRound::from_reply(&[ContentBlock::text("no tools")], |_| true).is_empty());
    }

    #[test]
    fn a_round_runs_what_was_allowed_and_answers_every_call_in_order() {
        let mut round = ToolRound::from_reply(&reply(), |_| false);
        round.decide("b", Decision::AllowOnce).unwrap();
        round.decide("a", Decision::Deny).unwrap();
        let started = round.start_approved();
        assert_eq!(started.len(), 1);
        assert_eq!(started[0].id, "b");
        assert!(!round.is_settled());
        round.finish("b", text("12:00")).unwrap();
        assert!(round.is_settled());
        let results = serde_json::to_value(round.results().unwrap()).unwrap();
        assert_eq!(
            results,
            json!([
                {"type": "tool_result", "tool_use_id": "a", "content": "The user denied this tool call.", "is_error": true},
                {"type": "tool_result", "tool_use_id": "b", "content": "12:00"}
            ])
        );
    }

    #[test]
    fn an_error_or_a_timeout_is_an_error_result() {
        let mut round = ToolRound::from_reply(&reply(), |_| true);
        round.start_approved();
        round
            .finish(
                "a",
                CallOutcome {
                    content: Value::String("timed out after 60 s".into()),
                    is_error: true,
                },
            )
            .unwrap();
        round.finish("b", text("ok")).unwrap();
        assert_eq!(round.calls()[0].state, CallState::Error);
        let results = round.results().unwrap();
        assert!(matches!(
            &results[0],
            ContentBlock::ToolResult {
                is_error: Some(true),
                ..
            }
        ));
    }

    #[test]
    fn stop_cancels_every_unsettled_call_and_settles_the_round() {
        let mut round = ToolRound::from_reply(&reply(), |name| name == "clock");
        round.start_approved();
        round.cancel_all();
        let states: Vec<CallState> = round.calls().iter().map(|c| c.state).collect();
        assert_eq!(states, [CallState::Cancelled, CallState::Cancelled]);
        assert_eq!(round.results().unwrap().len(), 2);
        // A result that arrives after Stop changes nothing.
        assert!(round.finish("b", text("late")).is_err());
    }

    #[test]
    fn a_hand_written_call_is_answered_without_running() {
        let mut round = ToolRound::from_reply(&reply(), |_| false);
        round.resolve("a", text("sunny")).unwrap();
        round
            .resolve(
                "b",
                CallOutcome {
                    content: Value::String("no clock here".into()),
                    is_error: true,
                },
            )
            .unwrap();
        assert!(round.start_approved().is_empty(), "nothing runs");
        let states: Vec<CallState> = round.calls().iter().map(|c| c.state).collect();
        assert_eq!(states, [CallState::Done, CallState::Error]);
        assert!(round.is_settled());
        assert!(
            round.resolve("a", text("again")).is_err(),
            "answered already"
        );
    }

    #[test]
    fn moves_out_of_order_are_refused() {
        let mut round = ToolRound::from_reply(&reply(), |_| false);
        let error = round.finish("a", text("x")).unwrap_err();
        assert_eq!(error.from, CallState::Pending);
        round.decide("a", Decision::AlwaysAllow).unwrap();
        assert!(
            round.decide("a", Decision::Deny).is_err(),
            "decided already"
        );
        assert!(round.decide("nope", Decision::Deny).is_err());
    }
}
