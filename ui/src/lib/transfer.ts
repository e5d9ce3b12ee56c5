/**
 * What the UI says about exports and imports: pure text from the reports, so it is unit-tested
 * without a backend.
 */
import type { ExportReport, ImportReport, TransferProgress } from "./bindings";
import { m } from "../paraglide/messages";
import { formatCount } from "./format";

/** Inputs of a counted message: `count` picks the plural form, `n` is what is shown. */
const counted = (count: number) => ({ count, n: formatCount(count) });
const conversations = (count: number) => m.app_conversations_count(counted(count));
const presetCount = (count: number) => m.app_presets_count(counted(count));

/** The result toast of an export: "Exported 12 conversations", with where to as the detail. */
export function exportSummary(report: ExportReport): { title: string; detail: string } {
  return {
    title: m.app_exported(counted(report.conversations)),
    detail: m.app_exported_to({ path: report.path }),
  };
}

/**
 * The result toast of an import, e.g. "Imported 3, skipped 2 already present", naming the
 * presets the file added too.
 */
export function importSummary(report: ImportReport): string {
  const { imported, skipped } = report;
  const presets = report.presets ?? 0;
  if (imported > 0 && skipped > 0) {
    const counts = { imported: formatCount(imported), skipped: formatCount(skipped) };
    return presets > 0
      ? m.app_imported_presets_skipped({ ...counts, presets: presetCount(presets) })
      : m.app_imported_skipped(counts);
  }
  if (imported > 0) {
    return presets > 0
      ? m.app_imported_with_presets({
          conversations: conversations(imported),
          presets: presetCount(presets),
        })
      : m.app_imported({ conversations: conversations(imported) });
  }
  if (presets > 0) {
    return skipped > 0
      ? m.app_imported_presets_present({
          presets: presetCount(presets),
          conversations: conversations(skipped),
        })
      : m.app_imported_presets({ presets: presetCount(presets) });
  }
  if (skipped > 0) return m.app_import_nothing_new({ conversations: conversations(skipped) });
  return m.app_import_empty();
}

export type TransferKind = "export" | "import";

/**
 * The progress line: exports count conversations ("3 of 12"), imports count bytes of the file,
 * shown as a percentage.
 */
export function progressLabel(kind: TransferKind, progress: TransferProgress): string {
  const { done, total } = progress;
  if (kind === "export") {
    return m.app_exporting({ done: formatCount(done), total: formatCount(total) });
  }
  const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
  return m.app_importing({ percent: formatCount(percent) });
}
