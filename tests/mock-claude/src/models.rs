//! `GET /v1/models`: the entries the mock lists, and the API's cursor paging over them.

use serde_json::{Map, Value, json};

use crate::MODELS;

/// One entry of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub id: String,
    pub display_name: String,
    /// RFC 3339, as the API sends it.
    pub created_at: String,
    /// The most output tokens a request may ask for (`max_tokens`), when the mock knows it.
    pub max_tokens: Option<u64>,
    /// The largest prompt the model accepts, when the mock knows it.
    pub max_input_tokens: Option<u64>,
}

impl ModelInfo {
    /// An entry for `id`, with what the mock can tell from the id: a display name (the id itself
    /// for ids it does not know), the release date in the id (else 2025-01-01), and the limits
    /// of the Claude 4.x models of `claude-api.md` (a `-thinking` id has its base model's).
    pub fn new(id: impl Into<String>) -> Self {
        let id = id.into();
        let (max_tokens, max_input_tokens) = match known_limits(&id) {
            Some((output, input)) => (Some(output), Some(input)),
            None => (None, None),
        };
        ModelInfo {
            display_name: display_name(&id),
            created_at: created_at(&id),
            max_tokens,
            max_input_tokens,
            id,
        }
    }

    /// The entry as the API lists it; unknown limits are left out rather than sent as `null`.
    pub(crate) fn to_json(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("type".into(), json!("model"));
        entry.insert("id".into(), json!(self.id));
        entry.insert("display_name".into(), json!(self.display_name));
        entry.insert("created_at".into(), json!(self.created_at));
        if let Some(n) = self.max_tokens {
            entry.insert("max_tokens".into(), json!(n));
        }
        if let Some(n) = self.max_input_tokens {
            entry.insert("max_input_tokens".into(), json!(n));
        }
        Value::Object(entry)
    }
}

/// The entries `GET /v1/models` lists until a test replaces them: the ids of [`MODELS`].
pub fn default_models() -> Vec<ModelInfo> {
    MODELS.iter().copied().map(ModelInfo::new).collect()
}

/// (output, input) token limits of the models the mock knows.
fn known_limits(id: &str) -> Option<(u64, u64)> {
    let base = id.strip_suffix("-thinking").unwrap_or(id);
    if base.starts_with("claude-haiku-4-5") || base.starts_with("claude-sonnet-4-5") {
        Some((64_000, 200_000))
    } else if base.starts_with("claude-opus-4-1") {
        Some((32_000, 200_000))
    } else {
        None
    }
}

fn display_name(id: &str) -> String {
    let base = id.strip_suffix("-thinking").unwrap_or(id);
    let family = ["haiku", "sonnet", "opus"]
        .into_iter()
        .find(|family| base.starts_with(&format!("claude-{family}-")));
    let Some(family) = family else {
        return id.to_string();
    };
    let version = if base.contains("-4-5") { "4.5" } else { "4.1" };
    let thinking = if id.ends_with("-thinking") {
        " (thinking)"
    } else {
        ""
    };
    let mut name = family.to_string();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!("Claude {name} {version}{thinking}")
}

/// The `YYYYMMDD` part of an id as an RFC 3339 date.
fn created_at(id: &str) -> String {
    id.split('-')
        .find(|part| part.len() == 8 && part.bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(
            || "2025-01-01T00:00:00Z".to_string(),
            |d| format!("{}-{}-{}T00:00:00Z", &d[..4], &d[4..6], &d[6..]),
        )
}

/// One page of the list, as the API pages it: `limit` (1..=1000, default 20) entries after the
/// entry `after_id`, or the `limit` entries just before `before_id`, else from the start.
/// `has_more` says whether entries remain in the direction of travel.
pub(crate) fn page(models: &[ModelInfo], query: Option<&str>) -> Result<Value, String> {
    let mut limit = 20;
    let mut after_id = None;
    let mut before_id = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or("limit: Input should be between 1 and 1000")?;
            }
            "after_id" => after_id = Some(value),
            "before_id" => before_id = Some(value),
            _ => {}
        }
    }
    let position = |key: &str, id: &str| {
        models
            .iter()
            .position(|m| m.id == id)
            .ok_or_else(|| format!("{key}: no model with id {id}"))
    };
    let (range, has_more) = match (after_id, before_id) {
        (Some(_), Some(_)) => {
            return Err("after_id and before_id cannot both be set".into());
        }
        (Some(id), None) => {
            let start = position("after_id", &id)? + 1;
            let end = (start + limit).min(models.len());
            (start..end, end < models.len())
        }
        (None, Some(id)) => {
            let end = position("before_id", &id)?;
            let start = end.saturating_sub(limit);
            (start..end, start > 0)
        }
        (None, None) => {
            let end = limit.min(models.len());
            (0..end, end < models.len())
        }
    };
    let data: Vec<Value> = models[range].iter().map(ModelInfo::to_json).collect();
    let first = data.first().map_or(Value::Null, |m| m["id"].clone());
    let last = data.last().map_or(Value::Null, |m| m["id"].clone());
    Ok(json!({
        "data": data,
        "has_more": has_more,
        "first_id": first,
        "last_id": last,
    }))
}

/// Decodes `%XX` escapes and `+` in a query value; anything malformed is kept as it is.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_models_have_names_dates_and_limits() {
        let opus = ModelInfo::new("claude-opus-4-1-20250805-thinking");
        assert_eq!(opus.display_name, "Claude Opus 4.1 (thinking)");
        assert_eq!(opus.created_at, "2025-08-05T00:00:00Z");
        assert_eq!(
            (opus.max_tokens, opus.max_input_tokens),
            (Some(32_000), Some(200_000))
        );
        let haiku = ModelInfo::new("claude-haiku-4-5-20251001");
        assert_eq!(haiku.display_name, "Claude Haiku 4.5");
        assert_eq!(haiku.max_tokens, Some(64_000));
        let custom = ModelInfo::new("my-model");
        assert_eq!(custom.display_name, "my-model");
        assert_eq!(custom.max_tokens, None);
        assert!(custom.to_json().get("max_tokens").is_none());
    }

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(percent_decode("a%2Db+c%zz"), "a-b c%zz");
    }
}
