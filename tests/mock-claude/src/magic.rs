//! Magic words: `[[...]]` markers in the last user message that steer the mock, so end-to-end
//! tests and manual demos can drive the real app without scripting the server.
//!
//! | word | answer |
//! | --- | --- |
//! | `[[drop]]` | 200, a few text deltas, then the connection closes (no `message_stop`) |
//! | `[[midstream-error]]` | 200, a few text deltas, then `event: error` `overloaded_error` |
//! | `[[http:CODE]]` | HTTP CODE (400..=599) with the API's error body; 429/529 add `retry-after: 0` |
//! | `[[flaky:N]]` | the first N requests with this exact text get 529 + `retry-after: 0`, then an echo |
//! | `[[slow]]` | 30 text deltas 200 ms apart |
//! | `[[thinking]]` | a thinking block (with `signature_delta`), then text |
//! | `[[tool]]` | text, then a `tool_use` block (the request's first tool, or `get_weather`); its loop's next round is the echo of the results |
//! | `[[tool:NAME:JSON]]` | [`tool_intro`], then one `tool_use` calling NAME with input JSON (an object; `[[tool:NAME]]` means `{}`); `stop_reason: tool_use`; see *Scripted tool calls* |
//! | `[[tools:NAME1:JSON1\|NAME2:JSON2]]` | [`tool_intro`], then one `tool_use` per call, in order (parallel calls in one reply) |
//! | `[[tool-rounds:N:NAME:JSON]]` | like `[[tool:NAME:JSON]]`, for N rounds of the loop (up to [`MAX_TOOL_ROUNDS`]) before the final text |
//! | `[[markdown]]` | [`MARKDOWN_REPLY`] |
//! | `[[huge:N]]` | N tokens of `"word "`, one per delta, as fast as possible |
//! | `[[rate:TPS:N]]` | N tokens of `"word "`, one per delta, paced at TPS tokens per second |
//! | `[[rate-rich:TPS:N]]` | N tokens of [`rich_chunks`] (sections of prose, a long code block, a large table and formulas), one per delta, paced at TPS tokens per second |
//! | `[[xss]]` | [`XSS_REPLY`] |
//! | `[[redirect:CODE]]` | HTTP CODE (301, 302, 303, 307, 308) with `Location:` [`REDIRECT_TARGET`] |
//! | `[[endless-line]]` | 200, a few text deltas, then one `data:` line that never ends (up to [`ENDLESS_MAX_BYTES`]) |
//! | `[[long:N]]` | [`long_text`]: `w1 w2 … wN`, one token per word (`w1`, ` w2`, …), so `max_tokens` cuts between words |
//! | `[[pause]]` | [`PAUSE_TEXT`] with `stop_reason: pause_turn`; continued (the last message is an assistant prefill), the rest, [`PAUSE_REST`], with `end_turn` |
//! | `[[refusal]]` | [`REFUSAL_TEXT`] with `stop_reason: refusal` |
//! | `[[stop-reason:WORD]]` | [`STOP_REASON_TEXT`] with `stop_reason: WORD`, verbatim (for stop reasons a client does not know) |
//!
//! The first recognised marker wins; unknown markers are ignored. Without one, the reply is
//! [`echo_text`] of the last user message, followed by a description of its images, e.g.
//! `[2 images: image/png 640x400, url https://example.com/a.jpg]`.
//!
//! ## Prefill and Continue
//!
//! When the last message is the assistant's (a prefill), the API continues its text. The text
//! replies (the echo, `[[markdown]]`, `[[xss]]`, `[[long:N]]`, `[[pause]]`, `[[refusal]]`,
//! `[[stop-reason:WORD]]`) do so deterministically: the full answer is computed from the last
//! user message as usual; if the prefill is a prefix of it, the reply is the rest, so a reply cut
//! by `max_tokens` and continued with its text as the prefill adds up to exactly the full answer;
//! otherwise the reply is [`CONTINUED`] followed by the full answer. These replies also honour
//! `stop_sequences` and `max_tokens` (`stop_reason` `stop_sequence` or `max_tokens`).
//!
//! ## Scripted tool calls
//!
//! `[[tool:…]]`, `[[tools:…]]` and `[[tool-rounds:…]]` script a whole tool-use loop, so a client
//! that runs it sees a realistic sequence:
//!
//! 1. The user's message with the word gets [`tool_intro`] as a text block, then the `tool_use`
//!    blocks, `stop_reason: tool_use`. Ids are `toolu_mock_<n>` (`n`: the request number, 8
//!    digits) for one call, `toolu_mock_<n>_1`, `toolu_mock_<n>_2`, … for parallel calls. With
//!    thinking on (`thinking: enabled` or a `-thinking` model) the reply starts with a signed
//!    thinking block.
//! 2. Each next request whose last user message holds `tool_result` blocks and no text is the
//!    loop's next round: the word is read from the last user message *with text* (the one that
//!    opened the exchange), and the rounds done are the user messages after it. While fewer
//!    than N rounds are done, the same call (same NAME and JSON, a new id) again, introduced by
//!    [`tool_round_text`]; then the
//!    final text [`tool_results_text`] quoting the results of the last user message in order,
//!    `Tool results: <tool_use_id>=<text>; <tool_use_id>=(error) <text>`, with `end_turn`.
//!    As with the real API (without interleaved thinking), these replies carry no thinking
//!    block, unless the request has an `anthropic-beta` header naming `interleaved-thinking`.
//! 3. A NAME that is not among the request's `tools` is not called: the reply is the text
//!    [`unknown_tool_text`] (`end_turn`).
//!
//! `JSON` is parsed as JSON (it may hold `]]`, `|` and `:`); a word whose JSON is not an object
//! is not recognised. Names are trimmed and may not be empty.
//!
//! ## `tool_choice`
//!
//! - `{"type":"none"}`: no tool is called. A tool word answers [`tool_choice_none_text`]; a loop
//!   round that would call again answers the final text instead.
//! - `{"type":"any"}` or `{"type":"tool","name":X}` (with `tools`): every reply calls a tool, as
//!   with the real API. Where the answer would be text (the echo, the loop's final text), it is
//!   a single `tool_use` of X, or of the first tool, with input `{}` and no text before it; the
//!   tool words make their calls as written, also without text before them. A loop under a
//!   forced `tool_choice` ends only at the client's round cap.
//! - `disable_parallel_tool_use: true`: `[[tools:…]]` makes only its first call.
//!
//! Queued [`crate::Scenario`]s are not affected by `tool_choice`.
//!
//! ## What is refused (400 `invalid_request_error`), as by the API
//!
//! - a `tool_result` whose `tool_use_id` is not a `tool_use` of the previous message:
//!   ``messages.I.content.J: unexpected `tool_use_id` found in `tool_result` blocks: ID. …``,
//!   and a `tool_use` not answered in the next message:
//!   ``messages.I: `tool_use` ids were found without `tool_result` blocks immediately after: ID. …``;
//! - `{"type":"tool","name":X}` with no tool X: `Tool 'X' not found in provided tools`
//!   (`tool_choice.tool.name: Field required` without a name);
//! - a custom tool (no `type`, or `custom`) whose name does not match `^[a-zA-Z0-9_-]{1,128}$`:
//!   `tools.I.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`, or without
//!   `input_schema`: `tools.I.custom.input_schema: Field required`; two tools with one name:
//!   `tools: Tool names must be unique.`

/// A recognised magic word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Magic {
    Drop,
    MidstreamError,
    Http(u16),
    Flaky(u32),
    Slow,
    Thinking,
    Tool,
    Markdown,
    Huge(usize),
    /// `[[rate:TPS:N]]`: `tokens` tokens at `per_second` tokens per second.
    Rate {
        per_second: u32,
        tokens: usize,
    },
    /// `[[rate-rich:TPS:N]]`: `tokens` tokens of [`rich_chunks`] at `per_second` tokens per second.
    RateRich {
        per_second: u32,
        tokens: usize,
    },
    Xss,
    /// `[[redirect:CODE]]`: a 3xx pointing to [`REDIRECT_TARGET`].
    Redirect(u16),
    /// `[[endless-line]]`.
    EndlessLine,
    /// `[[long:N]]`: N numbered words.
    Long(usize),
    /// `[[pause]]`: `pause_turn` on the first leg, `end_turn` when continued.
    Pause,
    /// `[[refusal]]`.
    Refusal,
    /// `[[stop-reason:WORD]]`: this stop reason, verbatim.
    StopReason(String),
    /// `[[tool:NAME:JSON]]` (one call, one round), `[[tools:…|…]]` (parallel calls, one round)
    /// or `[[tool-rounds:N:NAME:JSON]]` (one call, N rounds).
    ToolCalls {
        calls: Vec<ToolCall>,
        rounds: u32,
    },
}

/// One call of a scripted tool-use reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub name: String,
    /// Always a JSON object.
    pub input: serde_json::Value,
}

/// Upper bound for N in `[[tool-rounds:N:…]]`.
pub const MAX_TOOL_ROUNDS: u32 = 1000;

/// Upper bound for `[[huge:N]]`, so a typo cannot make the mock stream for minutes.
pub const HUGE_MAX_TOKENS: usize = 5_000_000;

/// Upper bound for `[[long:N]]`, whose text is built whole in memory.
pub const LONG_MAX_WORDS: usize = 100_000;

/// The first recognised `[[...]]` marker in `text`.
pub fn parse(text: &str) -> Option<Magic> {
    let mut rest = text;
    while let Some(start) = rest.find("[[") {
        let after = &rest[start + 2..];
        let end = after.find("]]")?;
        if ["tool:", "tools:", "tool-rounds:"]
            .iter()
            .any(|p| after.starts_with(p))
        {
            // The JSON may hold `]]` itself: try each closing pair in turn.
            let closings = (end..after.len()).filter(|&i| after.as_bytes()[i..].starts_with(b"]]"));
            for close in closings {
                if let Some(magic) = parse_tool_word(&after[..close]) {
                    return Some(magic);
                }
            }
        } else if let Some(magic) = parse_word(&after[..end]) {
            return Some(magic);
        }
        rest = &after[end + 2..];
    }
    None
}

fn parse_word(word: &str) -> Option<Magic> {
    match word {
        "drop" => return Some(Magic::Drop),
        "midstream-error" => return Some(Magic::MidstreamError),
        "slow" => return Some(Magic::Slow),
        "thinking" => return Some(Magic::Thinking),
        "tool" => return Some(Magic::Tool),
        "markdown" => return Some(Magic::Markdown),
        "xss" => return Some(Magic::Xss),
        "endless-line" => return Some(Magic::EndlessLine),
        "pause" => return Some(Magic::Pause),
        "refusal" => return Some(Magic::Refusal),
        _ => {}
    }
    let (name, arg) = word.split_once(':')?;
    match name {
        "http" => arg
            .parse::<u16>()
            .ok()
            .filter(|c| (400..=599).contains(c))
            .map(Magic::Http),
        "flaky" => arg.parse::<u32>().ok().map(Magic::Flaky),
        "redirect" => arg
            .parse::<u16>()
            .ok()
            .filter(|c| matches!(c, 301 | 302 | 303 | 307 | 308))
            .map(Magic::Redirect),
        "huge" => arg
            .parse::<usize>()
            .ok()
            .map(|n| Magic::Huge(n.min(HUGE_MAX_TOKENS))),
        "long" => arg
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Magic::Long(n.min(LONG_MAX_WORDS))),
        "stop-reason" if !arg.is_empty() => Some(Magic::StopReason(arg.to_string())),
        "rate" | "rate-rich" => {
            let (per_second, tokens) = arg.split_once(':')?;
            let per_second = per_second.parse::<u32>().ok().filter(|r| *r > 0)?;
            let tokens = tokens.parse::<usize>().ok()?.min(HUGE_MAX_TOKENS);
            Some(if name == "rate" {
                Magic::Rate { per_second, tokens }
            } else {
                Magic::RateRich { per_second, tokens }
            })
        }
        _ => None,
    }
}

fn parse_tool_word(word: &str) -> Option<Magic> {
    let (calls, rounds) = if let Some(spec) = word.strip_prefix("tool:") {
        (parse_calls(spec).filter(|c| c.len() == 1)?, 1)
    } else if let Some(spec) = word.strip_prefix("tools:") {
        (parse_calls(spec)?, 1)
    } else {
        let (rounds, spec) = word.strip_prefix("tool-rounds:")?.split_once(':')?;
        let rounds = rounds.parse::<u32>().ok().filter(|n| *n > 0)?;
        (
            parse_calls(spec).filter(|c| c.len() == 1)?,
            rounds.min(MAX_TOOL_ROUNDS),
        )
    };
    Some(Magic::ToolCalls { calls, rounds })
}

/// `NAME[:JSON]` items separated by `|`; the JSON is read as JSON, so it may hold `|` and `:`.
fn parse_calls(spec: &str) -> Option<Vec<ToolCall>> {
    let mut calls = Vec::new();
    let mut rest = spec;
    loop {
        let name_end = rest.find([':', '|']).unwrap_or(rest.len());
        let name = rest[..name_end].trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return None;
        }
        rest = &rest[name_end..];
        let input = match rest.strip_prefix(':') {
            Some(json) => {
                let mut values = serde_json::Deserializer::from_str(json).into_iter();
                let input: serde_json::Value = values.next()?.ok()?;
                if !input.is_object() {
                    return None;
                }
                rest = &json[values.byte_offset()..];
                input
            }
            None => serde_json::Value::Object(serde_json::Map::new()),
        };
        calls.push(ToolCall {
            name: name.to_string(),
            input,
        });
        rest = rest.trim_start();
        if rest.is_empty() {
            return Some(calls);
        }
        rest = rest.strip_prefix('|')?;
    }
}

/// The text before the calls of a tool word's first reply: `Let me use the NAME tool.`, or
/// for parallel calls `Let me use 2 tools at once: NAME1, NAME2.`
pub fn tool_intro(names: &[&str]) -> String {
    match names {
        [one] => format!("Let me use the {one} tool."),
        _ => format!(
            "Let me use {} tools at once: {}.",
            names.len(),
            names.join(", ")
        ),
    }
}

/// The text before the call of round `round` (from 2) of `[[tool-rounds:N:…]]`:
/// `Round 2 of 3: calling NAME again.`
pub fn tool_round_text(round: u32, rounds: u32, name: &str) -> String {
    format!("Round {round} of {rounds}: calling {name} again.")
}

/// The reply to a tool word whose tools are not all in the request's `tools`:
/// `Cannot call NAME: no tool of that name in this request (tools: a, b).` (`tools: none` when
/// there are none; several unknown names are listed with `, `).
pub fn unknown_tool_text(names: &[&str], available: &[&str]) -> String {
    let available = if available.is_empty() {
        "none".to_string()
    } else {
        available.join(", ")
    };
    format!(
        "Cannot call {}: no tool of that name in this request (tools: {available}).",
        names.join(", ")
    )
}

/// The reply to a tool word with `tool_choice: {"type":"none"}`:
/// `Not calling NAME1, NAME2: tool_choice is none.`
pub fn tool_choice_none_text(names: &[&str]) -> String {
    format!("Not calling {}: tool_choice is none.", names.join(", "))
}

/// One `tool_result` block as the loop's final text quotes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedResult {
    pub tool_use_id: String,
    /// The result's content: a string as is; blocks joined with a space, text blocks by their
    /// text, images as `[image: image/png 640x400]` (or `[image: url <address>]`), other blocks
    /// as `[<type>]`. Empty when there is no content.
    pub text: String,
    pub is_error: bool,
}

/// The final text of a scripted tool loop: `Tool results: ` then, for each result of the last
/// user message in order, `<tool_use_id>=<text>` (`<tool_use_id>=(error) <text>` for
/// `is_error: true`, just `(error)` when its text is empty), joined with `; `.
pub fn tool_results_text(results: &[QuotedResult]) -> String {
    let quoted: Vec<String> = results
        .iter()
        .map(|r| match (r.is_error, r.text.is_empty()) {
            (false, _) => format!("{}={}", r.tool_use_id, r.text),
            (true, true) => format!("{}=(error)", r.tool_use_id),
            (true, false) => format!("{}=(error) {}", r.tool_use_id, r.text),
        })
        .collect();
    format!("Tool results: {}", quoted.join("; "))
}

/// The default reply: `Echo: ` followed by the last user message's text.
pub fn echo_text(user_text: &str) -> String {
    format!("Echo: {user_text}")
}

/// The full answer of `[[long:N]]`: `w1 w2 … wN`.
pub fn long_text(words: usize) -> String {
    (1..=words)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first leg of `[[pause]]`, sent with `stop_reason: pause_turn`. It ends without
/// whitespace, so it can be sent back as a prefill unchanged, as a client continuing a paused
/// turn does.
pub const PAUSE_TEXT: &str = "Working on it: the first half of the answer is ready.";

/// What `[[pause]]` adds once continued, with `stop_reason: end_turn`.
pub const PAUSE_REST: &str = " The second half follows after the pause. Done.";

/// The reply to `[[refusal]]`, sent with `stop_reason: refusal`.
pub const REFUSAL_TEXT: &str = "I can't help with that.";

/// The reply to `[[stop-reason:WORD]]`.
pub const STOP_REASON_TEXT: &str = "This reply ends with an unusual stop reason.";

/// What a continued reply starts with when the prefill is not the start of the full answer.
pub const CONTINUED: &str = " (continued) ";

/// The API's error type for an HTTP status.
pub fn error_type_for_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    }
}

/// A message in the style of the API's for an HTTP status.
pub fn error_message_for_status(status: u16) -> &'static str {
    match status {
        400 => "mock: this request was rejected as invalid ([[http:400]])",
        401 => "invalid x-api-key",
        403 => "Your API key does not have permission to use the specified resource.",
        404 => "The requested resource could not be found.",
        413 => "Request exceeds the maximum allowed number of bytes.",
        429 => "Number of request tokens has exceeded your per-minute rate limit.",
        529 => "Overloaded",
        500..=599 => "The server had an error while processing your request.",
        _ => "mock: request rejected",
    }
}

/// The HTTP status the API uses for an error type (for non-streamed mid-stream errors).
pub fn status_for_error_type(error_type: &str) -> u16 {
    match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// The `n`-th section of [`rich_chunks`]: a heading, a paragraph with inline code and math, a
/// 48-line code block, a 30-row table and a display formula, so that a streamed reply keeps
/// opening and closing the blocks a renderer works hardest on.
fn rich_section(n: usize) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "## Part {n}: measuring the pipeline\n\n\
         Each stage reads its input once, and `stage_{n}` keeps a running total, so the cost is \
         $O(n \\log n)$ overall with a constant near $c_{n} = {n}.5$ per item. The table below \
         lists what each run measured; the code after it is what produced the figures.\n\n\
         | run | items | median (ms) | p99 (ms) | note |\n\
         | --- | ---: | ---: | ---: | --- |\n"
    );
    for row in 0..30 {
        let _ = writeln!(
            out,
            "| {n}.{row} | {} | {}.{} | {}.{} | {} |",
            1_000 + row * 250,
            12 + row % 7,
            row % 10,
            40 + row % 13,
            (row * 3) % 10,
            ["warm", "cold", "after restart", "under load", "idle"][row % 5]
        );
    }
    out.push_str("\n```rust\n");
    for line in 0..48 {
        let _ = writeln!(
            out,
            "{}let value_{line} = items.iter().map(|item| item.weight * {line}.0 + offset_{n}).sum::<f64>(); // step {line}",
            "    ".repeat(line % 4)
        );
    }
    out.push_str(
        "```\n\n$$\n\\sum_{i=1}^{n} w_i x_i = \\frac{1}{n} \\int_0^1 f(t)\\,dt + \\sqrt{\\sigma^2 + \\mu^2}\n$$\n\n",
    );
    out
}

/// The text of `[[rate-rich:TPS:N]]`: [`rich_section`]s, numbered from 1, cut into pieces of 3
/// to 8 characters as [`crate::generate::varied_chunks`] cuts; exactly `tokens` pieces (the
/// last section is cut wherever the count ends).
pub(crate) fn rich_chunks(tokens: usize) -> Vec<String> {
    let mut chunks = Vec::with_capacity(tokens);
    let mut section = 1;
    while chunks.len() < tokens {
        chunks.extend(crate::generate::varied_chunks(&rich_section(section)));
        section += 1;
    }
    chunks.truncate(tokens);
    chunks
}

/// The reply to `[[markdown]]`: a heading, emphasis, lists, a table, a fenced Rust block and
/// non-ASCII text (which the streamer splits mid-character).
pub const MARKDOWN_REPLY: &str = "# Mock Markdown Reply\n\
\n\
Some **bold** text, some *emphasis*, and `inline code`. Non-ASCII: café, naïve, 日本語, 🦀.\n\
\n\
## A list\n\
\n\
- First item\n\
- Second item with [a link](https://example.com)\n\
  - A nested item\n\
\n\
1. Ordered one\n\
2. Ordered two\n\
\n\
## A table\n\
\n\
| Language | Typing  | Mascot    |\n\
|----------|---------|-----------|\n\
| Rust     | static  | 🦀 Ferris |\n\
| Python   | dynamic | 🐍        |\n\
\n\
```rust\n\
fn main() {\n\
\x20   let greeting = \"héllo\";\n\
\x20   println!(\"{greeting}, world!\");\n\
}\n\
```\n\
\n\
> A blockquote to finish.\n";

/// The reply to `[[xss]]`: markup that must be shown as text (or dropped), never executed.
pub const XSS_REPLY: &str = "Some markup that must never run:\n\
\n\
<script>window.__pwned=1</script>\n\
\n\
<img src=x onerror=\"window.__pwned=1\">\n\
\n\
[click](javascript:window.__pwned=1)\n\
\n\
End of the XSS probe.\n";

/// The thinking text of `[[thinking]]`.
pub const THINKING_TEXT: &str = "Let me think this through step by step. First, the user wants \
to see a thinking block. Second, the signature must be kept and sent back unchanged. Third, the \
answer follows in a separate text block.";

/// The text block that follows [`THINKING_TEXT`].
pub const THINKING_ANSWER: &str = "After thinking it over: here is the answer.";

/// Number of deltas in the `[[slow]]` reply, and the pause between them.
pub const SLOW_CHUNKS: usize = 30;
pub const SLOW_DELAY_MS: u64 = 200;

/// The `i`-th (0-based) delta of the `[[slow]]` reply.
pub fn slow_chunk(i: usize) -> String {
    format!("Slow part {} of {SLOW_CHUNKS}. ", i + 1)
}

/// The text before the connection closes for `[[drop]]`.
pub const DROP_TEXT: &str = "This reply is cut off before it fini";

/// The text before the `event: error` for `[[midstream-error]]`.
pub const MIDSTREAM_TEXT: &str = "This reply starts well but then the server is overloa";

/// Where `[[redirect:CODE]]` points: a host that cannot resolve (`.invalid` is reserved), so a
/// client that wrongly follows it fails with a network error instead of reaching anyone.
pub const REDIRECT_TARGET: &str = "http://redirect-target.invalid/v1/messages";

/// The text before the endless line of `[[endless-line]]`.
pub const ENDLESS_TEXT: &str = "This reply is fine until an endless line starts";

/// How many bytes of the endless line are sent at most before the mock closes the connection,
/// so a client that never gives up still ends (with an interrupted stream) instead of hanging.
pub const ENDLESS_MAX_BYTES: usize = 1024 * 1024 * 1024;

/// One token of `[[huge:N]]` / [`crate::Scenario::Huge`].
pub const HUGE_TOKEN: &str = "word ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markdown_reply_keeps_the_code_indentation() {
        // A `\` line continuation in a Rust string eats the next line's leading spaces.
        assert!(MARKDOWN_REPLY.contains("\n    let greeting = \"héllo\";\n"));
    }

    #[test]
    fn first_recognised_marker_wins() {
        assert_eq!(
            parse("hi [[nope]] [[http:429]] [[drop]]"),
            Some(Magic::Http(429))
        );
        assert_eq!(parse("[[huge:12]]"), Some(Magic::Huge(12)));
        assert_eq!(
            parse("[[rate:2500:15000]]"),
            Some(Magic::Rate {
                per_second: 2500,
                tokens: 15000
            })
        );
        assert_eq!(parse("[[rate:0:10]]"), None, "a rate must be positive");
        assert_eq!(
            parse("[[rate-rich:2500:15000]]"),
            Some(Magic::RateRich {
                per_second: 2500,
                tokens: 15000
            })
        );
        assert_eq!(parse("[[flaky:2]] please"), Some(Magic::Flaky(2)));
        assert_eq!(parse("[[http:200]]"), None, "only error codes are magic");
        assert_eq!(parse("[[redirect:307]]"), Some(Magic::Redirect(307)));
        assert_eq!(parse("[[redirect:200]]"), None, "only redirect codes");
        assert_eq!(parse("x [[endless-line]]"), Some(Magic::EndlessLine));
        assert_eq!(parse("[[long:12]]"), Some(Magic::Long(12)));
        assert_eq!(parse("[[long:0]]"), None, "at least one word");
        assert_eq!(parse("[[pause]] now"), Some(Magic::Pause));
        assert_eq!(parse("[[refusal]]"), Some(Magic::Refusal));
        assert_eq!(
            parse("[[stop-reason:model_context_window_exceeded]]"),
            Some(Magic::StopReason("model_context_window_exceeded".into()))
        );
        assert_eq!(parse("[[stop-reason:]]"), None);
        assert_eq!(parse("plain [[text"), None);
        assert_eq!(parse("no markers"), None);
    }

    fn call(name: &str, input: serde_json::Value) -> ToolCall {
        ToolCall {
            name: name.into(),
            input,
        }
    }

    #[test]
    fn tool_words_read_their_json_whole() {
        use serde_json::json;
        assert_eq!(
            parse(r#"go [[tool:get_weather:{"city":"Paris"}]] now"#),
            Some(Magic::ToolCalls {
                calls: vec![call("get_weather", json!({"city": "Paris"}))],
                rounds: 1
            })
        );
        // `]]`, `|` and `:` inside the JSON do not end it.
        assert_eq!(
            parse(r#"[[tools:a:{"m":[[1]],"s":"x|y:z]]"} | b |c:{}]]"#),
            Some(Magic::ToolCalls {
                calls: vec![
                    call("a", json!({"m": [[1]], "s": "x|y:z]]"})),
                    call("b", json!({})),
                    call("c", json!({})),
                ],
                rounds: 1
            })
        );
        assert_eq!(
            parse("[[tool-rounds:3:echo:{}]]"),
            Some(Magic::ToolCalls {
                calls: vec![call("echo", json!({}))],
                rounds: 3
            })
        );
        assert_eq!(
            parse("[[tool-rounds:99999:echo]]"),
            Some(Magic::ToolCalls {
                calls: vec![call("echo", json!({}))],
                rounds: MAX_TOOL_ROUNDS
            })
        );
        assert_eq!(parse("[[tool:x:[1]]]"), None, "the input must be an object");
        assert_eq!(parse("[[tool:x:{nope}]]"), None);
        assert_eq!(parse("[[tool::{}]]"), None, "a name is required");
        assert_eq!(parse("[[tool:a|b]]"), None, "one call only");
        assert_eq!(parse("[[tool-rounds:0:a]]"), None);
        assert_eq!(parse("[[tool-rounds:2:a|b]]"), None);
        assert_eq!(
            parse("[[tool:x:{]] [[drop]]"),
            Some(Magic::Drop),
            "an unreadable tool word is skipped like any unknown word"
        );
        assert_eq!(parse("[[tool]]"), Some(Magic::Tool));
    }

    #[test]
    fn tool_texts() {
        assert_eq!(tool_intro(&["a"]), "Let me use the a tool.");
        assert_eq!(tool_intro(&["a", "b"]), "Let me use 2 tools at once: a, b.");
        assert_eq!(
            unknown_tool_text(&["x"], &[]),
            "Cannot call x: no tool of that name in this request (tools: none)."
        );
        let quoted = tool_results_text(&[
            QuotedResult {
                tool_use_id: "t1".into(),
                text: "sunny".into(),
                is_error: false,
            },
            QuotedResult {
                tool_use_id: "t2".into(),
                text: "timeout".into(),
                is_error: true,
            },
            QuotedResult {
                tool_use_id: "t3".into(),
                text: String::new(),
                is_error: true,
            },
        ]);
        assert_eq!(
            quoted,
            "Tool results: t1=sunny; t2=(error) timeout; t3=(error)"
        );
    }

    #[test]
    fn long_text_numbers_its_words() {
        assert_eq!(long_text(3), "w1 w2 w3");
        assert!(!PAUSE_TEXT.ends_with(char::is_whitespace));
    }

    #[test]
    fn error_types_follow_the_api() {
        assert_eq!(error_type_for_status(529), "overloaded_error");
        assert_eq!(error_type_for_status(500), "api_error");
        assert_eq!(error_type_for_status(413), "request_too_large");
        assert_eq!(status_for_error_type("overloaded_error"), 529);
    }
}
