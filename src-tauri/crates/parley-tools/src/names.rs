//! Tool names the Claude API accepts, unique across servers, and the fingerprint that tells when a
//! tool changed.
//!
//! The API wants `^[a-zA-Z0-9_-]{1,64}$`; MCP tool names may hold dots, slashes or spaces and two
//! servers may both have `search`. A tool is sent as `server__tool`, with every other character
//! replaced by `_`. A name that is too long, or that collides with one already given, keeps a
//! readable prefix and ends with `_` and 8 hex digits of a hash of the server id and tool name, so
//! it stays the same from one request to the next.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// The longest name the API accepts.
pub const MAX_API_NAME_LEN: usize = 64;

/// The tool a name refers to: the server's id and name and the tool's own name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolKey<'a> {
    pub server_id: &'a str,
    pub server_name: &'a str,
    pub tool_name: &'a str,
}

/// API names for `tools`, in order, all valid and distinct. Earlier tools keep the plain name when
/// two collide, so the caller passes servers and tools in a stable order.
pub fn api_names(tools: &[ToolKey<'_>]) -> Vec<String> {
    let mut taken = HashSet::new();
    tools
        .iter()
        .map(|key| {
            let plain = format!("{}__{}", sanitize(key.server_name), sanitize(key.tool_name));
            let mut name = if plain.len() <= MAX_API_NAME_LEN {
                plain.clone()
            } else {
                with_hash(&plain, key, 0)
            };
            // A collision takes the hashed form; a second one (a hash collision, vanishingly
            // rare) salts the hash until the name is free.
            let mut salt = 0u32;
            while taken.contains(&name) {
                salt = salt.saturating_add(1);
                name = with_hash(&plain, key, salt);
            }
            taken.insert(name.clone());
            name
        })
        .collect()
}

/// Whether `name` is a valid API tool name.
pub fn is_valid_api_name(name: &str) -> bool {
    (1..=MAX_API_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn sanitize(part: &str) -> String {
    let cleaned: String = part
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || character == '_' || character == '-' {
                character
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned
    }
}

fn with_hash(plain: &str, key: &ToolKey<'_>, salt: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key.server_id.as_bytes());
    hasher.update([0]);
    hasher.update(key.tool_name.as_bytes());
    if salt > 0 {
        hasher.update(salt.to_be_bytes());
    }
    let digest = hex(&hasher.finalize()[..4]);
    let keep = MAX_API_NAME_LEN - 1 - digest.len();
    // `plain` is ASCII after sanitising, so any byte index is a character boundary.
    let prefix = plain.get(..keep.min(plain.len())).unwrap_or(plain);
    format!("{prefix}_{digest}")
}

/// A hash of what the model and the user were shown of a tool: its description and input schema.
/// "Always allow" remembers it and asks again when it changes. Object keys are sorted first, so a
/// server that reorders its schema's keys does not change it.
pub fn tool_fingerprint(description: Option<&str>, input_schema: &serde_json::Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(description.unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(canonical_json(input_schema).as_bytes());
    hex(&hasher.finalize()[..16])
}

fn canonical_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|left, right| left.0.cmp(right.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(key.clone()),
                        canonical_json(value)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(server: &'a str, tool: &'a str) -> ToolKey<'a> {
        ToolKey {
            server_id: server,
            server_name: server,
            tool_name: tool,
        }
    }

    #[test]
    fn plain_names_are_server_double_underscore_tool() {
        assert_eq!(api_names(&[key("fs", "read_file")]), ["fs__read_file"]);
    }

    #[test]
    fn invalid_characters_become_underscores() {
        let names = api_names(&[key("my server", "files/read.v2"), key("", "")]);
        assert_eq!(names[0], "my_server__files_read_v2");
        assert_eq!(names[1], "____", "an empty part still gives a valid name");
        assert!(names.iter().all(|name| is_valid_api_name(name)));
    }

    #[test]
    fn colliding_names_get_distinct_stable_hashes() {
        let tools = [
            key("a", "x.y"),
            key("a", "x_y"),
            key("b", "search"),
            key("c", "search"),
        ];
        let names = api_names(&tools);
        assert_eq!(names[0], "a__x_y", "the first keeps the plain name");
        assert_ne!(names[1], names[0]);
        assert!(names[1].starts_with("a__x_y_"), "{}", names[1]);
        assert_eq!(names[2], "b__search");
        assert_eq!(
            names[3], "c__search",
            "the same tool on two servers does not collide"
        );
        assert_eq!(
            api_names(&tools),
            names,
            "the mapping is the same every time"
        );
        assert!(names.iter().all(|name| is_valid_api_name(name)));
    }

    #[test]
    fn long_names_are_truncated_with_a_hash_and_stay_distinct() {
        let long_tool = "t".repeat(100);
        let other = format!("{long_tool}2");
        let names = api_names(&[key("server", &long_tool), key("server", &other)]);
        assert_eq!(names[0].len(), MAX_API_NAME_LEN);
        assert_eq!(names[1].len(), MAX_API_NAME_LEN);
        assert_ne!(
            names[0], names[1],
            "same prefix, different tools, different names"
        );
        assert!(names[0].starts_with("server__ttt"));
        assert!(names.iter().all(|name| is_valid_api_name(name)));
    }

    #[test]
    fn validity_follows_the_api_pattern() {
        assert!(is_valid_api_name("a-b_C9"));
        assert!(!is_valid_api_name(""));
        assert!(!is_valid_api_name("a.b"));
        assert!(!is_valid_api_name(&"a".repeat(65)));
    }

    #[test]
    fn fingerprint_changes_with_description_or_schema_but_not_key_order() {
        let schema: serde_json::Value =
            serde_json::from_str(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#)
                .unwrap();
        let reordered: serde_json::Value =
            serde_json::from_str(r#"{"properties":{"a":{"type":"string"}},"type":"object"}"#)
                .unwrap();
        let base = tool_fingerprint(Some("Echo"), &schema);
        assert_eq!(base, tool_fingerprint(Some("Echo"), &reordered));
        assert_ne!(base, tool_fingerprint(Some("Echo!"), &schema));
        let mut changed = schema.clone();
        changed["properties"]["b"] = serde_json::json!({"type": "boolean"});
        assert_ne!(base, tool_fingerprint(Some("Echo"), &changed));
    }
}
