//! What replies cost: a price table (editable in settings) and the arithmetic, in integers.
//!
//! Money is counted in micro-dollars (µ$, millionths of a US dollar) and prices in µ$ per
//! million tokens, so a cost is `tokens × price / 1,000,000` computed in `u128` and rounded
//! once, to the nearest µ$. No floating point touches money. A model without a price has no
//! cost (`None`), never a made-up one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::view::UsageView;

/// One model's prices, in micro-dollars per million tokens (so `$3 / MTok` is `3_000_000`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelPrice {
    pub model: String,
    #[ts(type = "number")]
    pub input: u64,
    #[ts(type = "number")]
    pub output: u64,
    /// Writing to the prompt cache (5-minute cache).
    #[ts(type = "number")]
    pub cache_write: u64,
    /// Reading from the prompt cache.
    #[ts(type = "number")]
    pub cache_read: u64,
}

const MICRO: u64 = 1_000_000;

/// The default price table: Anthropic's list prices per million tokens (input, output; a
/// 5-minute cache write is 1.25 × input, a cache read 0.1 × input), from
/// <https://docs.claude.com/en/docs/about-claude/pricing> as published in October 2025.
/// The gateway's `-thinking` ids are priced as their base model (their thinking tokens are
/// output tokens). A gateway may charge otherwise: the table is editable in settings.
pub fn default_prices() -> Vec<ModelPrice> {
    // (model, input $/MTok); output is 5 × input for all three families.
    const LIST: [(&str, u64); 5] = [
        ("claude-haiku-4-5-20251001", 1),
        ("claude-sonnet-4-5-20250929", 3),
        ("claude-opus-4-1-20250805", 15),
        ("claude-opus-4-1-20250805-thinking", 15),
        ("claude-sonnet-4-5-20250929-thinking", 3),
    ];
    LIST.iter()
        .map(|(model, input_usd)| {
            let input = input_usd * MICRO;
            ModelPrice {
                model: (*model).to_owned(),
                input,
                output: input * 5,
                cache_write: input * 5 / 4,
                cache_read: input / 10,
            }
        })
        .collect()
}

/// The price of `model` in `table`, by exact id.
pub fn price_of<'a>(table: &'a [ModelPrice], model: &str) -> Option<&'a ModelPrice> {
    table.iter().find(|price| price.model == model)
}

/// What `usage` cost at `price`, in micro-dollars, rounded to the nearest one.
pub fn cost_micro_usd(price: &ModelPrice, usage: &UsageView) -> u64 {
    let parts = [
        (usage.input_tokens, price.input),
        (usage.output_tokens, price.output),
        (
            usage.cache_creation_input_tokens.unwrap_or(0),
            price.cache_write,
        ),
        (usage.cache_read_input_tokens.unwrap_or(0), price.cache_read),
    ];
    let pico: u128 = parts
        .iter()
        .map(|(tokens, per_mtok)| u128::from(*tokens) * u128::from(*per_mtok))
        .sum();
    let micro = (pico + u128::from(MICRO / 2)) / u128::from(MICRO);
    u64::try_from(micro).unwrap_or(u64::MAX)
}

/// The cost of a reply of `model`, or `None` when the table has no price for it.
pub fn cost_of(table: &[ModelPrice], model: &str, usage: &UsageView) -> Option<u64> {
    price_of(table, model).map(|price| cost_micro_usd(price, usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, write: Option<u64>, read: Option<u64>) -> UsageView {
        UsageView {
            input_tokens: input,
            output_tokens: output,
            cache_creation_input_tokens: write,
            cache_read_input_tokens: read,
        }
    }

    #[test]
    fn the_default_table_holds_the_list_prices() {
        let table = default_prices();
        let sonnet = price_of(&table, "claude-sonnet-4-5-20250929").unwrap();
        assert_eq!(
            (
                sonnet.input,
                sonnet.output,
                sonnet.cache_write,
                sonnet.cache_read
            ),
            (3_000_000, 15_000_000, 3_750_000, 300_000)
        );
        let haiku = price_of(&table, "claude-haiku-4-5-20251001").unwrap();
        assert_eq!(
            (
                haiku.input,
                haiku.output,
                haiku.cache_write,
                haiku.cache_read
            ),
            (1_000_000, 5_000_000, 1_250_000, 100_000)
        );
        let opus = price_of(&table, "claude-opus-4-1-20250805-thinking").unwrap();
        assert_eq!((opus.input, opus.output), (15_000_000, 75_000_000));
    }

    #[test]
    fn costs_are_exact_integers() {
        let table = default_prices();
        // Sonnet: 1,000 in × $3 + 500 out × $15 per MTok = $0.003 + $0.0075 = 10,500 µ$.
        assert_eq!(
            cost_of(
                &table,
                "claude-sonnet-4-5-20250929",
                &usage(1000, 500, None, None)
            ),
            Some(10_500)
        );
        // Cache: 10,000 written × $3.75 + 20,000 read × $0.30 per MTok = 37,500 + 6,000 µ$.
        assert_eq!(
            cost_of(
                &table,
                "claude-sonnet-4-5-20250929",
                &usage(0, 0, Some(10_000), Some(20_000))
            ),
            Some(43_500)
        );
        // One Haiku cache-read token is 0.1 µ$: rounded once per reply, to the nearest µ$.
        let haiku = "claude-haiku-4-5-20251001";
        assert_eq!(cost_of(&table, haiku, &usage(0, 0, None, Some(4))), Some(0));
        assert_eq!(cost_of(&table, haiku, &usage(0, 0, None, Some(5))), Some(1));
        assert_eq!(
            cost_of(&table, haiku, &usage(0, 0, None, Some(15))),
            Some(2)
        );
        // Large counts do not overflow.
        assert_eq!(
            cost_of(
                &table,
                "claude-opus-4-1-20250805",
                &usage(u64::MAX, 0, None, None)
            ),
            Some(u64::MAX)
        );
    }

    #[test]
    fn a_model_without_a_price_has_no_cost() {
        assert_eq!(
            cost_of(&default_prices(), "my-model", &usage(10, 10, None, None)),
            None
        );
        assert_eq!(
            cost_of(&[], "claude-sonnet-4-5-20250929", &usage(1, 1, None, None)),
            None
        );
    }
}
