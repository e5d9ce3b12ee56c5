/**
 * The price table as the settings form edits it: one row per model, prices typed in dollars
 * per million tokens ("3", "0.30"), stored as integer micro-dollars per million tokens
 * (`ModelPrice`, see `money.ts`).
 */
import { m } from "../paraglide/messages";
import type { ModelPrice } from "./bindings";
import { formatDollarsPerMTok, parseDollarsPerMTok } from "./money";

export const PRICE_COLUMNS = ["input", "output", "cacheWrite", "cacheRead"] as const;
export type PriceColumn = (typeof PRICE_COLUMNS)[number];

export type PriceRow = { key: number } & { model: string } & Record<PriceColumn, string>;
export type RowErrors = Partial<Record<"model" | PriceColumn, string>>;

let nextKey = 1;

export function priceRow(price?: ModelPrice): PriceRow {
  const text = (micro: number | undefined) =>
    micro === undefined ? "" : formatDollarsPerMTok(micro);
  return {
    key: nextKey++,
    model: price?.model ?? "",
    input: text(price?.input),
    output: text(price?.output),
    cacheWrite: text(price?.cacheWrite),
    cacheRead: text(price?.cacheRead),
  };
}

const blank = (row: PriceRow) =>
  row.model.trim() === "" && PRICE_COLUMNS.every((c) => row[c].trim() === "");

/**
 * The prices the rows say, or null with the errors by row key: every model named once, every
 * price an amount with at most six decimals. Wholly empty rows are ignored; an empty cache
 * price is 0 (a model without prompt caching).
 */
export function parsePriceRows(rows: readonly PriceRow[]): {
  prices: ModelPrice[] | null;
  errors: Record<number, RowErrors>;
} {
  const errors: Record<number, RowErrors> = {};
  const prices: ModelPrice[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (blank(row)) continue;
    const rowErrors: RowErrors = {};
    const model = row.model.trim();
    if (model === "") rowErrors.model = m.params_price_name_model();
    else if (seen.has(model)) rowErrors.model = m.params_price_duplicate();
    seen.add(model);
    const amounts = {} as Record<PriceColumn, number>;
    for (const column of PRICE_COLUMNS) {
      const typed = row[column].trim();
      const optional = column === "cacheWrite" || column === "cacheRead";
      const micro = typed === "" && optional ? 0 : parseDollarsPerMTok(typed);
      if (micro === null) {
        rowErrors[column] = typed === "" ? m.params_price_missing() : m.params_price_format();
      } else {
        amounts[column] = micro;
      }
    }
    if (Object.keys(rowErrors).length > 0) errors[row.key] = rowErrors;
    else prices.push({ model, ...amounts });
  }
  return { prices: Object.keys(errors).length === 0 ? prices : null, errors };
}
