import { describe, expect, it } from "vitest";
import { formatDollarsPerMTok, formatMicroUsd, parseDollarsPerMTok } from "./money";

describe("formatMicroUsd", () => {
  it.each([
    [0, "$0.00"],
    [1, "$0.000001"],
    [42, "$0.000042"],
    [99, "$0.000099"],
    [100, "$0.0001"],
    [149, "$0.0001"],
    [150, "$0.0002"],
    [10_500, "$0.0105"],
    [43_500, "$0.0435"],
    [100_725, "$0.1007"],
    [100_750, "$0.1008"],
    [500_000, "$0.50"],
    [999_949, "$0.9999"],
    [999_950, "$1.00"],
    [1_000_000, "$1.00"],
    [1_004_999, "$1.00"],
    [1_005_000, "$1.01"],
    [3_000_000, "$3.00"],
    [1_234_567_890, "$1,234.57"],
    [-10_500, "-$0.0105"],
  ])("%d µ$ is %s", (micro, text) => {
    expect(formatMicroUsd(micro)).toBe(text);
  });

  it("is exact where floating point is not", () => {
    // 0.1 + 0.2 in dollars: 300,000 µ$, never "0.30000000000000004".
    expect(formatMicroUsd(100_000 + 200_000)).toBe("$0.30");
    // Past 2^53 µ$ the number itself is rounded, but nothing more is lost in formatting.
    expect(formatMicroUsd(Number.MAX_SAFE_INTEGER)).toBe("$9,007,199,254.74");
  });

  it("says nothing for what is not an amount", () => {
    expect(formatMicroUsd(Number.NaN)).toBe("—");
  });
});

describe("prices in dollars per million tokens", () => {
  it.each([
    ["3", 3_000_000],
    ["0.30", 300_000],
    ["0.3", 300_000],
    ["3.75", 3_750_000],
    [".5", 500_000],
    ["15.", 15_000_000],
    ["$15", 15_000_000],
    [" 1.25 ", 1_250_000],
    ["0.000001", 1],
    ["0", 0],
    ["007", 7_000_000],
  ])("%j is %d µ$/MTok", (text, micro) => {
    expect(parseDollarsPerMTok(text)).toBe(micro);
  });

  it.each(["", ".", "-1", "1e3", "abc", "1,5", "0.0000001", "1.2.3", "99999999999999999"])(
    "%j is refused",
    (text) => {
      expect(parseDollarsPerMTok(text)).toBeNull();
    },
  );

  it.each([
    [3_000_000, "3"],
    [300_000, "0.30"],
    [3_750_000, "3.75"],
    [1_250_000, "1.25"],
    [100_000, "0.10"],
    [15_000_000, "15"],
    [1, "0.000001"],
    [0, "0"],
  ])("%d µ$/MTok is shown as %s, and reads back the same", (micro, text) => {
    expect(formatDollarsPerMTok(micro)).toBe(text);
    expect(parseDollarsPerMTok(text)).toBe(micro);
  });
});
