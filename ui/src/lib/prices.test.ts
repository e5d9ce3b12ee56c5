import { describe, expect, it } from "vitest";
import { parsePriceRows, priceRow } from "./prices";

const sonnet = {
  model: "claude-sonnet-4-5",
  input: 3_000_000,
  output: 15_000_000,
  cacheWrite: 3_750_000,
  cacheRead: 300_000,
};

describe("the price table form", () => {
  it("shows prices in dollars per million tokens and reads them back exactly", () => {
    const row = priceRow(sonnet);
    expect(row).toMatchObject({
      model: "claude-sonnet-4-5",
      input: "3",
      output: "15",
      cacheWrite: "3.75",
      cacheRead: "0.30",
    });
    expect(parsePriceRows([row])).toEqual({ prices: [sonnet], errors: {} });
  });

  it("ignores empty rows and takes an empty cache price as 0", () => {
    const row = { ...priceRow(), model: " my-model ", input: "1", output: "2" };
    expect(parsePriceRows([priceRow(), row]).prices).toEqual([
      { model: "my-model", input: 1_000_000, output: 2_000_000, cacheWrite: 0, cacheRead: 0 },
    ]);
  });

  it("says what is wrong with each row", () => {
    const a = { ...priceRow(sonnet), input: "three" };
    const b = { ...priceRow(sonnet) };
    const c = { ...priceRow(), output: "1" };
    const { prices, errors } = parsePriceRows([a, b, c]);
    expect(prices).toBeNull();
    expect(errors[a.key]).toEqual({ input: "Dollars per million tokens, e.g. 3 or 0.30" });
    expect(errors[b.key]).toEqual({ model: "This model has a price above" });
    expect(errors[c.key]).toEqual({ model: "Name the model", input: "Enter a price" });
  });
});
