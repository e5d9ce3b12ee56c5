import { afterEach, describe, expect, it } from "vitest";
import type { KeyProvider } from "./bindings";
import { overwriteGetLocale, type Locale } from "../paraglide/runtime";
import { keyLabel, keyPlaceholder } from "./keyLabel";

function inLocale(locale: Locale) {
  overwriteGetLocale(() => locale);
}

afterEach(() => inLocale("en"));

describe("keyLabel", () => {
  // Every kind of `KeyProvider` Rust sends.
  const providers: KeyProvider[] = [
    { kind: "anthropic" },
    { kind: "apimart" },
    { kind: "local" },
    { kind: "host", host: "gateway.example.test" },
  ];

  it("names every provider kind in English", () => {
    expect(providers.map(keyLabel)).toEqual([
      "Anthropic API key",
      "apimart API key",
      "API key for the local gateway",
      "API key for gateway.example.test",
    ]);
  });

  it("names every provider kind in Chinese, keeping the names", () => {
    inLocale("zh-CN");
    expect(providers.map(keyLabel)).toEqual([
      "Anthropic API 密钥",
      "apimart API 密钥",
      "本地网关的 API 密钥",
      "gateway.example.test 的 API 密钥",
    ]);
  });

  it("falls back to a plain label without a key view", () => {
    expect(keyLabel(null)).toBe("API key");
    inLocale("zh-CN");
    expect(keyLabel(undefined)).toBe("API 密钥");
  });

  it("shows a key's usual shape where the provider has one, else asks for it in words", () => {
    expect(providers.map(keyPlaceholder)).toEqual([
      "sk-ant-…",
      "sk-…",
      "Paste the key",
      "Paste the key",
    ]);
    inLocale("zh-CN");
    expect(keyPlaceholder({ kind: "local" })).not.toBe("Paste the key");
  });
});
