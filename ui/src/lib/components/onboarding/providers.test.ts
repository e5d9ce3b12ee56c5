import { describe, expect, it } from "vitest";
import type { BaseUrlPreset } from "../../bindings";
import { originOf, providerChoices } from "./providers";

const PRESETS: BaseUrlPreset[] = [
  { provider: "apimart", label: "apimart gateway", url: "https://gateway.example.test" },
  { provider: "anthropic", label: "Anthropic", url: "https://anthropic.example.test" },
];

describe("providerChoices", () => {
  it("offers Anthropic then the gateway, preselecting the saved base URL's provider", () => {
    const { choices, selected } = providerChoices(PRESETS, "https://gateway.example.test");
    expect(choices.map((c) => c.id)).toEqual(["anthropic", "apimart"]);
    expect(selected).toBe("apimart");
    expect(providerChoices(PRESETS, "https://anthropic.example.test/v1/").selected).toBe(
      "anthropic",
    );
  });

  it("knows a preset by the provider the backend names, not by its label or URL", () => {
    const presets: BaseUrlPreset[] = [
      { provider: "apimart", label: "Primary", url: "https://primary.example.test" },
      { provider: "anthropic", label: "Secondary", url: "https://secondary.example.test" },
    ];
    const { choices, selected } = providerChoices(presets, "https://secondary.example.test");
    expect(choices.map((c) => [c.id, c.origin])).toEqual([
      ["anthropic", "https://secondary.example.test"],
      ["apimart", "https://primary.example.test"],
    ]);
    expect(selected).toBe("anthropic");
  });

  it("keeps a base URL that is neither provider as its own choice, so it is not lost", () => {
    const { choices, selected } = providerChoices(PRESETS, "http://127.0.0.1:8080");
    expect(selected).toBe("custom");
    expect(choices.at(-1)).toEqual({
      id: "custom",
      url: "http://127.0.0.1:8080",
      origin: "http://127.0.0.1:8080",
    });
  });

  it("reads no origin from what is not a URL", () => {
    expect(originOf("not a url")).toBe("");
  });
});
