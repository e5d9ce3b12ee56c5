import * as backend from "../backend";
import type { ErrorPayload, KeyStatus, ModelInfo, RequestParams } from "../bindings";
import type { Settings, SettingsView } from "../bindings";
import { keyLabel } from "../keyLabel";
import { emptyParams, paramContext, type ParamContext } from "../params";

/** Settings as the backend reports them, plus the key of the saved base URL's origin. */
class SettingsStore {
  view = $state<SettingsView | null>(null);
  loadError = $state<ErrorPayload | null>(null);

  /** The key status of the saved base URL's origin (the one replies are sent to). */
  keyStatus: KeyStatus | null = $derived(this.view?.key.status ?? null);
  /** The origin (scheme, host, port) Rust sends replies' requests to; shown, never called. */
  keyOrigin: string = $derived(this.view?.key.origin ?? "");
  /** The key field's label in the UI language, e.g. "Anthropic API key". */
  keyLabel: string = $derived(keyLabel(this.view?.key.provider));
  /** The models for the pickers: the endpoint's `/v1/models`, else the built-in list. */
  models: ModelInfo[] = $derived(this.view?.models ?? []);
  defaultModel: string = $derived(this.view?.settings.defaultModel ?? "");
  defaultMaxTokens: number = $derived(this.view?.settings.defaultMaxTokens ?? 4096);
  /** What a new conversation starts with when no default preset says otherwise. */
  defaultParams: RequestParams = $derived(this.view?.settings.defaultParams ?? emptyParams());

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

  /** How parameters are checked for `model`: its output limit and thinking support. */
  contextFor(model: string, defaultMaxTokens = this.defaultMaxTokens): ParamContext {
    return paramContext(this.models, model, defaultMaxTokens);
  }

  /**
   * Fetches the endpoint's model list (`force`: even when recent) and adopts it, leaving the
   * rest of the view (and any settings form being edited) alone; rejects with the error.
   */
  async refreshModels(force: boolean): Promise<void> {
    const fresh = await backend.refreshModels(force);
    if (this.view) {
      this.view.models = fresh.models;
      this.view.modelsFetchedAt = fresh.modelsFetchedAt;
      this.view.capabilities = fresh.capabilities;
    } else {
      this.view = fresh;
    }
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
