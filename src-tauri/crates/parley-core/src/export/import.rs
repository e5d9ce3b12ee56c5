//! Importing a JSON export.
//!
//! The file is parsed as a stream on a blocking thread: conversations are collected (text
//! only), while each embedded image is decoded, checked against its SHA-256, written into the
//! image store and dropped before the next one is read, so memory holds one image at a time
//! however large the file. Only when the whole file has been read and checked are the rows
//! inserted, in one transaction. On any failure the image files this import added are removed
//! again and the database is untouched.

use std::collections::HashSet;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use super::json::{ConversationEntry, FolderEntry, is_sha256};
use super::{
    EXPORT_FORMAT, EXPORT_VERSION, ImportReport, ProgressSink, TransferProgress, display_name,
};
use crate::app::Parley;
use crate::error::{CoreError, CoreResult};

/// Progress is reported every this many bytes read.
const PROGRESS_STEP: u64 = 1 << 20;

pub(super) async fn import(
    parley: &Parley,
    path: &Path,
    progress: Arc<dyn ProgressSink>,
) -> CoreResult<ImportReport> {
    let name = display_name(path);
    let images_dir = parley.images.dir().to_owned();
    let file = path.to_owned();
    let parse_progress = Arc::clone(&progress);
    let parsed =
        tokio::task::spawn_blocking(move || parse_file(&file, images_dir, parse_progress.as_ref()))
            .await
            .map_err(|error| {
                CoreError::Internal(format!("the import of {name} failed: {error}"))
            })??;

    let mut bundles = Vec::with_capacity(parsed.conversations.len());
    for entry in parsed.conversations {
        match entry.into_bundle() {
            Ok(bundle) => bundles.push(bundle),
            Err(problem) => {
                remove_files(&parsed.written).await;
                return Err(not_valid(&name, &problem));
            }
        }
    }
    let folders: Vec<parley_store::Folder> = parsed
        .folders
        .into_iter()
        .map(|f| parley_store::Folder {
            id: f.id,
            name: f.name,
            created_at: f.created_at,
            updated_at: f.updated_at,
        })
        .collect();
    let outcome = match parley.store.import_conversations(&folders, &bundles).await {
        Ok(outcome) => outcome,
        Err(error) => {
            remove_files(&parsed.written).await;
            return Err(match error {
                parley_store::StoreError::Invalid(problem) => not_valid(&name, &problem),
                other => other.into(),
            });
        }
    };
    progress.progress(TransferProgress {
        done: parsed.total_bytes,
        total: parsed.total_bytes,
    });

    let imported: HashSet<&str> = outcome.imported.iter().map(String::as_str).collect();
    let images: HashSet<&str> = bundles
        .iter()
        .filter(|b| imported.contains(b.conversation.id.as_str()))
        .flat_map(|b| &b.attachments)
        .map(|a| a.sha256.as_str())
        .filter(|sha256| parsed.images.contains(*sha256))
        .collect();
    Ok(ImportReport {
        imported: count(outcome.imported.len()),
        skipped: count(outcome.skipped.len()),
        messages: u32::try_from(outcome.messages).unwrap_or(u32::MAX),
        images: count(images.len()),
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn not_valid(name: &str, problem: &str) -> CoreError {
    CoreError::InvalidInput(format!("{name} is not a valid Parley export: {problem}"))
}

/// The file as read, images already in the image store.
struct Parsed {
    folders: Vec<FolderEntry>,
    conversations: Vec<ConversationEntry>,
    /// Hashes of the images the file carried (all verified).
    images: HashSet<String>,
    /// Files this import created in the image store, to remove if it fails.
    written: Vec<PathBuf>,
    total_bytes: u64,
}

/// What the parse needs beside the JSON: where images go and what was done so far.
struct ImportState {
    name: String,
    images_dir: PathBuf,
    images: HashSet<String>,
    written: Vec<PathBuf>,
    /// The specific reason a visitor refused the file; serde only carries text.
    problem: Option<CoreError>,
}

impl ImportState {
    /// Records why the file is refused and returns the error that stops the parser.
    fn refuse<E: serde::de::Error>(&mut self, message: String) -> E {
        self.problem = Some(CoreError::InvalidInput(message));
        E::custom("refused")
    }
}

fn parse_file(path: &Path, images_dir: PathBuf, progress: &dyn ProgressSink) -> CoreResult<Parsed> {
    let name = display_name(path);
    let file = std::fs::File::open(path)
        .map_err(|error| CoreError::InvalidInput(format!("Could not open {name}: {error}")))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(
        1 << 20,
        Counting {
            inner: file,
            read: 0,
            reported: 0,
            total,
            progress,
        },
    );
    // A Parley export is a JSON object whose first key is "format": anything else is refused
    // at once with a plain message, not a JSON error from deep inside another file.
    let first = reader
        .fill_buf()
        .map_err(|error| CoreError::InvalidInput(format!("Could not read {name}: {error}")))?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(CoreError::InvalidInput(format!("{name} is empty"))),
        Some(b'{') => {}
        Some(_) => return Err(not_parley(&name)),
    }

    let mut state = ImportState {
        name: name.clone(),
        images_dir,
        images: HashSet::new(),
        written: Vec::new(),
        problem: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = DocumentSeed { state: &mut state }
        .deserialize(&mut deserializer)
        .and_then(|document| deserializer.end().map(|()| document));
    match result {
        Ok(document) => Ok(Parsed {
            folders: document.folders,
            conversations: document.conversations,
            images: state.images,
            written: state.written,
            total_bytes: total,
        }),
        Err(error) => {
            for path in &state.written {
                let _ = std::fs::remove_file(path);
            }
            Err(state
                .problem
                .take()
                .unwrap_or_else(|| json_error(&name, &error)))
        }
    }
}

fn not_parley(name: &str) -> CoreError {
    CoreError::InvalidInput(format!(
        "{name} is not a Parley export (it does not start with \"format\": \"{EXPORT_FORMAT}\")"
    ))
}

/// A parse error as the user reads it: what is wrong and where.
fn json_error(name: &str, error: &serde_json::Error) -> CoreError {
    use serde_json::error::Category;
    let text = error.to_string();
    let detail = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(detail, _)| detail);
    let (line, column) = (error.line(), error.column());
    CoreError::InvalidInput(match error.classify() {
        Category::Io => format!("Could not read {name}: {detail}"),
        Category::Eof => format!(
            "{name} ends too early (line {line}): the export is incomplete; was the file copied \
             completely?"
        ),
        Category::Syntax => {
            format!("{name} is damaged: bad JSON at line {line}, column {column} ({detail})")
        }
        Category::Data => {
            format!("{name} is not a valid Parley export: {detail} at line {line}, column {column}")
        }
    })
}

async fn remove_files(paths: &[PathBuf]) {
    for path in paths {
        if let Err(error) = tokio::fs::remove_file(path).await {
            tracing::warn!(%error, path = %path.display(), "could not remove an imported image");
        }
    }
}

/// Reports bytes read as progress.
struct Counting<'a, R> {
    inner: R,
    read: u64,
    reported: u64,
    total: u64,
    progress: &'a dyn ProgressSink,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read - self.reported >= PROGRESS_STEP {
            self.reported = self.read;
            self.progress.progress(TransferProgress {
                done: self.read.min(self.total),
                total: self.total,
            });
        }
        Ok(n)
    }
}

struct Document {
    folders: Vec<FolderEntry>,
    conversations: Vec<ConversationEntry>,
}

struct DocumentSeed<'a> {
    state: &'a mut ImportState,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = Document;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Document, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a Parley export")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let state = self.state;
        let name = state.name.clone();
        if map.next_key::<String>()?.as_deref() != Some("format")
            || map.next_value::<String>()? != EXPORT_FORMAT
        {
            return Err(state.refuse(not_parley(&name).to_string()));
        }
        if map.next_key::<String>()?.as_deref() != Some("version") {
            return Err(state.refuse(format!(
                "{name} has no format version after \"format\"; it was not written by Parley"
            )));
        }
        let version: u64 = map.next_value()?;
        if version > EXPORT_VERSION {
            return Err(state.refuse(format!(
                "{name} was written by a newer Parley (export format version {version}); this \
                 version reads version {EXPORT_VERSION}. Update Parley to import it."
            )));
        }
        if version == 0 {
            return Err(state.refuse(format!("{name} has an unknown format version 0")));
        }
        let mut folders = Vec::new();
        let mut conversations = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "conversations" => conversations = Some(map.next_value()?),
                "folders" => folders = map.next_value()?,
                "images" => map.next_value_seed(ImagesSeed { state: &mut *state })?,
                // Fields a later 1.x writer may add: readable files stay readable.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(conversations) = conversations else {
            return Err(state.refuse(format!("{name} has no \"conversations\"")));
        };
        Ok(Document {
            folders,
            conversations,
        })
    }
}

/// One embedded image. `mediaType` is informational: the bytes' own signature decides.
#[derive(Deserialize)]
struct ImageEntry {
    data: String,
}

struct ImagesSeed<'a> {
    state: &'a mut ImportState,
}

impl<'de> DeserializeSeed<'de> for ImagesSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ImagesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a map of SHA-256 to image")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(sha256) = map.next_key::<String>()? {
            let name = state.name.clone();
            if !is_sha256(&sha256) {
                let shown: String = sha256.chars().take(70).collect();
                return Err(state.refuse(format!(
                    "{name} is not a valid Parley export: the image key {shown:?} is not a \
                     SHA-256"
                )));
            }
            let short = &sha256[..12];
            let entry: ImageEntry = map.next_value()?;
            let Ok(bytes) = BASE64.decode(entry.data.as_bytes()) else {
                return Err(state.refuse(format!(
                    "{name} is damaged: the data of image {short}… is not valid base64"
                )));
            };
            drop(entry);
            if hex_sha256(&bytes) != sha256 {
                return Err(state.refuse(format!(
                    "{name} is damaged: image {short}… does not match its SHA-256"
                )));
            }
            if let Err(problem) = store_image(state, &sha256, &bytes) {
                return Err(state.refuse(format!("{name}: image {short}… {problem}")));
            }
            state.images.insert(sha256);
        }
        Ok(())
    }
}

/// Puts verified image bytes into the image store with a thumbnail, unless already there.
fn store_image(state: &mut ImportState, sha256: &str, bytes: &[u8]) -> Result<(), String> {
    if parley_images::MediaType::sniff(bytes).is_none() {
        return Err("is not an image Parley can show".into());
    }
    std::fs::create_dir_all(&state.images_dir)
        .map_err(|error| format!("could not be stored: {error}"))?;
    let image = state.images_dir.join(sha256);
    let thumbnail = state.images_dir.join(format!("{sha256}.thumb"));
    if !thumbnail.exists() {
        // Stored images were prepared by parley-images already; preparing again at full
        // resolution keeps them as they are and yields the same thumbnail as the first time.
        let options = parley_images::EncodeOptions {
            full_resolution: true,
        };
        let prepared = parley_images::prepare(bytes, &options)
            .map_err(|error| format!("is damaged: {error}"))?;
        write_new(&thumbnail, &prepared.thumbnail.bytes)
            .map_err(|error| format!("could not be stored: {error}"))?;
        state.written.push(thumbnail);
    }
    if !image.exists() {
        write_new(&image, bytes).map_err(|error| format!("could not be stored: {error}"))?;
        state.written.push(image);
    }
    Ok(())
}

/// Writes a file through a temporary name and a rename, as the image store does.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("{:016x}.tmp", rand::random::<u64>()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}
