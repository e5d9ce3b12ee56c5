//! The sampling parameters of a conversation (or a preset, or the defaults for new
//! conversations), and their validation.
//!
//! An unset field is not sent, so the API applies its own default. Validation follows the API
//! (ranges from the seeds and Anthropic's documentation) so that an invalid value is an inline
//! error before sending, never a 400 from the API. The UI mirrors these rules in
//! `ui/src/lib/params.ts` for feedback as the user types; the core checks again before sending.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The most stop sequences the API accepts.
pub const MAX_STOP_SEQUENCES: usize = 4;
/// The smallest thinking budget the API accepts.
pub const MIN_THINKING_BUDGET: u32 = 1024;
/// The budget used when thinking is on and no budget was typed.
pub const DEFAULT_THINKING_BUDGET: u32 = 2048;
/// With thinking on, the API accepts `top_p` only from this value up.
pub const THINKING_MIN_TOP_P: f32 = 0.95;

/// Request parameters; stored as JSON (`conversations.params_json`, presets, settings), so every
/// field defaults and unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestParams {
    /// `None`: the default from settings.
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<u32>,
    pub stop_sequences: Vec<String>,
    /// Extended thinking (`thinking: {type: "enabled"}`), for models that take the parameter.
    pub thinking: bool,
    /// `None` with thinking on: [`DEFAULT_THINKING_BUDGET`].
    pub thinking_budget: Option<u32>,
    /// Which tools the model may or must use; sent only when the request has tools.
    pub tool_choice: ToolChoiceSetting,
    /// Tools the user answers by hand (the workbench's custom tools), sent with the MCP tools.
    pub hand_tools: Vec<HandTool>,
}

/// The conversation's `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoiceSetting {
    /// The model decides (the API's default; not sent).
    #[default]
    Auto,
    /// The model must call some tool.
    Any,
    /// The model must call this tool.
    Tool { name: String },
    /// The model must not call tools (they are still sent, so earlier calls read right).
    None,
}

impl ToolChoiceSetting {
    /// The request's `tool_choice`; `None` for the API's default.
    pub fn to_api(&self) -> Option<parley_claude::ToolChoice> {
        use parley_claude::ToolChoice;
        match self {
            Self::Auto => None,
            Self::Any => Some(ToolChoice::Any),
            Self::Tool { name } => Some(ToolChoice::Tool { name: name.clone() }),
            Self::None => Some(ToolChoice::None),
        }
    }
}

/// A tool defined on a conversation or preset, answered by the user: Parley shows the call's
/// input and sends what the user types as the `tool_result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HandTool {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A JSON Schema of `"type": "object"`.
    #[ts(type = "unknown")]
    pub input_schema: serde_json::Value,
}

impl HandTool {
    /// The tool as the request sends it.
    pub fn to_api(&self) -> parley_claude::Tool {
        parley_claude::Tool::Custom {
            name: self.name.clone(),
            description: Some(self.description.clone()).filter(|d| !d.trim().is_empty()),
            input_schema: self.input_schema.clone(),
            cache_control: None,
        }
    }
}

/// Whether `name` is a tool name the API accepts (`^[a-zA-Z0-9_-]{1,64}$`).
pub fn is_valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl RequestParams {
    /// The budget sent when thinking is on.
    pub fn effective_thinking_budget(&self) -> u32 {
        self.thinking_budget.unwrap_or(DEFAULT_THINKING_BUDGET)
    }

    /// Drops what the UI cannot hold: blank stop sequences.
    pub fn normalized(mut self) -> Self {
        self.stop_sequences.retain(|s| !s.trim().is_empty());
        self
    }
}

/// How a model takes extended thinking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ThinkingSupport {
    /// The `thinking` parameter turns it on (Claude 3.7 and the Claude 4 family).
    Parameter,
    /// The model id itself thinks (the gateway's `-thinking` ids); the parameter is not sent.
    Builtin,
    /// The model does not think; the parameter is not sent.
    Unsupported,
}

/// Which [`ThinkingSupport`] a model id has, from its name: the `/v1/models` listing does not
/// say. Unknown ids are taken as not thinking, so a custom model never gets a parameter its
/// endpoint may refuse.
pub fn thinking_support(model: &str) -> ThinkingSupport {
    let id = model.trim().to_ascii_lowercase();
    if id.ends_with("-thinking") {
        return ThinkingSupport::Builtin;
    }
    let thinking_family = [
        "claude-3-7-",
        "claude-opus-4",
        "claude-sonnet-4",
        "claude-haiku-4",
    ]
    .iter()
    .any(|prefix| id.starts_with(prefix));
    if thinking_family {
        ThinkingSupport::Parameter
    } else {
        ThinkingSupport::Unsupported
    }
}

/// A field of [`RequestParams`] that an issue is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ParamField {
    MaxTokens,
    Temperature,
    TopP,
    TopK,
    StopSequences,
    ThinkingBudget,
    HandTools,
}

/// Why a value cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ParamIssue {
    pub field: ParamField,
    pub message: String,
}

/// What validation needs to know besides the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamContext {
    /// `max_tokens` when the parameters leave it unset (the settings' default).
    pub default_max_tokens: u32,
    /// The model's output limit, when known (from `/v1/models` or the built-in table).
    pub max_output_tokens: Option<u32>,
    pub thinking: ThinkingSupport,
}

/// Every reason `params` cannot be sent; empty when they can.
pub fn validate(params: &RequestParams, context: ParamContext) -> Vec<ParamIssue> {
    let mut issues = Vec::new();
    let mut issue = |field, message: String| issues.push(ParamIssue { field, message });
    let max_tokens = params.max_tokens.unwrap_or(context.default_max_tokens);
    match params.max_tokens {
        Some(0) => issue(
            ParamField::MaxTokens,
            "max_tokens must be at least 1".into(),
        ),
        Some(n) => {
            if let Some(limit) = context.max_output_tokens.filter(|limit| n > *limit) {
                issue(
                    ParamField::MaxTokens,
                    format!("max_tokens can be at most {limit} for this model"),
                );
            }
        }
        None => {}
    }
    if let Some(t) = params.temperature
        && !(t.is_finite() && (0.0..=1.0).contains(&t))
    {
        issue(
            ParamField::Temperature,
            "temperature must be between 0 and 1".into(),
        );
    }
    if let Some(p) = params.top_p
        && !(p.is_finite() && (0.0..=1.0).contains(&p))
    {
        issue(ParamField::TopP, "top_p must be between 0 and 1".into());
    }
    if params.temperature.is_some() && params.top_p.is_some() {
        issue(
            ParamField::TopP,
            "Set temperature or top_p, not both: the API advises changing only one".into(),
        );
    }
    if params.top_k == Some(0) {
        issue(
            ParamField::TopK,
            "top_k must be a positive whole number".into(),
        );
    }
    let stops: Vec<&String> = params
        .stop_sequences
        .iter()
        .filter(|s| !s.is_empty())
        .collect();
    if stops.len() > MAX_STOP_SEQUENCES {
        issue(
            ParamField::StopSequences,
            format!("At most {MAX_STOP_SEQUENCES} stop sequences"),
        );
    }
    if stops.iter().any(|s| s.trim().is_empty()) {
        issue(
            ParamField::StopSequences,
            "A stop sequence must contain something other than spaces".into(),
        );
    }
    if params.thinking && context.thinking == ThinkingSupport::Parameter {
        let budget = params.effective_thinking_budget();
        if budget < MIN_THINKING_BUDGET {
            issue(
                ParamField::ThinkingBudget,
                format!("The thinking budget must be at least {MIN_THINKING_BUDGET} tokens"),
            );
        } else if budget >= max_tokens {
            issue(
                ParamField::ThinkingBudget,
                format!("The thinking budget must be below max_tokens ({max_tokens})"),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    for tool in &params.hand_tools {
        let name = &tool.name;
        if !is_valid_tool_name(name) {
            issue(
                ParamField::HandTools,
                format!(
                    "The tool name \"{name}\" must be 1–64 letters, digits, _ or - (no spaces)"
                ),
            );
        } else if !seen.insert(name.as_str()) {
            issue(
                ParamField::HandTools,
                format!("Two tools are named \"{name}\""),
            );
        }
        let is_object_schema =
            tool.input_schema.get("type").and_then(|t| t.as_str()) == Some("object");
        if !is_object_schema {
            issue(
                ParamField::HandTools,
                format!(
                    "The input schema of \"{name}\" must be a JSON Schema object with \"type\": \"object\""
                ),
            );
        }
    }
    issues
}

/// One line naming every issue, for an `invalid_input` error.
pub fn describe(issues: &[ParamIssue]) -> String {
    issues
        .iter()
        .map(|issue| issue.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ParamContext {
        ParamContext {
            default_max_tokens: 4096,
            max_output_tokens: Some(64_000),
            thinking: ThinkingSupport::Parameter,
        }
    }

    fn fields(params: &RequestParams, context: ParamContext) -> Vec<ParamField> {
        validate(params, context)
            .into_iter()
            .map(|issue| issue.field)
            .collect()
    }

    #[test]
    fn unset_parameters_are_valid() {
        assert!(validate(&RequestParams::default(), context()).is_empty());
    }

    #[test]
    fn each_field_is_checked_at_its_edges() {
        let ok = |params: RequestParams| assert_eq!(fields(&params, context()), vec![]);
        let bad = |params: RequestParams, field| {
            assert_eq!(fields(&params, context()), vec![field], "{params:?}")
        };
        ok(RequestParams {
            max_tokens: Some(1),
            ..Default::default()
        });
        ok(RequestParams {
            max_tokens: Some(64_000),
            ..Default::default()
        });
        bad(
            RequestParams {
                max_tokens: Some(0),
                ..Default::default()
            },
            ParamField::MaxTokens,
        );
        bad(
            RequestParams {
                max_tokens: Some(64_001),
                ..Default::default()
            },
            ParamField::MaxTokens,
        );
        ok(RequestParams {
            temperature: Some(0.0),
            ..Default::default()
        });
        ok(RequestParams {
            temperature: Some(1.0),
            ..Default::default()
        });
        bad(
            RequestParams {
                temperature: Some(1.01),
                ..Default::default()
            },
            ParamField::Temperature,
        );
        bad(
            RequestParams {
                temperature: Some(-0.1),
                ..Default::default()
            },
            ParamField::Temperature,
        );
        bad(
            RequestParams {
                temperature: Some(f32::NAN),
                ..Default::default()
            },
            ParamField::Temperature,
        );
        ok(RequestParams {
            top_p: Some(0.0),
            ..Default::default()
        });
        bad(
            RequestParams {
                top_p: Some(1.5),
                ..Default::default()
            },
            ParamField::TopP,
        );
        ok(RequestParams {
            top_k: Some(1),
            ..Default::default()
        });
        bad(
            RequestParams {
                top_k: Some(0),
                ..Default::default()
            },
            ParamField::TopK,
        );
    }

    #[test]
    fn temperature_and_top_p_are_exclusive() {
        let params = RequestParams {
            temperature: Some(0.5),
            top_p: Some(0.9),
            ..Default::default()
        };
        let issues = validate(&params, context());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, ParamField::TopP);
        assert!(
            issues[0].message.contains("not both"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn at_most_four_stop_sequences_none_blank() {
        let four = RequestParams {
            stop_sequences: vec!["a".into(), "b".into(), "c".into(), "\n\nHuman:".into()],
            ..Default::default()
        };
        assert!(validate(&four, context()).is_empty());
        let mut five = four.clone();
        five.stop_sequences.push("e".into());
        assert_eq!(fields(&five, context()), vec![ParamField::StopSequences]);
        let blank = RequestParams {
            stop_sequences: vec!["  ".into()],
            ..Default::default()
        };
        assert_eq!(fields(&blank, context()), vec![ParamField::StopSequences]);
        assert!(blank.normalized().stop_sequences.is_empty());
    }

    #[test]
    fn the_thinking_budget_is_at_least_1024_and_below_max_tokens() {
        let with = |budget: u32, max_tokens: Option<u32>| RequestParams {
            thinking: true,
            thinking_budget: Some(budget),
            max_tokens,
            ..Default::default()
        };
        assert!(validate(&with(1024, None), context()).is_empty());
        assert_eq!(
            fields(&with(1023, None), context()),
            vec![ParamField::ThinkingBudget]
        );
        assert_eq!(
            fields(&with(4096, None), context()),
            vec![ParamField::ThinkingBudget],
            "the settings' default max_tokens (4096) counts when unset"
        );
        assert!(validate(&with(4096, Some(4097)), context()).is_empty());
        // The default budget (2048) with a small max_tokens.
        let params = RequestParams {
            thinking: true,
            max_tokens: Some(2048),
            ..Default::default()
        };
        assert_eq!(fields(&params, context()), vec![ParamField::ThinkingBudget]);
        // A model that does not take the parameter ignores the toggle.
        let builtin = ParamContext {
            thinking: ThinkingSupport::Builtin,
            ..context()
        };
        assert!(validate(&with(10, None), builtin).is_empty());
    }

    #[test]
    fn thinking_support_follows_the_model_id() {
        use ThinkingSupport::*;
        for (model, support) in [
            ("claude-sonnet-4-5-20250929", Parameter),
            ("claude-opus-4-1-20250805", Parameter),
            ("claude-haiku-4-5-20251001", Parameter),
            ("claude-3-7-sonnet-latest", Parameter),
            ("claude-opus-4-1-20250805-thinking", Builtin),
            ("claude-sonnet-4-5-20250929-thinking", Builtin),
            ("claude-3-5-haiku-20241022", Unsupported),
            ("my-local-model", Unsupported),
        ] {
            assert_eq!(thinking_support(model), support, "{model}");
        }
    }

    #[test]
    fn hand_tools_need_api_names_object_schemas_and_distinct_names() {
        let tool = |name: &str, schema: serde_json::Value| HandTool {
            name: name.into(),
            description: String::new(),
            input_schema: schema,
        };
        let object = serde_json::json!({"type": "object", "properties": {}});
        let with = |tools: Vec<HandTool>| RequestParams {
            hand_tools: tools,
            ..Default::default()
        };
        assert!(validate(&with(vec![tool("lookup_2-x", object.clone())]), context()).is_empty());
        let long = "a".repeat(64);
        assert!(validate(&with(vec![tool(&long, object.clone())]), context()).is_empty());
        for bad_name in ["", "has space", "dot.name", &"a".repeat(65), "ünï"] {
            assert_eq!(
                fields(&with(vec![tool(bad_name, object.clone())]), context()),
                vec![ParamField::HandTools],
                "{bad_name:?}"
            );
        }
        let twice = with(vec![tool("a", object.clone()), tool("a", object.clone())]);
        assert!(validate(&twice, context())[0].message.contains("Two tools"));
        for bad_schema in [
            serde_json::json!({"type": "string"}),
            serde_json::json!({}),
            serde_json::json!("object"),
        ] {
            assert_eq!(
                fields(&with(vec![tool("a", bad_schema)]), context()),
                vec![ParamField::HandTools]
            );
        }
    }

    #[test]
    fn tool_choice_maps_to_the_api_and_auto_is_not_sent() {
        use parley_claude::ToolChoice;
        assert_eq!(ToolChoiceSetting::Auto.to_api(), None);
        assert_eq!(ToolChoiceSetting::Any.to_api(), Some(ToolChoice::Any));
        assert_eq!(ToolChoiceSetting::None.to_api(), Some(ToolChoice::None));
        assert_eq!(
            ToolChoiceSetting::Tool { name: "x".into() }.to_api(),
            Some(ToolChoice::Tool { name: "x".into() })
        );
        let stored: RequestParams =
            serde_json::from_str(r#"{"toolChoice":{"type":"tool","name":"x"}}"#).unwrap();
        assert_eq!(
            stored.tool_choice,
            ToolChoiceSetting::Tool { name: "x".into() }
        );
    }

    #[test]
    fn old_params_json_still_reads() {
        let params: RequestParams =
            serde_json::from_str(r#"{"maxTokens":100,"temperature":0.2,"unknown":1}"#).unwrap();
        assert_eq!(params.max_tokens, Some(100));
        assert_eq!(params.temperature, Some(0.2));
        assert!(!params.thinking);
    }
}
