//! The one place a `MessagesRequest` is assembled: [`build_request`] from the conversation's
//! branch, its parameters and the settings, and [`mark_cache_breakpoints`] once its images are
//! resolved (both pure and table-tested); also the two fixed small requests, the title
//! ([`title_request`]) and "Test connection" ([`ping_request`]). Nothing else builds requests.
//!
//! The rules, from the API documentation:
//! - a field is sent only when set, so the API applies its own defaults;
//! - extended thinking is sent only to models that take the parameter, and never together with
//!   what the API refuses with it: `temperature`, `top_k`, `top_p` below 0.95, a forced
//!   `tool_choice`, or a prefilled reply (the API cannot prefill a thinking reply);
//! - a prefill is the request's last message, as an `assistant` turn without trailing
//!   whitespace (the API refuses it);
//! - at most 4 `cache_control` breakpoints, on the stable prefix only.

use parley_claude::{
    ContentBlock, Message, MessageContent, MessagesRequest, Metadata, SystemBlock, SystemPrompt,
    ThinkingConfig, Tool, ToolChoice,
};
use parley_store::{Role, StoredMessage};
use serde_json::{Value, json};

use crate::error::{CoreError, CoreResult};
use crate::models::ModelInfo;
use crate::params::{self, ParamContext, RequestParams, THINKING_MIN_TOP_P, ThinkingSupport};
use crate::titles;
use crate::view::parse_blocks;

/// The API's limit on `cache_control` breakpoints per request.
pub const MAX_CACHE_BREAKPOINTS: usize = 4;

/// Everything a request is built from.
#[derive(Debug, Clone, Copy)]
pub struct RequestInputs<'a> {
    pub model: &'a ModelInfo,
    pub system_prompt: Option<&'a str>,
    /// The visible branch up to (not including) the reply being requested, root first.
    pub history: &'a [&'a StoredMessage],
    pub params: &'a RequestParams,
    /// `max_tokens` when `params` leave it unset.
    pub default_max_tokens: u32,
    /// `metadata.user_id`, when the user set one.
    pub metadata_user_id: Option<&'a str>,
    /// The start of the reply: the user's prefill, or the text so far of a reply to continue.
    pub prefill: Option<&'a str>,
    pub tools: &'a [Tool],
    pub tool_choice: Option<&'a ToolChoice>,
}

/// Builds the request, or an `invalid_input` error naming every invalid parameter (nothing is
/// sent that the API would refuse with a 400). Images stay `parley-attachment:` references
/// until the stream job resolves them.
pub fn build_request(inputs: RequestInputs<'_>) -> CoreResult<MessagesRequest> {
    let params = inputs.params.clone().normalized();
    let issues = params::validate(
        &params,
        ParamContext {
            default_max_tokens: inputs.default_max_tokens,
            max_output_tokens: inputs.model.max_output_tokens,
            thinking: inputs.model.thinking,
        },
    );
    if !issues.is_empty() {
        return Err(CoreError::InvalidInput(params::describe(&issues)));
    }
    let prefill = inputs
        .prefill
        .map(str::trim_end)
        .filter(|text| !text.is_empty());
    let forced_tool = matches!(
        inputs.tool_choice,
        Some(ToolChoice::Any | ToolChoice::Tool { .. })
    );
    let thinking = params.thinking
        && inputs.model.thinking == ThinkingSupport::Parameter
        && prefill.is_none()
        && !forced_tool;

    let mut messages = history_to_messages(inputs.history);
    if let Some(prefill) = prefill {
        messages.push(Message {
            role: parley_claude::Role::Assistant,
            content: MessageContent::Blocks(vec![ContentBlock::text(prefill)]),
        });
    }
    Ok(MessagesRequest {
        model: inputs.model.id.clone(),
        max_tokens: params.max_tokens.unwrap_or(inputs.default_max_tokens),
        messages,
        system: inputs
            .system_prompt
            .filter(|prompt| !prompt.trim().is_empty())
            .map(|prompt| SystemPrompt::Text(prompt.to_owned())),
        temperature: params.temperature.filter(|_| !thinking),
        top_p: params
            .top_p
            .filter(|top_p| !thinking || *top_p >= THINKING_MIN_TOP_P),
        top_k: params.top_k.filter(|_| !thinking),
        stop_sequences: params.stop_sequences.clone(),
        metadata: inputs
            .metadata_user_id
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| Metadata {
                user_id: Some(id.to_owned()),
            }),
        tools: inputs.tools.to_vec(),
        tool_choice: inputs.tool_choice.cloned(),
        thinking: thinking.then(|| ThinkingConfig::enabled(params.effective_thinking_budget())),
        stream: false,
    })
}

/// Makes `reply_so_far` the request's last message (replacing a prefill there), so the reply
/// goes on from it: after a `pause_turn`, the API wants the paused reply back as it came.
/// Trailing whitespace of its last text is dropped, as for a prefill.
pub fn continue_with(request: &mut MessagesRequest, mut reply_so_far: Vec<ContentBlock>) {
    if request
        .messages
        .last()
        .is_some_and(|message| message.role == parley_claude::Role::Assistant)
    {
        request.messages.pop();
    }
    if let Some(ContentBlock::Text { text, .. }) = reply_so_far.last_mut() {
        text.truncate(text.trim_end().len());
    }
    reply_so_far
        .retain(|block| !matches!(block, ContentBlock::Text { text, .. } if text.is_empty()));
    if !reply_so_far.is_empty() {
        request.messages.push(Message {
            role: parley_claude::Role::Assistant,
            content: MessageContent::Blocks(reply_so_far),
        });
    }
}

/// The request for a title of the exchange `user_text` → `reply_text`: text only, each cut to
/// [`titles::TITLE_EXCERPT_CHARS`].
pub fn title_request(model: &str, user_text: &str, reply_text: &str) -> MessagesRequest {
    let excerpt = |text: &str| -> String {
        text.trim()
            .chars()
            .take(titles::TITLE_EXCERPT_CHARS)
            .collect()
    };
    let prompt = format!(
        "User: {}\n\nAssistant: {}",
        excerpt(user_text),
        excerpt(reply_text)
    );
    MessagesRequest {
        model: model.to_owned(),
        max_tokens: titles::TITLE_MAX_TOKENS,
        messages: vec![Message {
            role: parley_claude::Role::User,
            content: MessageContent::Text(prompt),
        }],
        system: Some(SystemPrompt::Text(titles::TITLE_SYSTEM_PROMPT.to_owned())),
        ..MessagesRequest::default()
    }
}

/// The cheapest real request, for "Test connection": one output token.
pub fn ping_request(model: &str) -> MessagesRequest {
    MessagesRequest {
        model: model.to_owned(),
        max_tokens: 1,
        messages: vec![Message {
            role: parley_claude::Role::User,
            content: MessageContent::Text("ping".into()),
        }],
        ..MessagesRequest::default()
    }
}

/// Turns the stored branch into API messages.
///
/// A reply goes back with its text and its thinking blocks exactly as received (with their
/// signatures; the API needs them unchanged in a tool-use exchange and ignores them
/// otherwise). Thinking without a signature (a stream cut short) is left out: the API refuses
/// it. Empty messages (a reply that failed before any text) are left out, and consecutive
/// messages of one role are merged, so the roles alternate as the API requires.
///
/// Tool calls always travel with their results, as the API requires: the `tool_use` blocks of
/// a reply are answered first thing in the next user turn, in call order, by the stored
/// `tool_result` of each or, for a call that never ran (the app stopped, the user wrote
/// instead), a result saying so. A reply whose calls nothing follows (the last one) is sent
/// without them; results that answer no call are left out.
pub fn history_to_messages(path: &[&StoredMessage]) -> Vec<Message> {
    use parley_claude::Role::{Assistant, User};
    let mut turns: Vec<(parley_claude::Role, Vec<ContentBlock>)> = path
        .iter()
        .map(|stored| {
            let role = match stored.role {
                Role::User => User,
                Role::Assistant => Assistant,
            };
            let blocks = parse_blocks(&stored.content_json, &stored.text)
                .into_iter()
                .filter(|block| match block {
                    ContentBlock::Text { text, .. } => !text.trim().is_empty(),
                    ContentBlock::Thinking { signature, .. } => {
                        role == Assistant && !signature.is_empty()
                    }
                    ContentBlock::RedactedThinking { .. } | ContentBlock::ToolUse { .. } => {
                        role == Assistant
                    }
                    _ => role == User,
                })
                .collect();
            (role, blocks)
        })
        .collect();

    let mut answered = vec![false; turns.len()];
    for index in 0..turns.len() {
        if turns[index].0 != Assistant {
            continue;
        }
        let calls = tool_use_ids(&turns[index].1);
        if calls.is_empty() {
            continue;
        }
        let followed_by_user = turns.get(index + 1).is_some_and(|(role, _)| *role == User);
        if !followed_by_user {
            turns[index]
                .1
                .retain(|block| !matches!(block, ContentBlock::ToolUse { .. }));
            continue;
        }
        let next = &mut turns[index + 1].1;
        let mut stored_results: Vec<ContentBlock> = Vec::new();
        let mut rest: Vec<ContentBlock> = Vec::new();
        for block in next.drain(..) {
            match block {
                ContentBlock::ToolResult { .. } => stored_results.push(block),
                other => rest.push(other),
            }
        }
        let mut paired: Vec<ContentBlock> = calls
            .iter()
            .map(|id| {
                stored_results
                    .iter()
                    .position(|block| {
                        matches!(block, ContentBlock::ToolResult { tool_use_id, .. } if tool_use_id == id)
                    })
                    .map(|at| stored_results.swap_remove(at))
                    .unwrap_or_else(|| not_run_result(id))
            })
            .collect();
        paired.extend(rest);
        *next = paired;
        answered[index + 1] = true;
    }
    for (index, (role, blocks)) in turns.iter_mut().enumerate() {
        if *role == User && !answered[index] {
            blocks.retain(|block| !matches!(block, ContentBlock::ToolResult { .. }));
        }
    }

    let mut messages: Vec<Message> = Vec::new();
    for (role, blocks) in turns {
        // A reply of thinking alone says nothing and the API refuses it as the last turn.
        let says_something = blocks.iter().any(|block| {
            !matches!(
                block,
                ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. }
            )
        });
        if !says_something {
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

/// The ids of the `tool_use` blocks among `blocks`, in order.
fn tool_use_ids(blocks: &[ContentBlock]) -> Vec<String> {
    blocks
        .iter()
        .filter_map(|block| match block {
            ContentBlock::ToolUse { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// The result sent for a tool call that never ran.
fn not_run_result(tool_use_id: &str) -> ContentBlock {
    ContentBlock::ToolResult {
        tool_use_id: tool_use_id.to_owned(),
        content: Some(Value::String(
            "This tool call was not run (Parley stopped before it was answered).".into(),
        )),
        is_error: Some(true),
    }
}

/// Marks the stable prefix of `request` for prompt caching: the system prompt, the newest user
/// turn (so the next request reads the whole conversation so far from the cache) and the user
/// turn before it (where the previous request wrote, so this one reads it), within the API's
/// limit of [`MAX_CACHE_BREAKPOINTS`] counting those the tools already carry. A prefill is
/// not marked: it changes with each request.
///
/// Call it after images are resolved. A marked message block is sent as its JSON object with
/// `cache_control` added (the [`ContentBlock::Unknown`] form), which the wire types pass
/// through unchanged.
pub fn mark_cache_breakpoints(request: &mut MessagesRequest) {
    let ephemeral = || json!({"type": "ephemeral"});
    let in_tools = request
        .tools
        .iter()
        .filter(|tool| match tool {
            Tool::Custom { cache_control, .. } => cache_control.is_some(),
            Tool::Typed(value) => value.get("cache_control").is_some(),
        })
        .count();
    let mut budget = MAX_CACHE_BREAKPOINTS.saturating_sub(in_tools);
    if budget == 0 {
        return;
    }
    if let Some(system) = request.system.take() {
        let mut blocks = match system {
            SystemPrompt::Text(text) => vec![SystemBlock::text(text)],
            SystemPrompt::Blocks(blocks) => blocks,
        };
        if let Some(last) = blocks.last_mut() {
            last.cache_control = Some(ephemeral());
            budget -= 1;
        }
        request.system = Some(SystemPrompt::Blocks(blocks));
    }
    let user_turns: Vec<usize> = request
        .messages
        .iter()
        .enumerate()
        .filter(|(_, message)| message.role == parley_claude::Role::User)
        .map(|(index, _)| index)
        .rev()
        .take(2)
        .collect();
    for index in user_turns {
        if budget == 0 {
            break;
        }
        if mark_last_block(&mut request.messages[index], ephemeral()) {
            budget -= 1;
        }
    }
}

/// Adds `cache_control` to the last block of `message`; false when it has no block to mark.
fn mark_last_block(message: &mut Message, cache_control: Value) -> bool {
    if let MessageContent::Text(text) = &message.content {
        message.content = MessageContent::Blocks(vec![ContentBlock::text(text.clone())]);
    }
    let MessageContent::Blocks(blocks) = &mut message.content else {
        return false;
    };
    let Some(last) = blocks.last_mut() else {
        return false;
    };
    let Ok(Value::Object(mut object)) = serde_json::to_value(&*last) else {
        return false;
    };
    object.insert("cache_control".to_owned(), cache_control);
    *last = ContentBlock::Unknown(Value::Object(object));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ModelSource, model_info};

    fn stored(role: Role, blocks: Value) -> StoredMessage {
        StoredMessage::unsaved(role, blocks.to_string(), String::new())
    }

    fn user(text: &str) -> StoredMessage {
        stored(Role::User, json!([{"type": "text", "text": text}]))
    }

    fn assistant(text: &str) -> StoredMessage {
        stored(Role::Assistant, json!([{"type": "text", "text": text}]))
    }

    const SONNET: &str = "claude-sonnet-4-5-20250929";

    struct Case<'a> {
        model: &'a str,
        params: RequestParams,
        prefill: Option<&'a str>,
        system: Option<&'a str>,
        tool_choice: Option<ToolChoice>,
    }

    impl Default for Case<'_> {
        fn default() -> Self {
            Self {
                model: SONNET,
                params: RequestParams::default(),
                prefill: None,
                system: None,
                tool_choice: None,
            }
        }
    }

    /// Builds the request of `case` for a two-turn branch and returns it as the API gets it.
    fn body(case: Case<'_>) -> CoreResult<Value> {
        let history = [user("Hi"), assistant("Hello"), user("Tell me more")];
        let path: Vec<&StoredMessage> = history.iter().collect();
        let model = model_info(&[], case.model);
        let request = build_request(RequestInputs {
            model: &model,
            system_prompt: case.system,
            history: &path,
            params: &case.params,
            default_max_tokens: 4096,
            metadata_user_id: None,
            prefill: case.prefill,
            tools: &[],
            tool_choice: case.tool_choice.as_ref(),
        })?;
        Ok(serde_json::to_value(request).unwrap())
    }

    fn keys(body: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn a_field_appears_only_when_set() {
        let plain = body(Case::default()).unwrap();
        assert_eq!(keys(&plain), ["max_tokens", "messages", "model"]);
        assert_eq!(plain["max_tokens"], 4096, "the settings' default");

        let full = body(Case {
            params: RequestParams {
                max_tokens: Some(1000),
                temperature: Some(0.2),
                top_k: Some(40),
                stop_sequences: vec!["END".into(), "  ".into()],
                ..Default::default()
            },
            system: Some("Be brief."),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            keys(&full),
            [
                "max_tokens",
                "messages",
                "model",
                "stop_sequences",
                "system",
                "temperature",
                "top_k"
            ]
        );
        assert_eq!(full["max_tokens"], 1000);
        assert_eq!(full["temperature"].as_f64().unwrap() as f32, 0.2);
        assert_eq!(full["top_k"], 40);
        assert_eq!(full["stop_sequences"], json!(["END"]), "blank ones dropped");
        assert_eq!(full["system"], "Be brief.");

        let blank_system = body(Case {
            system: Some("  "),
            ..Default::default()
        })
        .unwrap();
        assert!(blank_system.get("system").is_none());
    }

    #[test]
    fn metadata_user_id_is_sent_when_set() {
        let history = [user("Hi")];
        let path: Vec<&StoredMessage> = history.iter().collect();
        let model = model_info(&[], SONNET);
        let request = build_request(RequestInputs {
            model: &model,
            system_prompt: None,
            history: &path,
            params: &RequestParams::default(),
            default_max_tokens: 10,
            metadata_user_id: Some(" user-42 "),
            prefill: None,
            tools: &[],
            tool_choice: None,
        })
        .unwrap();
        assert_eq!(
            serde_json::to_value(request).unwrap()["metadata"],
            json!({"user_id": "user-42"})
        );
    }

    #[test]
    fn invalid_parameters_are_refused_before_sending() {
        for params in [
            RequestParams {
                temperature: Some(0.5),
                top_p: Some(0.5),
                ..Default::default()
            },
            RequestParams {
                temperature: Some(1.5),
                ..Default::default()
            },
            RequestParams {
                top_k: Some(0),
                ..Default::default()
            },
            RequestParams {
                stop_sequences: vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()],
                ..Default::default()
            },
            RequestParams {
                max_tokens: Some(64_001),
                ..Default::default()
            },
            RequestParams {
                thinking: true,
                thinking_budget: Some(4096),
                ..Default::default()
            },
        ] {
            let error = body(Case {
                params: params.clone(),
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::InvalidInput, "{params:?}");
        }
    }

    fn thinking_on(extra: RequestParams) -> RequestParams {
        RequestParams {
            thinking: true,
            thinking_budget: Some(2048),
            max_tokens: Some(8000),
            ..extra
        }
    }

    #[test]
    fn thinking_never_travels_with_what_the_api_refuses_with_it() {
        let sent = body(Case {
            params: thinking_on(RequestParams {
                temperature: Some(0.2),
                top_k: Some(5),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            sent["thinking"],
            json!({"type": "enabled", "budget_tokens": 2048})
        );
        assert!(sent.get("temperature").is_none());
        assert!(sent.get("top_k").is_none());

        let low_top_p = body(Case {
            params: thinking_on(RequestParams {
                top_p: Some(0.5),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
        assert!(low_top_p.get("top_p").is_none());
        let high_top_p = body(Case {
            params: thinking_on(RequestParams {
                top_p: Some(0.95),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(high_top_p["top_p"].as_f64().unwrap() as f32, 0.95);

        // Without thinking the same values go out.
        let off = body(Case {
            params: RequestParams {
                thinking: false,
                top_k: Some(5),
                ..thinking_on(RequestParams::default())
            },
            ..Default::default()
        })
        .unwrap();
        assert!(off.get("thinking").is_none());
        assert_eq!(off["top_k"], 5);

        for (model, prefill, tool_choice) in [
            // The gateway's thinking ids think by themselves.
            ("claude-sonnet-4-5-20250929-thinking", None, None),
            // Not a thinking model.
            ("claude-3-5-haiku-20241022", None, None),
            // A prefilled reply cannot think.
            (SONNET, Some("Sure"), None),
            // Nor can a forced tool call.
            (SONNET, None, Some(ToolChoice::Any)),
            (
                SONNET,
                None,
                Some(ToolChoice::Tool {
                    name: "get_weather".into(),
                }),
            ),
        ] {
            let sent = body(Case {
                model,
                params: thinking_on(RequestParams::default()),
                prefill,
                tool_choice,
                ..Default::default()
            })
            .unwrap();
            assert!(sent.get("thinking").is_none(), "{model} {prefill:?}");
        }
        let auto = body(Case {
            params: thinking_on(RequestParams::default()),
            tool_choice: Some(ToolChoice::Auto),
            ..Default::default()
        })
        .unwrap();
        assert!(auto.get("thinking").is_some());
    }

    #[test]
    fn a_prefill_is_the_last_message_without_trailing_whitespace() {
        let sent = body(Case {
            prefill: Some("Sure, here is \n"),
            ..Default::default()
        })
        .unwrap();
        let messages = sent["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 4);
        assert_eq!(
            messages[3],
            json!({"role": "assistant", "content": [{"type": "text", "text": "Sure, here is"}]})
        );
        let blank = body(Case {
            prefill: Some("   "),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(blank["messages"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn replies_go_back_with_their_signed_thinking_and_without_unsigned() {
        let history = [
            user("Hi"),
            stored(
                Role::Assistant,
                json!([
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "thinking", "thinking": "cut", "signature": ""},
                    {"type": "text", "text": "Hello"}
                ]),
            ),
            stored(
                Role::Assistant,
                json!([{"type": "thinking", "thinking": "only", "signature": "s"}]),
            ),
            user("Again"),
        ];
        let path: Vec<&StoredMessage> = history.iter().collect();
        let messages = serde_json::to_value(history_to_messages(&path)).unwrap();
        assert_eq!(
            messages,
            json!([
                {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "text", "text": "Hello"}
                ]},
                {"role": "user", "content": [{"type": "text", "text": "Again"}]}
            ])
        );
    }

    fn call(id: &str) -> Value {
        json!({"type": "tool_use", "id": id, "name": "get_weather", "input": {"city": "Oslo"}})
    }

    fn result(id: &str, text: &str) -> Value {
        json!({"type": "tool_result", "tool_use_id": id, "content": text})
    }

    fn sent(history: &[StoredMessage]) -> Value {
        let path: Vec<&StoredMessage> = history.iter().collect();
        serde_json::to_value(history_to_messages(&path)).unwrap()
    }

    #[test]
    fn tool_calls_travel_with_their_results_in_call_order() {
        let history = [
            user("Weather?"),
            stored(
                Role::Assistant,
                json!([{"type": "thinking", "thinking": "t", "signature": "s"}, call("a"), call("b")]),
            ),
            // Stored out of order, with a stray result: sent in call order, the stray left out.
            stored(
                Role::User,
                json!([result("b", "rain"), result("zzz", "?"), result("a", "sun")]),
            ),
            assistant("Sun, then rain."),
        ];
        let messages = sent(&history);
        assert_eq!(
            messages[1]["content"],
            json!([{"type": "thinking", "thinking": "t", "signature": "s"}, call("a"), call("b")]),
            "the thinking block stays with its signature in the exchange"
        );
        assert_eq!(
            messages[2]["content"],
            json!([result("a", "sun"), result("b", "rain")])
        );
        assert_eq!(messages.as_array().unwrap().len(), 4);
    }

    #[test]
    fn a_call_that_never_ran_is_answered_as_not_run_and_a_last_call_is_not_sent() {
        // The app stopped while a call waited; the user then wrote something else.
        let history = [
            user("Weather?"),
            stored(
                Role::Assistant,
                json!([{"type": "text", "text": "Let me look."}, call("a")]),
            ),
            user("Never mind, tell a joke"),
        ];
        let messages = sent(&history);
        let answer = &messages[2]["content"];
        assert_eq!(answer[0]["tool_use_id"], "a");
        assert_eq!(answer[0]["is_error"], true);
        assert_eq!(
            answer[1],
            json!({"type": "text", "text": "Never mind, tell a joke"})
        );

        // A reply whose calls nothing follows (regenerating after it) goes without them.
        let history = [
            user("Weather?"),
            stored(
                Role::Assistant,
                json!([{"type": "text", "text": "Let me look."}, call("a")]),
            ),
        ];
        assert_eq!(
            sent(&history)[1]["content"],
            json!([{"type": "text", "text": "Let me look."}])
        );

        // Results that answer nothing (their reply failed and was left out) are not sent.
        let history = [
            user("Hi"),
            stored(
                Role::User,
                json!([result("x", "orphan"), {"type": "text", "text": "more"}]),
            ),
        ];
        assert_eq!(
            sent(&history),
            json!([{"role": "user", "content": [
                {"type": "text", "text": "Hi"},
                {"type": "text", "text": "more"}
            ]}])
        );
    }

    /// Whether `request` carries any `cache_control` (to know if a refusal may be about it).
    fn has_cache_breakpoints(request: &MessagesRequest) -> bool {
        serde_json::to_string(request).is_ok_and(|json| json.contains("\"cache_control\""))
    }

    fn count_marks(request: &MessagesRequest) -> usize {
        serde_json::to_string(request)
            .unwrap()
            .matches("\"cache_control\"")
            .count()
    }

    #[test]
    fn cache_breakpoints_mark_the_system_prompt_and_the_last_two_user_turns() {
        let history = [
            user("one"),
            assistant("1"),
            user("two"),
            assistant("2"),
            user("three"),
        ];
        let path: Vec<&StoredMessage> = history.iter().collect();
        let model = model_info(&[], SONNET);
        let inputs = RequestInputs {
            model: &model,
            system_prompt: Some("System"),
            history: &path,
            params: &RequestParams::default(),
            default_max_tokens: 10,
            metadata_user_id: None,
            prefill: Some("Pre"),
            tools: &[],
            tool_choice: None,
        };
        let mut request = build_request(inputs).unwrap();
        assert!(!has_cache_breakpoints(&request));
        mark_cache_breakpoints(&mut request);
        assert_eq!(count_marks(&request), 3);
        let sent = serde_json::to_value(&request).unwrap();
        assert_eq!(
            sent["system"],
            json!([{"type": "text", "text": "System", "cache_control": {"type": "ephemeral"}}])
        );
        let marked: Vec<usize> = sent["messages"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, m)| m.to_string().contains("cache_control"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(marked, [2, 4], "the last two user turns, never the prefill");
        assert_eq!(
            sent["messages"][4]["content"][0],
            json!({"type": "text", "text": "three", "cache_control": {"type": "ephemeral"}})
        );

        // Tools that carry breakpoints already leave fewer for the messages.
        let tool = |name: &str| Tool::Custom {
            name: name.into(),
            description: None,
            input_schema: json!({"type": "object"}),
            cache_control: Some(json!({"type": "ephemeral"})),
        };
        let tools = [tool("a"), tool("b")];
        let mut request = build_request(RequestInputs {
            tools: &tools,
            ..inputs
        })
        .unwrap();
        mark_cache_breakpoints(&mut request);
        assert_eq!(count_marks(&request), MAX_CACHE_BREAKPOINTS);
        let tools4 = [tool("a"), tool("b"), tool("c"), tool("d")];
        let mut request = build_request(RequestInputs {
            tools: &tools4,
            ..inputs
        })
        .unwrap();
        mark_cache_breakpoints(&mut request);
        assert_eq!(count_marks(&request), MAX_CACHE_BREAKPOINTS);
        assert!(matches!(request.system, Some(SystemPrompt::Text(_))));
    }

    #[test]
    fn an_image_block_keeps_its_source_when_marked() {
        let history = [stored(
            Role::User,
            json!([{"type": "text", "text": "look"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]),
        )];
        let path: Vec<&StoredMessage> = history.iter().collect();
        let model = ModelInfo {
            source: ModelSource::Api,
            ..model_info(&[], SONNET)
        };
        let mut request = build_request(RequestInputs {
            model: &model,
            system_prompt: None,
            history: &path,
            params: &RequestParams::default(),
            default_max_tokens: 10,
            metadata_user_id: None,
            prefill: None,
            tools: &[],
            tool_choice: None,
        })
        .unwrap();
        mark_cache_breakpoints(&mut request);
        let sent = serde_json::to_value(&request).unwrap();
        assert_eq!(
            sent["messages"][0]["content"][1],
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}, "cache_control": {"type": "ephemeral"}})
        );
    }
}
