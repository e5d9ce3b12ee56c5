//! Tokens and money: a conversation's total and the spend per model for a period.
//!
//! Costs are computed here (never in the UI) from stored token counts and the price table in
//! settings, so editing a price re-prices what is shown.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use parley_store::ModelUsage;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::app::Parley;
use crate::error::CoreResult;
use crate::pricing::{self, ModelPrice};
use crate::view::UsageView;

/// Tokens and cost of a set of replies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    #[ts(type = "number")]
    pub replies: u64,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    #[ts(type = "number")]
    pub cache_write_tokens: u64,
    #[ts(type = "number")]
    pub cache_read_tokens: u64,
    /// The cost of the replies whose model has a price, in micro-dollars.
    #[ts(type = "number")]
    pub micro_usd: u64,
    /// Replies whose model has no price: their tokens are counted, their cost is not.
    #[ts(type = "number")]
    pub unpriced_replies: u64,
}

/// One model's line in the spend table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpend {
    pub model: String,
    pub totals: UsageTotals,
    /// Whether the price table has this model (else `totals.micro_usd` is 0 and means nothing).
    pub priced: bool,
}

/// Spend per model for today and this month (in the user's local time, which the UI gives).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpendView {
    pub today: Vec<ModelSpend>,
    pub month: Vec<ModelSpend>,
}

/// A stored sum as a count: the database never holds negative counts, but a damaged row
/// must not wrap around to billions of tokens.
fn count(sum: i64) -> u64 {
    u64::try_from(sum).unwrap_or(0)
}

/// The tokens of `usages`, summed per model id (the store gives one entry per model already;
/// summing again keeps the arithmetic right for any input).
fn per_model(usages: &[ModelUsage]) -> BTreeMap<&str, UsageTotals> {
    let mut groups: BTreeMap<&str, UsageTotals> = BTreeMap::new();
    for usage in usages {
        let group = groups.entry(usage.model.as_str()).or_default();
        group.replies = group.replies.saturating_add(count(usage.replies));
        group.input_tokens = group.input_tokens.saturating_add(count(usage.input_tokens));
        group.output_tokens = group
            .output_tokens
            .saturating_add(count(usage.output_tokens));
        group.cache_write_tokens = group
            .cache_write_tokens
            .saturating_add(count(usage.cache_creation_input_tokens));
        group.cache_read_tokens = group
            .cache_read_tokens
            .saturating_add(count(usage.cache_read_input_tokens));
    }
    groups
}

/// Fills in the cost of one model's summed tokens, or counts its replies as unpriced; returns
/// whether the model has a price.
///
/// The cost is computed once per model, on the model's summed tokens, so it is rounded to the
/// micro-dollar once per model. It can therefore differ by a few micro-dollars from the sum of
/// the per-reply costs the transcript shows (each rounded on its own); the sum of the tokens
/// is the exact amount, so the total follows it.
fn price_group(model: &str, group: &mut UsageTotals, prices: &[ModelPrice]) -> bool {
    match pricing::price_of(prices, model) {
        Some(price) => {
            let usage = UsageView {
                input_tokens: group.input_tokens,
                output_tokens: group.output_tokens,
                cache_creation_input_tokens: Some(group.cache_write_tokens),
                cache_read_input_tokens: Some(group.cache_read_tokens),
            };
            group.micro_usd = pricing::cost_micro_usd(price, &usage);
            true
        }
        None => {
            group.unpriced_replies = group.replies;
            false
        }
    }
}

/// The tokens and cost of `usages` at `prices`. Replies of a model without a price count
/// their tokens and `unpriced_replies`, never a cost.
pub fn totals(usages: &[ModelUsage], prices: &[ModelPrice]) -> UsageTotals {
    by_model(usages, prices)
        .into_iter()
        .fold(UsageTotals::default(), |sum, line| {
            let t = line.totals;
            UsageTotals {
                replies: sum.replies.saturating_add(t.replies),
                input_tokens: sum.input_tokens.saturating_add(t.input_tokens),
                output_tokens: sum.output_tokens.saturating_add(t.output_tokens),
                cache_write_tokens: sum.cache_write_tokens.saturating_add(t.cache_write_tokens),
                cache_read_tokens: sum.cache_read_tokens.saturating_add(t.cache_read_tokens),
                micro_usd: sum.micro_usd.saturating_add(t.micro_usd),
                unpriced_replies: sum.unpriced_replies.saturating_add(t.unpriced_replies),
            }
        })
}

/// One line per model of `usages` at `prices`: the most expensive first, then by model id
/// (unpriced models, at 0, come last in id order).
pub fn by_model(usages: &[ModelUsage], prices: &[ModelPrice]) -> Vec<ModelSpend> {
    let mut lines: Vec<ModelSpend> = per_model(usages)
        .into_iter()
        .map(|(model, mut totals)| {
            let priced = price_group(model, &mut totals, prices);
            ModelSpend {
                model: model.to_owned(),
                totals,
                priced,
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.totals
            .micro_usd
            .cmp(&a.totals.micro_usd)
            .then_with(|| a.model.cmp(&b.model))
    });
    lines
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    // A clock before 1970 is a broken machine; 0 then shows nothing rather than failing.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Parley {
    /// Tokens and cost of every reply of the conversation, on every branch (each was paid
    /// for), at the settings' prices. An unknown conversation is `missing`.
    pub async fn conversation_totals(&self, id: &str) -> CoreResult<UsageTotals> {
        let usages = self.store.conversation_usage(id).await?;
        let prices = self.settings().await?.prices;
        Ok(totals(&usages, &prices))
    }

    /// Spend per model from `today_start_ms` and from `month_start_ms` until now, at the
    /// settings' prices. The UI gives local midnight and the local first of the month (in ms
    /// since the epoch): only it knows the user's time zone. Replies in the trash count.
    pub async fn spend_summary(
        &self,
        today_start_ms: i64,
        month_start_ms: i64,
    ) -> CoreResult<SpendView> {
        // The store's range ends before `to`; a reply stored this very millisecond counts.
        let to = now_ms().saturating_add(1);
        let prices = self.settings().await?.prices;
        let today = self
            .store
            .usage_by_model_between(today_start_ms, to)
            .await?;
        let month = self
            .store
            .usage_by_model_between(month_start_ms, to)
            .await?;
        Ok(SpendView {
            today: by_model(&today, &prices),
            month: by_model(&month, &prices),
        })
    }
}

#[cfg(test)]
mod tests {
    use parley_store::{
        ConversationBundle, ConversationRecord, MessageStatus, Role, StoredMessage, StoredUsage,
        TitleSource,
    };

    use super::*;

    const SONNET: &str = "claude-sonnet-4-5-20250929";
    const HAIKU: &str = "claude-haiku-4-5-20251001";
    const CUSTOM: &str = "my-local-model";

    fn usage(model: &str, replies: i64, tokens: [i64; 4]) -> ModelUsage {
        ModelUsage {
            model: model.to_owned(),
            replies,
            input_tokens: tokens[0],
            output_tokens: tokens[1],
            cache_creation_input_tokens: tokens[2],
            cache_read_input_tokens: tokens[3],
        }
    }

    fn totals_of(replies: u64, tokens: [u64; 4], micro_usd: u64, unpriced: u64) -> UsageTotals {
        UsageTotals {
            replies,
            input_tokens: tokens[0],
            output_tokens: tokens[1],
            cache_write_tokens: tokens[2],
            cache_read_tokens: tokens[3],
            micro_usd,
            unpriced_replies: unpriced,
        }
    }

    /// Three models: Sonnet ($3 in, $15 out, $3.75 cache write, $0.30 cache read per MTok),
    /// Haiku ($1, $5, $1.25, $0.10) and one the table has no price for.
    fn usages() -> Vec<ModelUsage> {
        vec![
            // 1,000 × 3 + 500 × 15 + 10,000 × 3.75 + 20,000 × 0.30 = 3,000 + 7,500 + 37,500
            // + 6,000 = 54,000 µ$.
            usage(SONNET, 2, [1_000, 500, 10_000, 20_000]),
            // 2,000 × 1 + 1,000 × 5 + 0 + 5 × 0.1 = 2,000 + 5,000 + 0.5 → 7,001 µ$ (rounded once,
            // half up).
            usage(HAIKU, 3, [2_000, 1_000, 0, 5]),
            usage(CUSTOM, 4, [300, 200, 0, 0]),
        ]
    }

    #[test]
    fn totals_add_tokens_of_every_model_and_cost_of_the_priced_ones() {
        let prices = pricing::default_prices();
        assert_eq!(
            totals(&usages(), &prices),
            totals_of(9, [3_300, 1_700, 10_000, 20_005], 61_001, 4),
            "the unpriced model's tokens count, its cost does not, its replies are unpriced"
        );
        assert_eq!(totals(&[], &prices), UsageTotals::default());
        assert_eq!(
            totals(&usages(), &[]),
            totals_of(9, [3_300, 1_700, 10_000, 20_005], 0, 9),
            "with an empty price table nothing is priced"
        );
    }

    #[test]
    fn a_model_is_priced_once_on_its_summed_tokens() {
        let prices = pricing::default_prices();
        // Five Haiku cache reads of one token each: 0.1 µ$ apiece. Rounded per reply each
        // would be 0; priced once on the sum it is 0.5 → 1 µ$.
        let split: Vec<ModelUsage> = (0..5).map(|_| usage(HAIKU, 1, [0, 0, 0, 1])).collect();
        assert_eq!(totals(&split, &prices).micro_usd, 1);
        assert_eq!(totals(&split, &prices).replies, 5);
        assert_eq!(by_model(&split, &prices).len(), 1, "one line per model");
    }

    #[test]
    fn lines_are_sorted_by_cost_then_model() {
        let prices = pricing::default_prices();
        let lines = by_model(&usages(), &prices);
        assert_eq!(
            lines,
            [
                ModelSpend {
                    model: SONNET.into(),
                    totals: totals_of(2, [1_000, 500, 10_000, 20_000], 54_000, 0),
                    priced: true,
                },
                ModelSpend {
                    model: HAIKU.into(),
                    totals: totals_of(3, [2_000, 1_000, 0, 5], 7_001, 0),
                    priced: true,
                },
                ModelSpend {
                    model: CUSTOM.into(),
                    totals: totals_of(4, [300, 200, 0, 0], 0, 4),
                    priced: false,
                },
            ]
        );
        // Equal costs: by model id.
        let tie = vec![
            usage("b-model", 1, [1, 1, 0, 0]),
            usage("a-model", 1, [1, 1, 0, 0]),
        ];
        let names: Vec<String> = by_model(&tie, &[])
            .into_iter()
            .map(|line| line.model)
            .collect();
        assert_eq!(names, ["a-model", "b-model"]);
    }

    /// A finished reply of `model` created at `at` ms with these counts, for an import.
    fn reply_at(conversation: &str, id: &str, parent: &str, model: &str, at: i64) -> StoredMessage {
        StoredMessage {
            id: id.into(),
            conversation_id: conversation.into(),
            parent_id: Some(parent.into()),
            role: Role::Assistant,
            content_json: "[]".into(),
            text: String::new(),
            model: Some(model.into()),
            status: MessageStatus::Done,
            stop_reason: Some("end_turn".into()),
            stop_sequence: None,
            usage: StoredUsage {
                input_tokens: Some(1_000),
                output_tokens: Some(100),
                cache_creation_input_tokens: None,
                cache_read_input_tokens: None,
            },
            error_kind: None,
            error_message: None,
            request_id: None,
            active_child_id: None,
            created_at: at,
            updated_at: at,
            prefill: None,
        }
    }

    /// A conversation whose one question has the replies `(model, created at)`, all siblings
    /// (regenerated), as an import bundle: the only way to give replies a time in the past.
    fn bundle(id: &str, replies: &[(&str, i64)]) -> ConversationBundle {
        let question = StoredMessage {
            id: format!("{id}-q"),
            parent_id: None,
            role: Role::User,
            model: None,
            usage: StoredUsage::default(),
            ..reply_at(id, "", "", "", 0)
        };
        let mut messages = vec![question];
        for (n, (model, at)) in replies.iter().enumerate() {
            messages.push(reply_at(
                id,
                &format!("{id}-r{n}"),
                &format!("{id}-q"),
                model,
                *at,
            ));
        }
        ConversationBundle {
            conversation: ConversationRecord {
                id: id.into(),
                title: id.into(),
                title_source: TitleSource::User,
                model: SONNET.into(),
                system_prompt: None,
                params_json: "{}".into(),
                active_root_id: None,
                pinned: false,
                folder_id: None,
                deleted_at: None,
                title_input_tokens: None,
                title_output_tokens: None,
                created_at: 0,
                updated_at: 0,
            },
            messages,
            attachments: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_conversation_total_and_the_periods_count_every_paid_reply() {
        let dir = tempfile::tempdir().unwrap();
        let parley = crate::test_support::parley(dir.path()).await;
        const DAY: i64 = 86_400_000;
        let now = now_ms();
        let (today, month) = (now - DAY / 2, now - 10 * DAY);
        // At the default prices one reply (1,000 in, 100 out) costs 3,000 + 1,500 = 4,500 µ$
        // on Sonnet and 1,000 + 500 = 1,500 µ$ on Haiku.
        let kept = bundle(
            "kept",
            &[
                (SONNET, now - 20 * DAY),
                (SONNET, now - 5 * DAY),
                (HAIKU, now - 60_000),
                (CUSTOM, now - 30_000),
            ],
        );
        let trashed = bundle("trashed", &[(SONNET, now - 1_000)]);
        parley
            .store()
            .import_conversations(&[], &[kept, trashed])
            .await
            .unwrap();
        parley
            .trash_conversations(&["trashed".to_owned()])
            .await
            .unwrap();

        assert_eq!(
            parley.conversation_totals("kept").await.unwrap(),
            totals_of(4, [4_000, 400, 0, 0], 4_500 * 2 + 1_500, 1),
            "every branch and every day: each reply was paid for"
        );
        assert_eq!(
            parley.conversation_totals("nope").await.unwrap_err().kind(),
            crate::error::ErrorKind::Missing
        );

        let spend = parley.spend_summary(today, month).await.unwrap();
        let line = |model: &str, replies: u64, micro_usd: u64, priced: bool| ModelSpend {
            model: model.into(),
            totals: totals_of(
                replies,
                [1_000 * replies, 100 * replies, 0, 0],
                micro_usd,
                if priced { 0 } else { replies },
            ),
            priced,
        };
        assert_eq!(
            spend.today,
            [
                line(SONNET, 1, 4_500, true),
                line(HAIKU, 1, 1_500, true),
                line(CUSTOM, 1, 0, false),
            ],
            "the trashed conversation's reply today still cost money"
        );
        assert_eq!(
            spend.month,
            [
                line(SONNET, 2, 9_000, true),
                line(HAIKU, 1, 1_500, true),
                line(CUSTOM, 1, 0, false),
            ],
            "the reply 20 days ago is before the month"
        );
        assert_eq!(
            parley.spend_summary(now + DAY, now + DAY).await.unwrap(),
            SpendView::default()
        );
    }

    #[test]
    fn negative_sums_from_a_damaged_row_count_as_nothing() {
        let damaged = vec![usage(SONNET, 1, [-5, 10, 0, 0])];
        assert_eq!(
            totals(&damaged, &pricing::default_prices()),
            totals_of(1, [0, 10, 0, 0], 150, 0)
        );
    }
}
