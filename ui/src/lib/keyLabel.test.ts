import { afterEach, describe, expect, it } from "vitest";
import { overwriteGetLocale, type Locale } from "../paraglide/runtime";
import { keyLabel, keyPlaceholder } from "./keyLabel";

function inLocale(locale: Locale) {
  overwriteGetLocale(() => locale);
}

afterEach(() => inLocale("en"));

describe("keyLabel", () => {
  // Rust's `Provider::key_label` for each provider kind.
  const rust = [
    "Anthropic API key",
    "apimart API key",
    "API key for the local gateway",
    "API key for gateway.example.test",
  ];

  it("keeps Rust's English labels word for word in English", () => {
    for (const label of rust) expect(keyLabel(label)).toBe(label);
  });

  it("says every provider kind in Chinese, keeping the names", () => {
    inLocale("zh-CN");
    expect(rust.map(keyLabel)).toEqual([
      "Anthropic API 密钥",
      "apimart API 密钥",
      "本地网关的 API 密钥",
      "gateway.example.test 的 API 密钥",
    ]);
  });

  it("falls back to a plain label without a key view, and shows unknown text as it came", () => {
    expect(keyLabel(null)).toBe("API key");
    inLocale("zh-CN");
    expect(keyLabel(undefined)).toBe("API 密钥");
    expect(keyLabel("Some other label")).toBe("Some other label");
  });
});

describe("keyPlaceholder", () => {
  it("translates Rust's words but not a key's shape", () => {
    inLocale("zh-CN");
    expect(keyPlaceholder("Paste the key")).toBe("粘贴密钥");
    expect(keyPlaceholder("sk-ant-…")).toBe("sk-ant-…");
  });
});
