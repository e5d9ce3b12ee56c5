import * as backend from "../backend";
import type { Preset, PresetDraft } from "../bindings";

const byName = (a: Preset, b: Preset) => a.name.localeCompare(b.name);

/** Named sets of model, system prompt and parameters; the default one starts new conversations. */
class PresetStore {
  list = $state<Preset[]>([]);
  loaded = $state(false);

  defaultPreset: Preset | null = $derived(this.list.find((p) => p.isDefault) ?? null);

  /** Loads the presets; a backend that cannot list them leaves the list empty. */
  async load(): Promise<void> {
    try {
      this.list = (await backend.listPresets()).sort(byName);
    } catch {
      // Presets are a convenience: without them every new conversation starts from settings.
    } finally {
      this.loaded = true;
    }
  }

  byId(id: string | null): Preset | null {
    return id === null ? null : (this.list.find((p) => p.id === id) ?? null);
  }

  /** Creates or replaces a preset; rejects with the backend's error. */
  async save(draft: PresetDraft): Promise<Preset> {
    const saved = await backend.savePreset(draft);
    this.list = [...this.list.filter((p) => p.id !== saved.id), saved].sort(byName);
    return saved;
  }

  async remove(id: string): Promise<void> {
    this.list = (await backend.deletePreset(id)).sort(byName);
  }

  /** Makes `id` the default (`null`: none). */
  async setDefault(id: string | null): Promise<void> {
    this.list = (await backend.setDefaultPreset(id)).sort(byName);
  }
}

export const presets = new PresetStore();
