/**
 * Money as Rust counts it (`parley-core/src/pricing.rs`): integer micro-dollars (µ$), prices in
 * µ$ per million tokens. Nothing here uses floating point on an amount: amounts are split and
 * joined as digit strings, and the one rounding (to cents, for amounts of a dollar or more) is
 * done on `BigInt`s, so "$0.0105" is exactly 10,500 µ$ and a price typed as "0.30" is exactly
 * 300,000 µ$/MTok.
 */

import { getLocale, type Locale } from "../paraglide/runtime";
import { numberFormat } from "./format";

const MICRO_DIGITS = 6;

/** `micro` as its whole-dollar digits and its six digits of cents and below. */
function split(micro: bigint): { whole: string; fraction: string } {
  const digits = micro.toString().padStart(MICRO_DIGITS + 1, "0");
  return { whole: digits.slice(0, -MICRO_DIGITS), fraction: digits.slice(-MICRO_DIGITS) };
}

function toBigInt(micro: number): bigint | null {
  if (!Number.isFinite(micro)) return null;
  return BigInt(Math.round(micro));
}

/** `value` rounded half up to a multiple of `unit`. */
function roundTo(value: bigint, unit: number): bigint {
  const u = BigInt(unit);
  return ((value + u / BigInt(2)) / u) * u;
}

/**
 * An amount for display, rounded half up: below a dollar to four decimals ("$0.0105",
 * "$0.1007", "$0.50"; an amount under $0.0001 keeps every digit, "$0.000042", so a cheap
 * reply never reads as free), from a dollar up to cents ("$3.00", "$1,234.57"); the symbol and
 * separators are the locale's.
 */
export function formatMicroUsd(micro: number, locale: Locale = getLocale()): string {
  const value = toBigInt(micro);
  if (value === null) return "—";
  const sign = value < BigInt(0) ? "-" : "";
  let abs = value < BigInt(0) ? -value : value;
  if (abs >= BigInt(100)) abs = roundTo(abs, abs < BigInt(999_950) ? 100 : 10_000);
  const { whole, fraction } = split(abs);
  const digits = whole === "0" ? fraction.replace(/0+$/, "").padEnd(2, "0") : fraction.slice(0, 2);
  // Intl places the sign, the symbol and the group separators for the locale ("$1,234.57",
  // "US$1,234.57"); the digits are already exact, passed as a string so nothing is rounded again.
  const currency = numberFormat(
    {
      style: "currency",
      currency: "USD",
      minimumFractionDigits: digits.length,
      maximumFractionDigits: digits.length,
    },
    locale,
  );
  return currency.format(`${sign}${whole}.${digits}` as Intl.StringNumericLiteral);
}

/**
 * A price in µ$ per million tokens as dollars, the way it is typed: "3", "0.30", "3.75",
 * "0.000001" (at least two decimals when there are any, no trailing zeros beyond).
 */
export function formatDollarsPerMTok(micro: number): string {
  const value = toBigInt(micro);
  if (value === null || value < BigInt(0)) return "";
  const { whole, fraction } = split(value);
  const trimmed = fraction.replace(/0+$/, "");
  return trimmed === "" ? whole : `${whole}.${trimmed.padEnd(2, "0")}`;
}

/**
 * A typed price in dollars per million tokens ("3", "0.30", "$15", ".5") as integer µ$ per
 * million tokens; null when it is not a non-negative amount with at most six decimals (a price
 * finer than a micro-dollar per million tokens cannot be stored).
 */
export function parseDollarsPerMTok(text: string): number | null {
  const match = /^\$?\s*(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match) return null;
  const whole = match[1] ?? "";
  const fraction = match[2] ?? "";
  if (whole === "" && fraction === "") return null;
  if (fraction.length > MICRO_DIGITS) return null;
  const micro = BigInt(`${whole || "0"}${fraction.padEnd(MICRO_DIGITS, "0")}`);
  if (micro > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(micro);
}
