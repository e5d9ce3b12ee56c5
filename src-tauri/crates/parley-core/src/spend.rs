//! Tokens and money: a conversation's total and the spend per model for a period.
//!
//! Costs are computed here (never in the UI) from stored token counts and the price table in
//! settings, so editing a price re-prices what is shown.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
