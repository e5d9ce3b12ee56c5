import { m } from "../paraglide/messages";

/**
 * The key field's label and placeholder in the UI language. Rust names the provider in English
 * (`parley-claude/src/origin.rs`, `Provider::key_label` and `key_placeholder`) and `KeyView`
 * carries only that text, so its four shapes are read back here and said again from the
 * catalog; English comes out word for word as Rust wrote it. Anything else is shown as it came.
 */
export function keyLabel(label: string | null | undefined): string {
  if (!label) return m.settings_key_label_fallback();
  if (label === "API key for the local gateway") return m.settings_key_label_local();
  const host = /^API key for (\S+)$/.exec(label);
  if (host) return m.settings_key_label_host({ host: host[1]! });
  const provider = /^(\S+) API key$/.exec(label);
  if (provider) return m.settings_key_label_provider({ provider: provider[1]! });
  return label;
}

/** The key field's placeholder: a key's shape ("sk-ant-…") stays, Rust's words are translated. */
export function keyPlaceholder(placeholder: string): string {
  return placeholder === "Paste the key" ? m.settings_key_placeholder_paste() : placeholder;
}
