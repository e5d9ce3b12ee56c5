//! Prompt caching: the checks the API makes on `cache_control`, and a deterministic imitation
//! of its cache so that `usage` reports cache writes and reads a client can be tested against.
//!
//! The API caches the prompt prefix that ends at each block marked with `cache_control` (a
//! breakpoint), in the order tools, system, messages. A later request whose prompt starts with a
//! cached prefix reads it instead of paying for it again. The mock keeps, per server, the hashes
//! of the prefixes it has cached, and accounts for every request with breakpoints:
//!
//! - `cache_read_input_tokens`: the estimated tokens of the longest prefix, ending at any block
//!   up to the last breakpoint, that is already cached (the API also finds prefixes cached at a
//!   block that is no longer marked, which is how a conversation whose breakpoint moves to its
//!   newest message keeps reading what earlier turns wrote);
//! - `cache_creation_input_tokens`: the estimated tokens from there to the last breakpoint, whose
//!   prefixes are then cached;
//! - `input_tokens`: the rest of the prompt.
//!
//! A prefix is identified by the model and the canonical JSON (sorted keys, `cache_control`
//! left out, so moving a breakpoint does not change what the blocks before it hash to) of every
//! block up to it. Sizes use the same estimate as `input_tokens` (characters / 4, see
//! [`crate::generate::estimate_input_tokens`]).

use serde_json::Value;

use crate::generate::{Usage, estimate_chars, fnv1a_extend, fnv1a_start};

/// The API accepts at most this many blocks with `cache_control` per request.
pub(crate) const MAX_BREAKPOINTS: usize = 4;

/// The places where the API accepts `cache_control`, with the path the API's errors name them
/// by: every tool, every block of an array `system`, every block of an array message content.
fn marked_blocks(body: &Value) -> Vec<(String, &Value)> {
    let tools = array(body.get("tools"))
        .iter()
        .enumerate()
        .map(|(i, tool)| (format!("tools.{i}"), tool));
    let system = array(body.get("system"))
        .iter()
        .enumerate()
        .map(|(i, block)| (format!("system.{i}"), block));
    let messages = array(body.get("messages"))
        .iter()
        .enumerate()
        .flat_map(|(i, message)| {
            array(message.get("content"))
                .iter()
                .enumerate()
                .map(move |(j, block)| (format!("messages.{i}.content.{j}"), block))
        });
    tools
        .chain(system)
        .chain(messages)
        .filter_map(|(path, block)| block.get("cache_control").map(|c| (path, c)))
        .collect()
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The API's checks on `cache_control`: at most [`MAX_BREAKPOINTS`], each
/// `{"type": "ephemeral"}` with an optional `ttl` of `5m` or `1h`, nothing else.
pub(crate) fn validate_cache_control(body: &Value) -> Result<(), String> {
    let marked = marked_blocks(body);
    for (path, cache_control) in &marked {
        let Some(fields) = cache_control.as_object() else {
            return Err(format!(
                "{path}.cache_control: Input should be a valid dictionary"
            ));
        };
        match fields.get("type").and_then(Value::as_str) {
            Some("ephemeral") => {}
            None if !fields.contains_key("type") => {
                return Err(format!("{path}.cache_control.type: Field required"));
            }
            _ => {
                return Err(format!(
                    "{path}.cache_control.type: Input should be 'ephemeral'"
                ));
            }
        }
        if let Some(ttl) = fields.get("ttl")
            && !matches!(ttl.as_str(), Some("5m" | "1h"))
        {
            return Err(format!(
                "{path}.cache_control.ephemeral.ttl: Input should be '5m' or '1h'"
            ));
        }
        if let Some(extra) = fields
            .keys()
            .find(|k| !matches!(k.as_str(), "type" | "ttl"))
        {
            return Err(format!(
                "{path}.cache_control.ephemeral.{extra}: Extra inputs are not permitted"
            ));
        }
    }
    if marked.len() > MAX_BREAKPOINTS {
        return Err(format!(
            "A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {}.",
            marked.len()
        ));
    }
    Ok(())
}

/// The path of the first `cache_control` key anywhere in the body, in the API's error notation
/// (`messages.0.content.1.cache_control`), for a gateway that does not know prompt caching.
pub(crate) fn first_cache_control(body: &Value) -> Option<String> {
    fn find(value: &Value, path: &str) -> Option<String> {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            Value::Object(map) => {
                if map.contains_key("cache_control") {
                    return Some(join("cache_control"));
                }
                map.iter().find_map(|(k, v)| find(v, &join(k)))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find(v, &join(&i.to_string()))),
            _ => None,
        }
    }
    find(body, "")
}

/// The end of one block of the prompt: the hash of the prefix up to and including it, and the
/// estimated characters of that prefix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Boundary {
    pub hash: u64,
    pub chars: u64,
    /// The block carries `cache_control`.
    pub breakpoint: bool,
}

/// Every block boundary of the prompt, in cache order (tools, system, messages). The characters
/// add up to what [`crate::generate::estimate_input_tokens`] counts for the whole body.
pub(crate) fn boundaries(body: &Value) -> Vec<Boundary> {
    let mut walker = Walker {
        hash: fnv1a_start(),
        chars: 0,
        out: Vec::new(),
    };
    walker.feed(b"model:", &body["model"], 0);
    for tool in array(body.get("tools")) {
        walker.block(b"tool:", tool);
    }
    match body.get("system") {
        Some(Value::Array(blocks)) => blocks.iter().for_each(|b| walker.block(b"system:", b)),
        Some(system @ Value::String(_)) => walker.block(b"system:", system),
        _ => {}
    }
    for message in array(body.get("messages")) {
        // The message's own fields (its role) mark where one message ends and the next begins.
        let content = message.get("content").unwrap_or(&Value::Null);
        let own_chars = estimate_chars(message).saturating_sub(estimate_chars(content));
        let mut head = message.clone();
        if let Some(map) = head.as_object_mut() {
            map.remove("content");
        }
        walker.feed(b"message:", &head, own_chars);
        match content {
            Value::Array(blocks) => blocks.iter().for_each(|b| walker.block(b"block:", b)),
            other => walker.block(b"block:", other),
        }
    }
    walker.out
}

struct Walker {
    hash: u64,
    chars: u64,
    out: Vec<Boundary>,
}

impl Walker {
    /// Adds a part of the prompt to the running hash without ending a block there.
    fn feed(&mut self, tag: &[u8], value: &Value, chars: u64) {
        let mut bytes = tag.to_vec();
        canonical(value, &mut bytes);
        bytes.push(b'\n');
        self.hash = fnv1a_extend(self.hash, &bytes);
        self.chars += chars;
    }

    /// Adds one block and records the boundary after it.
    fn block(&mut self, tag: &[u8], block: &Value) {
        self.feed(tag, block, estimate_chars(block));
        self.out.push(Boundary {
            hash: self.hash,
            chars: self.chars,
            breakpoint: block.get("cache_control").is_some(),
        });
    }
}

/// JSON with object keys sorted and `cache_control` left out, so equal prompts hash equal
/// whatever the key order of the client's serializer and wherever its breakpoints sit.
fn canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().filter(|k| *k != "cache_control").collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(key.clone()).to_string().as_bytes());
                out.push(b':');
                if let Some(v) = map.get(key) {
                    canonical(v, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// Tokens for a number of characters, as the input estimate counts them.
fn tokens(chars: u64) -> u64 {
    chars / 4
}

/// How a request's prompt splits between cache reads, cache writes and plain input, given the
/// prefixes already cached; also the prefixes it caches (empty when it has no breakpoint).
pub(crate) fn account(
    boundaries: &[Boundary],
    total_input_tokens: u64,
    is_cached: impl Fn(u64) -> bool,
) -> (Usage, Vec<u64>) {
    let Some(last_breakpoint) = boundaries.iter().rposition(|b| b.breakpoint) else {
        return (Usage::plain(total_input_tokens), Vec::new());
    };
    let considered = &boundaries[..=last_breakpoint];
    let read_chars = considered
        .iter()
        .rev()
        .find(|b| is_cached(b.hash))
        .map_or(0, |b| b.chars);
    let written_chars = considered[last_breakpoint].chars;
    let read = tokens(read_chars);
    let usage = Usage {
        input_tokens: total_input_tokens.saturating_sub(tokens(written_chars)),
        cache_creation_input_tokens: tokens(written_chars).saturating_sub(read),
        cache_read_input_tokens: read,
    };
    let written = considered
        .iter()
        .filter(|b| b.breakpoint)
        .map(|b| b.hash)
        .collect();
    (usage, written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::estimate_input_tokens;
    use serde_json::json;

    fn conversation(mark_last: bool) -> Value {
        let mut body = json!({
            "model": "m",
            "max_tokens": 10,
            "tools": [{"name": "t", "description": "d".repeat(40), "input_schema": {"type": "object"}}],
            "system": [{"type": "text", "text": "s".repeat(400), "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "u".repeat(200)}]},
                {"role": "assistant", "content": "a".repeat(100)},
                {"role": "user", "content": [{"type": "text", "text": "v".repeat(80)}]},
            ],
        });
        if mark_last {
            body["messages"][2]["content"][0]["cache_control"] = json!({"type": "ephemeral"});
        }
        body
    }

    #[test]
    fn boundary_characters_add_up_to_the_input_estimate() {
        let body = conversation(true);
        let last = boundaries(&body).last().map(|b| b.chars).unwrap_or(0);
        assert_eq!(last / 4, estimate_input_tokens(&body));
    }

    #[test]
    fn moving_a_breakpoint_keeps_the_hashes_before_it() {
        let a = boundaries(&conversation(false));
        let b = boundaries(&conversation(true));
        let hashes = |bs: &[Boundary]| bs.iter().map(|b| b.hash).collect::<Vec<_>>();
        assert_eq!(hashes(&a), hashes(&b));
        assert_eq!(a.iter().filter(|b| b.breakpoint).count(), 1);
        assert_eq!(b.iter().filter(|b| b.breakpoint).count(), 2);
    }

    #[test]
    fn a_second_identical_request_reads_what_the_first_wrote() {
        let body = conversation(true);
        let total = estimate_input_tokens(&body);
        let bs = boundaries(&body);
        let (first, written) = account(&bs, total, |_| false);
        assert_eq!(first.cache_read_input_tokens, 0);
        assert!(first.cache_creation_input_tokens > 0);
        assert_eq!(written.len(), 2);
        let (second, _) = account(&bs, total, |h| written.contains(&h));
        assert_eq!(
            second.cache_read_input_tokens,
            first.cache_creation_input_tokens
        );
        assert_eq!(second.cache_creation_input_tokens, 0);
        assert_eq!(second.input_tokens, first.input_tokens);
    }

    #[test]
    fn the_first_cache_control_anywhere_is_found_with_its_path() {
        let body = json!({"messages": [{"role": "user", "content": [
            {"type": "tool_result", "content": [{"type": "text", "text": "x", "cache_control": {}}]}
        ]}]});
        assert_eq!(
            first_cache_control(&body).as_deref(),
            Some("messages.0.content.0.content.0.cache_control")
        );
        assert_eq!(first_cache_control(&json!({"a": [1, {"b": 2}]})), None);
    }
}
