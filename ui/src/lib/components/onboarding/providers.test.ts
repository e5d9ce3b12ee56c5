import { describe, expect, it } from "vitest";
import { originOf, providerChoices } from "./providers";

const PRESETS = [
  { label: "apimart gateway", url: "https://api.apimart.ai" },
  { label: "Anthropic", url: "https://api.anthropic.com" },
];

describe("providerChoices", () => {
  it("offers Anthropic then the gateway, preselecting the saved base URL's provider", () => {
    const { choices, selected } = providerChoices(PRESETS, "https://api.apimart.ai");
    expect(choices.map((c) => c.id)).toEqual(["anthropic", "apimart"]);
    expect(selected).toBe("apimart");
    expect(providerChoices(PRESETS, "https://api.anthropic.com/v1/").selected).toBe("anthropic");
  });

  it("recognises a preset by its label when its URL names no provider", () => {
    const presets = [
      { label: "apimart gateway", url: "https://primary.example.test" },
      { label: "Anthropic", url: "https://secondary.example.test" },
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
