import type { BaseUrlPreset, Provider } from "../../bindings";

/** The providers the first-start card offers; `custom` is the saved base URL when no preset fits. */
export type ProviderId = Provider | "custom";

export type ProviderChoice = { id: ProviderId; url: string; origin: string };

/** `scheme://host[:port]` of a URL, or "" when it cannot be read. */
export function originOf(url: string): string {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return "";
  }
}

/**
 * The choices of the first-start card: Anthropic and the gateway from the backend's presets (in
 * that order), plus the saved base URL as its own choice when it is neither (a URL set through
 * the environment or in Settings stays usable). `selected` is the choice the saved base URL is.
 */
export function providerChoices(
  presets: BaseUrlPreset[],
  baseUrl: string,
): { choices: ProviderChoice[]; selected: ProviderId } {
  const choices: ProviderChoice[] = [];
  for (const id of ["anthropic", "apimart"] as const) {
    const preset = presets.find((p) => p.provider === id);
    if (preset) choices.push({ id, url: preset.url, origin: originOf(preset.url) });
  }
  const current = originOf(baseUrl);
  const match = choices.find((c) => c.origin === current);
  if (match) return { choices, selected: match.id };
  choices.push({ id: "custom", url: baseUrl, origin: current });
  return { choices, selected: "custom" };
}
