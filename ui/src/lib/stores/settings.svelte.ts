import * as backend from "../backend";
import type { ErrorPayload, KeyStatus } from "../bindings";
import type { Settings, SettingsView } from "../bindings";

/** Settings as the backend reports them, plus where the API key comes from. */
class SettingsStore {
  view = $state<SettingsView | null>(null);
  loadError = $state<ErrorPayload | null>(null);

  keyStatus: KeyStatus | null = $derived(this.view?.keyStatus ?? null);
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

  async setKey(key: string): Promise<void> {
    const status = await backend.setApiKey(key);
    if (this.view) this.view.keyStatus = status;
  }

  async clearKey(): Promise<void> {
    const status = await backend.clearApiKey();
    if (this.view) this.view.keyStatus = status;
  }
}

export const settings = new SettingsStore();
