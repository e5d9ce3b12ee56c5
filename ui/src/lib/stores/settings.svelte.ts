import * as backend from "../backend";
import type { ErrorPayload, KeyStatus } from "../bindings";
import type { Settings, SettingsView } from "../bindings";

/** Settings as the backend reports them, plus the key of the saved base URL's origin. */
class SettingsStore {
  view = $state<SettingsView | null>(null);
  loadError = $state<ErrorPayload | null>(null);

  /** The key status of the saved base URL's origin (the one replies are sent to). */
  keyStatus: KeyStatus | null = $derived(this.view?.key.status ?? null);
  /** The origin (scheme, host, port) Rust sends replies' requests to; shown, never called. */
  keyOrigin: string = $derived(this.view?.key.origin ?? "");
  keyLabel: string = $derived(this.view?.key.label ?? "API key");
  models: string[] = $derived(this.view?.models ?? []);
  defaultModel: string = $derived(this.view?.settings.defaultModel ?? "");

  async load(): Promise<void> {
    try {
      this.view = await backend.getSettings();
      this.loadError = null;
    } catch (e) {
      this.loadError = e as ErrorPayload;
    }
  }

  /** Saves and adopts the normalised settings the backend returns; rejects with its error. */
  async save(settings: Settings): Promise<void> {
    this.view = await backend.saveSettings(settings);
  }

  /**
   * Reloads what depends on the keychain (the saved origin's status and the list of origins)
   * after a key was stored or removed, without touching the settings form.
   */
  async refreshKeys(): Promise<void> {
    const fresh = await backend.getSettings();
    if (this.view) {
      this.view.key = fresh.key;
      this.view.keyOrigins = fresh.keyOrigins;
    } else {
      this.view = fresh;
    }
  }
}

export const settings = new SettingsStore();
