/**
 * Export and import: one at a time, with progress while the Rust side works and a toast with the
 * result (or the error's message). The native dialogs are shown by Rust; a cancelled dialog ends
 * the operation quietly.
 */
import { m } from "../../paraglide/messages";
import * as backend from "../backend";
import type { ErrorPayload, ExportFormat, TransferProgress } from "../bindings";
import { exportSummary, importSummary, type TransferKind } from "../transfer";
import { conversations } from "./conversations.svelte";
import { presets } from "./presets.svelte";
import { toasts } from "./toasts.svelte";

type Running = { kind: TransferKind; progress: TransferProgress | null };

/** Numbers each operation, so a late progress report of a finished one is dropped. */
let sequence = 0;

class TransferStore {
  /** The operation in progress; `progress` stays null until Rust reports any. */
  running = $state<Running | null>(null);

  get busy(): boolean {
    return this.running !== null;
  }

  /** Exports `ids` (`null`: every conversation not in the trash). */
  async exportConversations(ids: string[] | null, format: ExportFormat): Promise<void> {
    if (this.running) return;
    const current = ++sequence;
    this.running = { kind: "export", progress: null };
    try {
      const report = await backend.exportConversations(ids, format, (progress) => {
        if (this.running && current === sequence) this.running.progress = progress;
      });
      if (report) {
        const { title, detail } = exportSummary(report);
        toasts.show("info", title, detail, { durationMs: 6_000 });
      }
    } catch (error) {
      toasts.error(m.app_export_failed(), (error as ErrorPayload).message);
    } finally {
      this.running = null;
    }
  }

  /** Imports a Parley JSON export; the sidebar reloads afterwards. */
  async importConversations(): Promise<void> {
    if (this.running) return;
    const current = ++sequence;
    this.running = { kind: "import", progress: null };
    try {
      const report = await backend.importConversations((progress) => {
        if (this.running && current === sequence) this.running.progress = progress;
      });
      if (report) {
        toasts.show("info", importSummary(report), null, { durationMs: 6_000 });
        await Promise.all([conversations.refresh(), report.presets > 0 ? presets.load() : null]);
      }
    } catch (error) {
      toasts.error(m.app_import_failed(), (error as ErrorPayload).message);
    } finally {
      this.running = null;
    }
  }
}

export const transfer = new TransferStore();
