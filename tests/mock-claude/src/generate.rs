//! The content of replies, independent of how they are sent (SSE or one JSON body).

use serde_json::{Map, Value, json};

use crate::magic::HUGE_TOKEN;

/// One content block of a reply, already cut into the pieces its deltas will carry.
pub(crate) enum Block {
    Text(Vec<String>),
    Thinking {
        chunks: Vec<String>,
        signature: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
        json_chunks: Vec<String>,
    },
    /// `tokens` × [`HUGE_TOKEN`], `per_event` tokens per delta; generated while streaming, as
    /// fast as possible or, when `per_second` > 0, paced at that many tokens per second.
    Huge {
        tokens: usize,
        per_event: usize,
        per_second: u32,
    },
    /// A text block whose deltas, one per chunk, are paced at `per_second` deltas per second.
    PacedText {
        chunks: Vec<String>,
        per_second: u32,
    },
}

impl Block {
    pub fn text(chunks: Vec<String>) -> Self {
        Block::Text(chunks)
    }

    pub fn thinking(text: &str) -> Self {
        Block::Thinking {
            chunks: varied_chunks(text),
            signature: signature_for(text),
        }
    }

    pub fn tool_use(id: String, name: String, input: Value) -> Self {
        let json_chunks = input_json_chunks(&input);
        Block::ToolUse {
            id,
            name,
            input,
            json_chunks,
        }
    }

    /// Output tokens this block counts for: one per delta (the signature is free).
    pub fn output_tokens(&self) -> u64 {
        let n = match self {
            Block::Text(chunks)
            | Block::Thinking { chunks, .. }
            | Block::PacedText { chunks, .. } => chunks.len(),
            Block::ToolUse { json_chunks, .. } => {
                json_chunks.iter().filter(|c| !c.is_empty()).count()
            }
            Block::Huge { tokens, .. } => *tokens,
        };
        n as u64
    }

    /// The block as it appears in a non-streaming message's `content`.
    pub fn content_json(&self) -> Value {
        match self {
            Block::Text(chunks) | Block::PacedText { chunks, .. } => {
                json!({"type": "text", "text": chunks.concat()})
            }
            Block::Thinking { chunks, signature } => json!({
                "type": "thinking",
                "thinking": chunks.concat(),
                "signature": signature,
            }),
            Block::ToolUse {
                id, name, input, ..
            } => json!({"type": "tool_use", "id": id, "name": name, "input": input}),
            Block::Huge { tokens, .. } => {
                json!({"type": "text", "text": HUGE_TOKEN.repeat(*tokens)})
            }
        }
    }
}

/// The generated reply: blocks plus how the message ends when it ends normally.
pub(crate) struct Reply {
    pub blocks: Vec<Block>,
    pub stop_reason: String,
    pub stop_sequence: Option<String>,
}

impl Reply {
    pub fn new(blocks: Vec<Block>) -> Self {
        let stop_reason = if blocks.iter().any(|b| matches!(b, Block::ToolUse { .. })) {
            "tool_use"
        } else {
            "end_turn"
        };
        Reply {
            blocks,
            stop_reason: stop_reason.to_string(),
            stop_sequence: None,
        }
    }

    pub fn output_tokens(&self) -> u64 {
        self.blocks.iter().map(Block::output_tokens).sum()
    }
}

/// Splits text into pieces of 3 to 8 characters (cycling), never inside a character.
pub(crate) fn varied_chunks(text: &str) -> Vec<String> {
    const SIZES: [usize; 8] = [3, 5, 8, 4, 7, 6, 3, 8];
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < chars.len() {
        let end = (i + SIZES[k % SIZES.len()]).min(chars.len());
        out.push(chars[i..end].iter().collect());
        i = end;
        k += 1;
    }
    out
}

/// Splits text into words, each piece starting at a space (`"w1 w2"` → `"w1"`, `" w2"`), so a
/// cut after any number of pieces falls between words and leaves no trailing space.
pub(crate) fn word_chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == ' ' && i > start {
            out.push(text[start..i].to_string());
            start = i;
        }
    }
    if start < text.len() {
        out.push(text[start..].to_string());
    }
    out
}

/// Splits text into pieces of `n` characters (`n == 0`: one piece).
pub(crate) fn fixed_chunks(text: &str, n: usize) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    if n == 0 {
        return vec![text.to_string()];
    }
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

/// The FNV-1a offset basis: the hash of nothing, to be extended with [`fnv1a_extend`].
pub(crate) fn fnv1a_start() -> u64 {
    0xcbf2_9ce4_8422_2325
}

/// Extends an FNV-1a hash with more bytes, so a prefix's hash can be kept and built on.
pub(crate) fn fnv1a_extend(mut hash: u64, data: &[u8]) -> u64 {
    for byte in data {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn fnv1a(data: &[u8]) -> u64 {
    fnv1a_extend(fnv1a_start(), data)
}

/// Prefix of the signatures the mock issues; signatures with it are verified when sent back.
pub(crate) const SIGNATURE_PREFIX: &str = "EqMock";

/// The signature the mock gives a thinking text, so it can tell when one comes back altered.
pub(crate) fn signature_for(thinking: &str) -> String {
    format!("{SIGNATURE_PREFIX}{:016x}", fnv1a(thinking.as_bytes()))
}

/// `input_json_delta` pieces: an empty first piece (as the API sends), then 5-byte pieces cut
/// on character boundaries, so JSON tokens are split mid-way.
fn input_json_chunks(input: &Value) -> Vec<String> {
    let text = input.to_string();
    let mut out = vec![String::new()];
    out.extend(fixed_chunks(&text, 5));
    out
}

/// A plausible input for a JSON-Schema `object`: each property gets a value of its type.
pub(crate) fn input_from_schema(schema: &Value) -> Value {
    let mut input = Map::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            input.insert(name.clone(), value_for_schema(prop));
        }
    }
    Value::Object(input)
}

fn value_for_schema(schema: &Value) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    let ty = match schema.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(types)) => types.first().and_then(Value::as_str).unwrap_or("string"),
        _ => "string",
    };
    match ty {
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "array" => json!([]),
        "object" => input_from_schema(schema),
        "null" => Value::Null,
        _ => json!("mock value"),
    }
}

/// The characters a JSON value counts for in the input estimate: the characters of its strings
/// (not of object keys), 1 per number or boolean, and 1600 × 4 per image block. A
/// `cache_control` marker is not part of the prompt and counts nothing, so the same prompt has
/// the same size wherever its breakpoints sit.
pub(crate) fn estimate_chars(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.chars().count() as u64,
        Value::Array(items) => items.iter().map(estimate_chars).sum(),
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("image") {
                return 1600 * 4;
            }
            map.iter()
                .filter(|(k, _)| *k != "cache_control")
                .map(|(_, v)| estimate_chars(v))
                .sum()
        }
        Value::Number(_) | Value::Bool(_) => 1,
        Value::Null => 0,
    }
}

/// A rough input-token count: characters of the text in `system`, `messages` and `tools`,
/// divided by 4; each image counts as 1600 tokens. Never less than 1.
pub(crate) fn estimate_input_tokens(body: &Value) -> u64 {
    let total: u64 = ["system", "messages", "tools"]
        .iter()
        .filter_map(|k| body.get(k))
        .map(estimate_chars)
        .sum();
    (total / 4).max(1)
}

/// The input side of a message's `usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Usage {
    pub input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl Usage {
    /// A request that neither wrote nor read the prompt cache.
    pub fn plain(input_tokens: u64) -> Self {
        Usage {
            input_tokens,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
        }
    }
}

/// The usage object of a message.
pub(crate) fn usage_json(usage: &Usage, output_tokens: u64) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
    })
}

/// A complete non-streaming message.
pub(crate) fn message_json(id: &str, model: &str, reply: &Reply, usage: &Usage) -> Value {
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "content": reply.blocks.iter().map(Block::content_json).collect::<Vec<_>>(),
        "model": model,
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "usage": usage_json(usage, reply.output_tokens()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varied_chunks_rejoin_and_respect_characters() {
        let text = "Echo: héllo wörld 🦀 done";
        let chunks = varied_chunks(text);
        assert_eq!(chunks.concat(), text);
        assert!(chunks.iter().all(|c| (1..=8).contains(&c.chars().count())));
        assert!(chunks.len() > 3);
    }

    #[test]
    fn schema_inputs_have_every_property() {
        let schema = json!({"type": "object", "properties": {
            "city": {"type": "string"}, "days": {"type": "integer"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}});
        assert_eq!(
            input_from_schema(&schema),
            json!({"city": "mock value", "days": 1, "unit": "celsius"})
        );
    }

    #[test]
    fn input_tokens_are_at_least_one() {
        assert_eq!(estimate_input_tokens(&json!({})), 1);
        let body = json!({"messages": [{"role": "user", "content": "x".repeat(400)}]});
        assert!(estimate_input_tokens(&body) >= 100);
    }
}
