import type { KeyProvider } from "./bindings";
import { m } from "../paraglide/messages";

/**
 * The key field's label in the UI language, naming whom the key is for. Rust says only who
 * that is (`KeyProvider`); the words come from the catalog.
 */
export function keyLabel(provider: KeyProvider | null | undefined): string {
  switch (provider?.kind) {
    case undefined:
      return m.settings_key_label_fallback();
    case "anthropic":
      return m.settings_key_label_provider({ provider: "Anthropic" });
    case "apimart":
      return m.settings_key_label_provider({ provider: "apimart" });
    case "local":
      return m.settings_key_label_local();
    case "host":
      return m.settings_key_label_host({ host: provider.host });
  }
}

/** The key field's placeholder: the usual shape of the provider's keys, where it has one. */
export function keyPlaceholder(provider: KeyProvider | null | undefined): string {
  switch (provider?.kind) {
    case "anthropic":
      return "sk-ant-…";
    case "apimart":
      return "sk-…";
    default:
      return m.settings_key_placeholder_paste();
  }
}
