//! `GET /v1/models`: one page of the models an endpoint lists.
//!
//! Read leniently, field by field, rather than with a derived `Deserialize`: a gateway that lists
//! one odd entry (no id, a limit sent as a string) should cost that entry, not the whole list.

use serde_json::Value;

/// One page of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelPage {
    /// The models of this page, in the endpoint's order (newest first for Anthropic's API).
    pub data: Vec<ApiModel>,
    /// More pages follow; ask again with `after_id` = [`last_id`](Self::last_id).
    pub has_more: bool,
    /// The cursor for the next page: the body's `last_id`, or the id of this page's last entry
    /// when the body leaves it out (which is what `last_id` means).
    pub last_id: Option<String>,
}

/// One model as the endpoint lists it. Fields the endpoint leaves out (or sends in a shape this
/// client does not read) are `None`; unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiModel {
    pub id: String,
    pub display_name: Option<String>,
    /// RFC 3339, as sent.
    pub created_at: Option<String>,
    /// The largest `max_tokens` a request may ask for.
    pub max_tokens: Option<u32>,
    /// The largest prompt, in tokens, the model accepts.
    pub max_input_tokens: Option<u32>,
}

impl ApiModel {
    /// The entry, or `None` when it has no non-empty string `id` (nothing could select it).
    fn from_json(value: &Value) -> Option<Self> {
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let limit = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
        };
        Some(Self {
            id: text("id")?,
            display_name: text("display_name"),
            created_at: text("created_at"),
            max_tokens: limit("max_tokens"),
            max_input_tokens: limit("max_input_tokens"),
        })
    }
}

impl ModelPage {
    /// The page in an (unwrapped) reply body, or `None` when the body has no `data` array: then
    /// it is not a models list at all. A bare array (a gateway that wraps the list itself as
    /// `{"code": 200, "data": [...]}`) is one complete page.
    pub(crate) fn from_json(value: &Value) -> Option<Self> {
        let entries = match value {
            Value::Array(entries) => entries,
            _ => value.get("data")?.as_array()?,
        };
        let data: Vec<ApiModel> = entries.iter().filter_map(ApiModel::from_json).collect();
        if data.len() < entries.len() {
            tracing::debug!(
                skipped = entries.len() - data.len(),
                "skipped models list entries without an id"
            );
        }
        let last_id = value
            .get("last_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .or_else(|| data.last().map(|model| model.id.clone()));
        Some(Self {
            has_more: value
                .get("has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            data,
            last_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_page_reads_the_documented_fields_and_ignores_the_rest() {
        let page = ModelPage::from_json(&json!({
            "data": [
                {"type": "model", "id": "claude-a", "display_name": "Claude A",
                 "created_at": "2025-08-05T00:00:00Z", "max_tokens": 64000,
                 "max_input_tokens": 200000, "capabilities": {"vision": true}},
                {"id": "claude-b"},
            ],
            "has_more": true,
            "first_id": "claude-a",
            "last_id": "claude-b",
        }))
        .unwrap();
        assert_eq!(
            page.data[0],
            ApiModel {
                id: "claude-a".into(),
                display_name: Some("Claude A".into()),
                created_at: Some("2025-08-05T00:00:00Z".into()),
                max_tokens: Some(64_000),
                max_input_tokens: Some(200_000),
            }
        );
        assert_eq!(page.data[1].display_name, None);
        assert!(page.has_more);
        assert_eq!(page.last_id.as_deref(), Some("claude-b"));
    }

    #[test]
    fn odd_entries_cost_only_themselves() {
        let page = ModelPage::from_json(&json!({
            "data": [
                {"display_name": "no id"},
                {"id": ""},
                {"id": 7},
                {"id": "claude-x", "max_tokens": "64000", "max_input_tokens": 1e12},
            ],
        }))
        .unwrap();
        assert_eq!(page.data.len(), 1, "{page:?}");
        assert_eq!(page.data[0].max_tokens, None, "a string is not a limit");
        assert_eq!(page.data[0].max_input_tokens, None, "nor is a float");
        assert!(!page.has_more, "a page without has_more is the last");
        assert_eq!(
            page.last_id.as_deref(),
            Some("claude-x"),
            "without last_id, the last entry is the cursor"
        );
    }

    #[test]
    fn a_body_without_a_data_array_is_not_a_page() {
        assert_eq!(ModelPage::from_json(&json!({"models": []})), None);
        assert_eq!(ModelPage::from_json(&json!({"data": {"id": "x"}})), None);
        assert_eq!(
            ModelPage::from_json(&json!({"data": []})),
            Some(ModelPage::default())
        );
        let bare = ModelPage::from_json(&json!([{"id": "claude-a"}])).unwrap();
        assert_eq!(bare.data.len(), 1);
        assert!(!bare.has_more);
    }
}
