//! Export and import of conversations.
//!
//! - **JSON** (`json.rs`, `import.rs`): one self-contained, versioned, lossless file: every
//!   column of every conversation, every message of every branch with its blocks exactly as
//!   stored, attachment rows, folders, the presets (when everything is exported), and the
//!   image files embedded as base64. Written as a stream, one conversation at a time, to a
//!   temporary file renamed at the end, so a failed export leaves no half file. Importing it
//!   back recreates the same rows with the same ids; conversations and presets that already
//!   exist are skipped, so a second import adds nothing.
//! - **Markdown** (`markdown.rs`): one readable `.md` per conversation (its visible branch),
//!   images saved beside it in `<name>-images/` and linked relatively.
//!
//! Neither contains the API key: settings are not exported at all, and the key lives only in
//! the keychain (or the environment), never in the database or the image folder that exports
//! are made from.
//!
//! The functions are path-based; the native dialogs are the Tauri layer's business.

mod import;
mod json;
mod markdown;
mod meter;

pub use import::{
    MAX_IMPORT_CONVERSATION_BYTES, MAX_IMPORT_FILE_BYTES, MAX_IMPORT_IMAGE_BYTES,
    MAX_IMPORT_PRESET_BYTES, MAX_IMPORT_PRESETS,
};
pub use json::MAX_IMPORT_MESSAGES;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use ts_rs::TS;

use crate::app::Parley;
use crate::error::{CoreError, CoreResult};

/// The `format` of a JSON export: the first thing in the file.
pub const EXPORT_FORMAT: &str = "parley.export";
/// The version of the JSON export this Parley writes and the newest it reads. Version 2 added
/// each message's `prefill` and the `presets`; version 1 files still import (without either).
pub const EXPORT_VERSION: u64 = 2;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    /// One lossless file, importable.
    Json,
    /// Readable `.md` files, one per conversation; not importable.
    Markdown,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportReport {
    /// The file written, or the folder the Markdown files were written into.
    pub path: String,
    pub conversations: u32,
    /// Messages written: every branch for JSON, the visible branch for Markdown.
    pub messages: u32,
    /// Image files embedded (JSON) or saved beside the Markdown.
    pub images: u32,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Conversations added.
    pub imported: u32,
    /// Conversations left out because they are already here (same id).
    pub skipped: u32,
    /// Messages added.
    pub messages: u32,
    /// Images of the added conversations that the file carried.
    pub images: u32,
    /// Presets added (those already here, by id, are left as they are).
    pub presets: u32,
}

/// Progress of a long export or import. The unit is the operation's: conversations for an
/// export, bytes of the file for an import; the UI shows `done / total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferProgress {
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
}

/// Where progress goes. Reporting never blocks and never fails the operation.
pub trait ProgressSink: Send + Sync + 'static {
    fn progress(&self, progress: TransferProgress);
}

/// A sink for callers that show no progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn progress(&self, _: TransferProgress) {}
}

/// Whether an export goes to one file (chosen with a save dialog) or into a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTarget {
    /// A save dialog, proposing this file name.
    File { suggested_name: String },
    /// A folder dialog: several conversations as Markdown, one file each.
    Folder,
}

impl Parley {
    /// Where an export of `ids` (`None`: everything) in `format` goes, and the file name to
    /// propose: the conversation's title for one, `parley-export-<date>` for several.
    pub async fn export_target(
        &self,
        ids: Option<&[String]>,
        format: ExportFormat,
    ) -> CoreResult<ExportTarget> {
        // Refuse an empty choice before any dialog is shown.
        self.export_ids(ids).await?;
        let single = match ids {
            Some([id]) => Some(self.store.get_conversation(id).await?.title),
            _ => None,
        };
        let extension = format.extension();
        Ok(match (single, format) {
            (Some(title), _) => ExportTarget::File {
                suggested_name: format!("{}.{extension}", safe_file_stem(&title)),
            },
            (None, ExportFormat::Json) => ExportTarget::File {
                suggested_name: format!("parley-export-{}.json", utc_date(now_ms())),
            },
            (None, ExportFormat::Markdown) => ExportTarget::Folder,
        })
    }

    /// Exports `ids` (`None`: every conversation not in the trash) to `path`: the JSON file,
    /// the Markdown file of a single conversation, or the folder that receives one Markdown
    /// file per conversation (see [`Parley::export_target`]). The JSON export of everything
    /// carries the presets too; an export of chosen conversations does not.
    pub async fn export_to_path(
        &self,
        ids: Option<&[String]>,
        format: ExportFormat,
        path: &Path,
        progress: Arc<dyn ProgressSink>,
    ) -> CoreResult<ExportReport> {
        let presets = match ids {
            None => json::Presets::All,
            Some(_) => json::Presets::None,
        };
        let ids = self.export_ids(ids).await?;
        match (format, ids.as_slice()) {
            (ExportFormat::Json, _) => {
                json::export(self, &ids, presets, path, progress.as_ref()).await
            }
            (ExportFormat::Markdown, [id]) => markdown::export_file(self, id, path).await,
            (ExportFormat::Markdown, _) => {
                markdown::export_folder(self, &ids, path, progress.as_ref()).await
            }
        }
    }

    /// Imports a JSON export: adds its conversations (with their folders and images) and its
    /// presets that are not here yet, all or nothing; an imported preset becomes the default
    /// only when there is none here. A file that is not a Parley export, is newer than this
    /// version reads, is damaged, carries an image whose bytes do not match its hash, or has a
    /// part larger than Parley imports (the file above [`MAX_IMPORT_FILE_BYTES`], an image
    /// above [`MAX_IMPORT_IMAGE_BYTES`], a conversation above
    /// [`MAX_IMPORT_CONVERSATION_BYTES`], a preset above [`MAX_IMPORT_PRESET_BYTES`], more than
    /// [`MAX_IMPORT_PRESETS`] presets) is refused with `invalid_input` and a message saying
    /// what is wrong; nothing is written. Memory stays bounded by those limits, not by the
    /// file's size.
    pub async fn import_from_path(
        &self,
        path: &Path,
        progress: Arc<dyn ProgressSink>,
    ) -> CoreResult<ImportReport> {
        import::import(self, path, progress).await
    }

    /// The conversations to export, in order, without repeats; an empty choice is refused.
    async fn export_ids(&self, ids: Option<&[String]>) -> CoreResult<Vec<String>> {
        let ids = match ids {
            Some(ids) => {
                let mut seen = std::collections::HashSet::new();
                ids.iter()
                    .filter(|id| seen.insert(id.as_str()))
                    .cloned()
                    .collect()
            }
            None => self.store.exportable_conversation_ids().await?,
        };
        if ids.is_empty() {
            return Err(CoreError::InvalidInput(
                "There are no conversations to export".into(),
            ));
        }
        Ok(ids)
    }
}

impl ExportFormat {
    /// The file extension of a single-file export, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Markdown => "md",
        }
    }

    /// `path` with this format's extension added when it has none (save dialogs on Linux do
    /// not add it when the user types a bare name).
    pub fn with_extension(self, path: PathBuf) -> PathBuf {
        if path.extension().is_some() {
            path
        } else {
            path.with_extension(self.extension())
        }
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The civil (proleptic Gregorian) date of a day count since 1970-01-01, after Howard
/// Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` (UTC) of a time in milliseconds since the epoch.
fn utc_date(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DD HH:MM UTC` of a time in milliseconds since the epoch.
fn utc_date_time(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(ms),
        minutes / 60,
        minutes % 60
    )
}

/// The longest file stem made from a title.
const MAX_STEM_CHARS: usize = 80;

/// Whether `c` is a Unicode format character (general category Cf, Unicode 15.1): invisible
/// characters that change how text around them is shown. In a file name, a right-to-left
/// override (U+202E) makes `report\u{202E}gpj.exe` show as `reportexe.jpg`; zero-width ones
/// make two names look the same.
fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// A file name stem from a conversation title that is safe on Linux, macOS and Windows: no
/// path separators or reserved characters, no control or format characters (bidirectional
/// overrides, zero-width characters), no leading or trailing dots
/// or spaces, not a reserved DOS device name, at most [`MAX_STEM_CHARS`] characters, never
/// empty.
pub fn safe_file_stem(title: &str) -> String {
    let replaced: String = title
        .chars()
        .filter(|&c| !is_format_char(c))
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    let capped: String = collapsed.chars().take(MAX_STEM_CHARS).collect();
    let trimmed = capped.trim_matches(|c: char| c == '.' || c == ' ');
    if trimmed.is_empty() {
        return "Conversation".into();
    }
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    let base = trimmed.split('.').next().unwrap_or_default();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(base)) {
        return format!("{trimmed}_");
    }
    trimmed.to_owned()
}

/// A temporary file beside `path` for writing it atomically (same folder, so the final rename
/// never crosses file systems).
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.{:016x}.part", rand::random::<u64>()))
}

/// Writes `bytes` to `path` through a temporary file and a rename: readers never see a half
/// file under `path`. The file is private to the user (see [`create_private`]).
async fn write_atomically(path: &Path, bytes: &[u8]) -> CoreResult<()> {
    let temporary = temporary_beside(path);
    let written = async {
        let mut file = create_private(&temporary).await?;
        file.write_all(bytes).await?;
        file.flush().await?;
        drop(file);
        tokio::fs::rename(&temporary, path).await
    }
    .await;
    if let Err(error) = written {
        let _ = tokio::fs::remove_file(&temporary).await;
        return Err(file_error("write", path, &error));
    }
    Ok(())
}

/// Creates a new file (never an existing one) that only the user can read and write (`0600` on
/// Unix): an export holds every conversation, and the folder it goes to may be shared.
async fn create_private(path: &Path) -> std::io::Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).await
}

/// An I/O failure on a file the user chose, naming it and the system's reason.
fn file_error(action: &str, path: &Path, error: &std::io::Error) -> CoreError {
    CoreError::Internal(format!("Could not {action} {}: {error}", path.display()))
}

/// The file's name for messages (not the whole path).
fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
        assert_eq!(utc_date(1_764_633_599_999), "2025-12-01");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert_eq!(utc_date_time(1_764_590_580_000), "2025-12-01 12:03 UTC");
    }

    #[test]
    fn a_bare_file_name_gets_the_format_extension() {
        let json = ExportFormat::Json;
        assert_eq!(
            json.with_extension("/tmp/all".into()),
            PathBuf::from("/tmp/all.json")
        );
        assert_eq!(
            json.with_extension("/tmp/all.txt".into()),
            PathBuf::from("/tmp/all.txt")
        );
        assert_eq!(
            ExportFormat::Markdown.with_extension("/tmp/Trip".into()),
            PathBuf::from("/tmp/Trip.md")
        );
    }

    #[test]
    fn file_stems_are_safe_everywhere() {
        assert_eq!(safe_file_stem("Trip to Lisbon"), "Trip to Lisbon");
        assert_eq!(
            safe_file_stem("a/b\\c:d*e?f\"g<h>i|j"),
            "a-b-c-d-e-f-g-h-i-j"
        );
        assert_eq!(safe_file_stem("  ..hidden.. "), "hidden");
        assert_eq!(safe_file_stem("line\nbreak\ttab"), "line break tab");
        assert_eq!(safe_file_stem("..."), "Conversation");
        assert_eq!(safe_file_stem(""), "Conversation");
        assert_eq!(safe_file_stem("con"), "con_");
        assert_eq!(safe_file_stem("LPT1.txt"), "LPT1.txt_");
        assert_eq!(safe_file_stem("中文标题"), "中文标题");
        assert_eq!(
            safe_file_stem("report\u{202E}gpj.exe"),
            "reportgpj.exe",
            "a right-to-left override would show this as reportexe.jpg"
        );
        assert_eq!(
            safe_file_stem("\u{2066}a\u{200B}b\u{FEFF}\u{2069}\u{E0041}"),
            "ab",
            "isolates, zero-width characters, byte order marks and tags are invisible"
        );
        assert_eq!(safe_file_stem("\u{202E}\u{200F}"), "Conversation");
        assert_eq!(
            safe_file_stem(&"x".repeat(300)).chars().count(),
            MAX_STEM_CHARS
        );
    }
}
