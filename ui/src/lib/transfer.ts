/**
 * What the UI says about exports and imports: pure text from the reports, so it is unit-tested
 * without a backend.
 */
import type { ExportReport, ImportReport, TransferProgress } from "./bindings";

const conversations = (n: number) => `${n} conversation${n === 1 ? "" : "s"}`;

/** The result toast of an export: "Exported 12 conversations", with where to as the detail. */
export function exportSummary(report: ExportReport): { title: string; detail: string } {
  return { title: `Exported ${conversations(report.conversations)}`, detail: `to ${report.path}` };
}

const presetCount = (n: number) => `${n} preset${n === 1 ? "" : "s"}`;

/**
 * The result toast of an import, e.g. "Imported 3, skipped 2 already present", naming the
 * presets the file added too.
 */
export function importSummary(report: ImportReport): string {
  const { imported, skipped } = report;
  const presets = report.presets ?? 0;
  const andPresets = presets > 0 ? ` and ${presetCount(presets)}` : "";
  if (imported > 0 && skipped > 0)
    return `Imported ${imported}${andPresets}, skipped ${skipped} already present`;
  if (imported > 0) return `Imported ${conversations(imported)}${andPresets}`;
  if (presets > 0) {
    const present = skipped > 0 ? `; ${conversations(skipped)} already present` : "";
    return `Imported ${presetCount(presets)}${present}`;
  }
  if (skipped > 0) return `Nothing new: ${conversations(skipped)} already present`;
  return "The file holds no conversations";
}

export type TransferKind = "export" | "import";

/**
 * The progress line: exports count conversations ("3 of 12"), imports count bytes of the file,
 * shown as a percentage.
 */
export function progressLabel(kind: TransferKind, progress: TransferProgress): string {
  const { done, total } = progress;
  if (kind === "export") return `Exporting… ${done} of ${total}`;
  const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
  return `Importing… ${percent}%`;
}
