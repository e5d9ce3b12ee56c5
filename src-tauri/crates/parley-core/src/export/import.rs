//! Importing a JSON export, with memory bounded whatever the file holds.
//!
//! The file is read twice, as a stream, on a blocking thread; nothing of it is held beyond the
//! part being read (see `meter.rs` for how each part is capped while it is read):
//!
//! 1. **Check.** Every conversation is parsed, checked on its own (ids, message tree,
//!    attachments) and dropped; every image is decoded, checked against its SHA-256 and put,
//!    with its thumbnail, into a staging folder inside the image store. Nothing is written to
//!    the database, so a broken file is refused without the write lock ever being taken.
//! 2. **Insert.** The file is read again (images skipped) into one transaction, one
//!    conversation at a time; the database itself checks what spans conversations (an id used
//!    twice). The staged images that the added conversations use are moved into the image
//!    store, then the transaction commits.
//!
//! On any failure the transaction rolls back and the staging folder goes with everything in
//! it: a refused file writes nothing. The write lock is held only for the second pass, which
//! does no image work. Only a failure of the commit itself, after the images were moved, leaves
//! image files that nothing uses; the start-up clean-up removes those.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use parley_store::{Import, Store, StoreError};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use super::json::{ConversationEntry, FolderEntry, PresetEntry, is_sha256};
use super::meter::{Allowance, Metered, Part, TooLarge};
use super::{
    EXPORT_FORMAT, EXPORT_VERSION, ImportReport, ProgressSink, TransferProgress, display_name,
};
use crate::app::Parley;
use crate::error::{CoreError, CoreResult};

/// The largest file Parley imports: 8 GiB. Memory does not depend on the file's size (each part
/// is capped below), so this bounds only time and disk: reading 8 GiB twice takes minutes. An
/// export is about 4/3 of its images, so this is ~6 GiB of images, thousands of the API's
/// largest; a larger library can be exported in several files.
pub const MAX_IMPORT_FILE_BYTES: u64 = 8 << 30;
/// The largest image entry: 7 MiB of base64. Parley stores no image whose base64 exceeds the
/// API's 5 MiB (`parley_images::MAX_BASE64_LEN`); the rest is room for other writers.
pub const MAX_IMPORT_IMAGE_BYTES: u64 = 7 << 20;
/// The largest conversation: 32 MiB of JSON. A branch holds at most one context window (1M
/// tokens is ~4 MB of text); this leaves room for many branches and long tool results.
pub const MAX_IMPORT_CONVERSATION_BYTES: u64 = 32 << 20;
/// The largest folder entry (an id, a name, two times).
const MAX_FOLDER_BYTES: u64 = 64 << 10;
/// The most presets a file may carry: far more than anyone keeps in a menu, few enough that
/// checking them costs nothing.
pub const MAX_IMPORT_PRESETS: u64 = 1_000;
/// The largest preset entry: 64 KiB holds a long system prompt (some 16,000 tokens) with
/// room to spare; presets are small, and a larger one is not a preset Parley wrote.
pub const MAX_IMPORT_PRESET_BYTES: u64 = 64 << 10;
/// The largest key or short value at the top level, and an image's key.
const MAX_KEY_BYTES: u64 = 1 << 10;
/// What an image entry may hold besides its data: `{"mediaType":"image/png","data":""}`.
const IMAGE_ENTRY_SLACK: u64 = 1 << 10;

pub(super) async fn import(
    parley: &Parley,
    path: &Path,
    progress: Arc<dyn ProgressSink>,
) -> CoreResult<ImportReport> {
    let name = display_name(path);
    let job = Job {
        runtime: Handle::current(),
        store: parley.store.clone(),
        images_dir: parley.images.dir().to_owned(),
        path: path.to_owned(),
        name: name.clone(),
    };
    tokio::task::spawn_blocking(move || job.run(progress.as_ref()))
        .await
        .map_err(|error| CoreError::Internal(format!("the import of {name} failed: {error}")))?
}

/// An import, run on a blocking thread: the parser is synchronous, so the database calls of
/// the second pass are made from it with `Handle::block_on` (the thread is not a runtime
/// worker, so this blocks only itself).
struct Job {
    runtime: Handle,
    store: Store,
    images_dir: PathBuf,
    path: PathBuf,
    name: String,
}

impl Job {
    fn run(&self, progress: &dyn ProgressSink) -> CoreResult<ImportReport> {
        let identity = self.identity()?;
        let total = identity.0;
        let staging = Staging::create(&self.images_dir)
            .map_err(|error| CoreError::Internal(format!("the image folder: {error}")))?;

        self.read(Pass::Check(&staging), progress, 0, total)?;

        // The second pass must read what the first one checked.
        if self.identity()? != identity {
            return Err(CoreError::InvalidInput(format!(
                "{} changed while it was being imported; nothing was imported",
                self.name
            )));
        }
        let mut import = self.runtime.block_on(self.store.begin_import())?;
        let inserted = self
            .read(
                Pass::Insert(&mut import, &self.runtime),
                progress,
                total,
                total,
            )
            .and_then(|()| {
                staging.keep(|sha256| Ok(self.runtime.block_on(import.adds_image(sha256))?))
            });
        let images = match inserted {
            Ok(images) => images,
            Err(error) => {
                if let Err(rollback) = self.runtime.block_on(import.rollback()) {
                    tracing::warn!(%rollback, "could not roll back a refused import");
                }
                return Err(error);
            }
        };
        let outcome = self.runtime.block_on(import.commit())?;
        progress.progress(TransferProgress { done: total, total });
        Ok(ImportReport {
            imported: count(outcome.imported),
            skipped: count(outcome.skipped),
            messages: count(outcome.messages),
            images,
            presets: count(outcome.presets),
        })
    }

    /// The file's size and modification time; refuses a file above [`MAX_IMPORT_FILE_BYTES`].
    fn identity(&self) -> CoreResult<(u64, Option<SystemTime>)> {
        let name = &self.name;
        let metadata = std::fs::metadata(&self.path)
            .map_err(|error| CoreError::InvalidInput(format!("Could not open {name}: {error}")))?;
        if metadata.len() > MAX_IMPORT_FILE_BYTES {
            return Err(file_too_large(name, Some(metadata.len())));
        }
        Ok((metadata.len(), metadata.modified().ok()))
    }

    /// Reads the whole file once, doing what `pass` says with each part.
    fn read(
        &self,
        pass: Pass<'_>,
        progress: &dyn ProgressSink,
        offset: u64,
        total: u64,
    ) -> CoreResult<()> {
        let name = &self.name;
        let file = std::fs::File::open(&self.path)
            .map_err(|error| CoreError::InvalidInput(format!("Could not open {name}: {error}")))?;
        let mut buffered = BufReader::with_capacity(1 << 16, file);
        // A Parley export is a JSON object whose first key is "format": anything else is
        // refused at once with a plain message, not a JSON error from deep inside another file.
        let first = buffered
            .fill_buf()
            .map_err(|error| CoreError::InvalidInput(format!("Could not read {name}: {error}")))?
            .iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace());
        match first {
            None => return Err(CoreError::InvalidInput(format!("{name} is empty"))),
            Some(b'{') => {}
            Some(_) => return Err(not_parley(name)),
        }

        let allowance = Allowance::new(MAX_IMPORT_FILE_BYTES);
        allowance.next(Part::Header, MAX_KEY_BYTES);
        let reader = Metered::new(buffered, Rc::clone(&allowance), progress, offset, total);
        let mut reading = Reading {
            name: name.clone(),
            allowance: Rc::clone(&allowance),
            pass,
            problem: None,
        };
        let mut deserializer = serde_json::Deserializer::from_reader(reader);
        let result = DocumentSeed {
            reading: &mut reading,
        }
        .deserialize(&mut deserializer)
        .and_then(|()| {
            allowance.unlimited();
            deserializer.end()
        });
        match result {
            Ok(()) => Ok(()),
            Err(error) => {
                Err(reading
                    .problem
                    .take()
                    .unwrap_or_else(|| match allowance.exceeded() {
                        Some(too_large) => part_too_large(name, &too_large),
                        None => json_error(name, &error),
                    }))
            }
        }
    }
}

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn not_valid(name: &str, problem: &str) -> CoreError {
    CoreError::InvalidInput(format!("{name} is not a valid Parley export: {problem}"))
}

fn not_parley(name: &str) -> CoreError {
    CoreError::InvalidInput(format!(
        "{name} is not a Parley export (it does not start with \"format\": \"{EXPORT_FORMAT}\")"
    ))
}

/// Bytes as the UI shows sizes: whole KB (KiB) below a MB, whole MB (MiB), or GB with a
/// decimal.
fn megabytes(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{} KB", bytes.div_ceil(1 << 10))
    } else if bytes >= 1 << 30 {
        format!("{:.1} GB", bytes as f64 / f64::from(1u32 << 30))
    } else {
        format!("{} MB", bytes.div_ceil(1 << 20))
    }
}

fn file_too_large(name: &str, len: Option<u64>) -> CoreError {
    let size = len.map_or_else(String::new, |len| format!(" ({})", megabytes(len)));
    CoreError::InvalidInput(format!(
        "{name} is too large to import{size}: Parley imports files of at most {}. Export fewer \
         conversations per file.",
        megabytes(MAX_IMPORT_FILE_BYTES)
    ))
}

/// The message for a part of the file that went over its allowance.
fn part_too_large(name: &str, too_large: &TooLarge) -> CoreError {
    let max = megabytes(too_large.max_bytes);
    match &too_large.part {
        Part::File => file_too_large(name, None),
        // The allowance has room for the entry's other fields; the limit is the data's.
        Part::Image(..) => CoreError::InvalidInput(format!(
            "{name} is not a valid Parley export: {} is larger than {} (Parley's images are \
             at most 5 MB); nothing was imported",
            too_large.part,
            megabytes(MAX_IMPORT_IMAGE_BYTES)
        )),
        part => CoreError::InvalidInput(format!(
            "{name} is not a valid Parley export: {part} is larger than {max}, more than Parley \
             imports; nothing was imported"
        )),
    }
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

/// What a reading of the file does with each part.
enum Pass<'a> {
    /// Checks every part and stages the images; writes nothing to the database.
    Check(&'a Staging),
    /// Adds conversations and folders to the import; images were staged by the check.
    Insert(&'a mut Import, &'a Handle),
}

/// One reading of the file: what the visitors share.
struct Reading<'a> {
    name: String,
    allowance: Rc<Allowance>,
    pass: Pass<'a>,
    /// The specific reason a visitor refused the file; serde only carries text.
    problem: Option<CoreError>,
}

impl Reading<'_> {
    /// Records why the file is refused and returns the error that stops the parser.
    fn refuse<E: serde::de::Error>(&mut self, problem: CoreError) -> E {
        self.problem = Some(problem);
        E::custom("refused")
    }

    /// A store error while adding: a contradiction in the file, or the database's failure.
    fn store_error<E: serde::de::Error>(&mut self, error: StoreError) -> E {
        let problem = match error {
            StoreError::Invalid(problem) => not_valid(&self.name, &problem),
            other => other.into(),
        };
        self.refuse(problem)
    }
}

struct DocumentSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a Parley export")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reading = self.reading;
        let name = reading.name.clone();
        if map.next_key::<String>()?.as_deref() != Some("format")
            || map.next_value::<String>()? != EXPORT_FORMAT
        {
            return Err(reading.refuse(not_parley(&name)));
        }
        reading.allowance.next(Part::Header, MAX_KEY_BYTES);
        if map.next_key::<String>()?.as_deref() != Some("version") {
            return Err(reading.refuse(CoreError::InvalidInput(format!(
                "{name} has no format version after \"format\"; it was not written by Parley"
            ))));
        }
        let version: u64 = map.next_value()?;
        if version > EXPORT_VERSION {
            return Err(reading.refuse(CoreError::InvalidInput(format!(
                "{name} was written by a newer Parley (export format version {version}); this \
                 version reads version {EXPORT_VERSION}. Update Parley to import it."
            ))));
        }
        if version == 0 {
            return Err(reading.refuse(CoreError::InvalidInput(format!(
                "{name} has an unknown format version 0"
            ))));
        }
        let mut conversations = false;
        loop {
            reading.allowance.next(Part::Header, MAX_KEY_BYTES);
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            match key.as_str() {
                "conversations" => {
                    map.next_value_seed(ConversationsSeed {
                        reading: &mut *reading,
                    })?;
                    conversations = true;
                }
                "folders" => map.next_value_seed(FoldersSeed {
                    reading: &mut *reading,
                })?,
                // Version 2 on; a version 1 file has none.
                "presets" => map.next_value_seed(PresetsSeed {
                    reading: &mut *reading,
                })?,
                "images" => map.next_value_seed(ImagesSeed {
                    reading: &mut *reading,
                })?,
                // Fields a later 1.x writer may add: readable files stay readable. Skipping
                // holds nothing, so only the file's own limit applies.
                _ => {
                    reading.allowance.unlimited();
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !conversations {
            return Err(reading.refuse(CoreError::InvalidInput(format!(
                "{name} has no \"conversations\""
            ))));
        }
        Ok(())
    }
}

/// The `conversations` array, one conversation at a time.
struct ConversationsSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for ConversationsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ConversationsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of conversations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let reading = self.reading;
        for index in 1.. {
            reading
                .allowance
                .next(Part::Conversation(index), MAX_IMPORT_CONVERSATION_BYTES);
            let Some(entry) = seq.next_element::<ConversationEntry>()? else {
                break;
            };
            let bundle = match entry.into_bundle() {
                Ok(bundle) => bundle,
                Err(problem) => return Err(reading.refuse(not_valid(&reading.name, &problem))),
            };
            let added = match &mut reading.pass {
                Pass::Check(_) => bundle.check(),
                Pass::Insert(import, runtime) => runtime
                    .block_on(import.add_conversation(&bundle))
                    .map(|_| ()),
            };
            if let Err(error) = added {
                return Err(reading.store_error(error));
            }
        }
        Ok(())
    }
}

/// The `folders` array, one folder at a time.
struct FoldersSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for FoldersSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FoldersSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of folders")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let reading = self.reading;
        for index in 1.. {
            reading
                .allowance
                .next(Part::Folder(index), MAX_FOLDER_BYTES);
            let Some(folder) = seq.next_element::<FolderEntry>()? else {
                break;
            };
            if let Pass::Insert(import, runtime) = &mut reading.pass {
                let folder = parley_store::Folder {
                    id: folder.id,
                    name: folder.name,
                    created_at: folder.created_at,
                    updated_at: folder.updated_at,
                };
                if let Err(error) = runtime.block_on(import.add_folder(&folder)) {
                    return Err(reading.store_error(error));
                }
            }
        }
        Ok(())
    }
}

/// The `presets` array, one preset at a time, at most [`MAX_IMPORT_PRESETS`].
struct PresetsSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for PresetsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PresetsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of presets")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let reading = self.reading;
        for index in 1.. {
            reading
                .allowance
                .next(Part::Preset(index), MAX_IMPORT_PRESET_BYTES);
            let Some(entry) = seq.next_element::<PresetEntry>()? else {
                break;
            };
            if index > MAX_IMPORT_PRESETS {
                let problem = format!(
                    "it has more than {MAX_IMPORT_PRESETS} presets, more than Parley imports; \
                     nothing was imported"
                );
                return Err(reading.refuse(not_valid(&reading.name, &problem)));
            }
            let preset = match entry.into_stored() {
                Ok(preset) => preset,
                Err(problem) => return Err(reading.refuse(not_valid(&reading.name, &problem))),
            };
            if let Pass::Insert(import, runtime) = &mut reading.pass
                && let Err(error) = runtime.block_on(import.add_preset(&preset))
            {
                return Err(reading.store_error(error));
            }
        }
        Ok(())
    }
}

/// One embedded image. `mediaType` is informational: the bytes' own signature decides.
#[derive(Deserialize)]
struct ImageEntry {
    data: String,
}

/// The `images` map of SHA-256 to image, one image at a time.
struct ImagesSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for ImagesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ImagesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a map of SHA-256 to image")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reading = self.reading;
        let name = reading.name.clone();
        for index in 1.. {
            reading.allowance.next(Part::ImageKey(index), MAX_KEY_BYTES);
            let Some(sha256) = map.next_key::<String>()? else {
                break;
            };
            if !is_sha256(&sha256) {
                let shown: String = sha256.chars().take(70).collect();
                return Err(reading.refuse(not_valid(
                    &name,
                    &format!("the image key {shown:?} is not a SHA-256"),
                )));
            }
            let short = &sha256[..12];
            reading.allowance.next(
                Part::Image(index, short.to_owned()),
                MAX_IMPORT_IMAGE_BYTES + IMAGE_ENTRY_SLACK,
            );
            let staging = match &reading.pass {
                Pass::Check(staging) => *staging,
                // Checked and staged by the first pass.
                Pass::Insert(..) => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let entry: ImageEntry = map.next_value()?;
            let Ok(bytes) = BASE64.decode(entry.data.as_bytes()) else {
                return Err(reading.refuse(CoreError::InvalidInput(format!(
                    "{name} is damaged: the data of image {short}… is not valid base64"
                ))));
            };
            drop(entry);
            if hex_sha256(&bytes) != sha256 {
                return Err(reading.refuse(CoreError::InvalidInput(format!(
                    "{name} is damaged: image {short}… does not match its SHA-256"
                ))));
            }
            if let Err(problem) = staging.stage(&sha256, &bytes) {
                return Err(reading.refuse(CoreError::InvalidInput(format!(
                    "{name}: image {short}… {problem}"
                ))));
            }
        }
        Ok(())
    }
}

/// A folder inside the image store (same file system, so files move by renaming) that holds
/// the images an import checked until the rows that use them are written. It and whatever is
/// left in it are removed when it is dropped.
///
/// For each image the file carries it holds `<sha256>.carried` (empty), and `<sha256>` and
/// `<sha256>.thumb` when the image store lacks them: the folder is the import's memory of
/// images, so that costs nothing however many the file has.
struct Staging {
    dir: PathBuf,
    images_dir: PathBuf,
}

const CARRIED: &str = ".carried";

impl Staging {
    fn create(images_dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(images_dir)?;
        let dir = images_dir.join(format!(
            "{}{:016x}",
            crate::images::IMPORT_STAGING_PREFIX,
            rand::random::<u64>()
        ));
        std::fs::create_dir(&dir)?;
        Ok(Self {
            dir,
            images_dir: images_dir.to_owned(),
        })
    }

    /// Stages verified image bytes with a thumbnail, unless the image store has them.
    fn stage(&self, sha256: &str, bytes: &[u8]) -> Result<(), String> {
        if parley_images::MediaType::sniff(bytes).is_none() {
            return Err("is not an image Parley can show".into());
        }
        let stored = |e: std::io::Error| format!("could not be stored: {e}");
        let carried = self.dir.join(format!("{sha256}{CARRIED}"));
        if carried.exists() {
            // The same key twice: its bytes matched the hash, so they are the same image.
            return Ok(());
        }
        let thumbnail = format!("{sha256}.thumb");
        if !self.images_dir.join(&thumbnail).exists() {
            // Stored images were prepared by parley-images already; preparing again at full
            // resolution keeps them as they are and yields the same thumbnail as the first time.
            let options = parley_images::EncodeOptions {
                full_resolution: true,
            };
            let prepared = parley_images::prepare(bytes, &options)
                .map_err(|error| format!("is damaged: {error}"))?;
            write_new(&self.dir.join(&thumbnail), &prepared.thumbnail.bytes).map_err(stored)?;
        }
        if !self.images_dir.join(sha256).exists() {
            write_new(&self.dir.join(sha256), bytes).map_err(stored)?;
        }
        write_new(&carried, &[]).map_err(stored)
    }

    /// Moves into the image store the staged images that `adds_image` says the import uses;
    /// returns how many images the file carried that the import uses.
    fn keep(&self, mut adds_image: impl FnMut(&str) -> CoreResult<bool>) -> CoreResult<u32> {
        let io = |error: std::io::Error| CoreError::Internal(format!("the image folder: {error}"));
        let mut kept = 0u32;
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let file_name = entry.map_err(io)?.file_name();
            let Some(sha256) = file_name
                .to_str()
                .and_then(|name| name.strip_suffix(CARRIED))
                .filter(|sha256| is_sha256(sha256))
            else {
                continue;
            };
            if !adds_image(sha256)? {
                continue;
            }
            for name in [sha256.to_owned(), format!("{sha256}.thumb")] {
                let (staged, target) = (self.dir.join(&name), self.images_dir.join(&name));
                // Content-addressed: a file already there has these bytes; it is left alone.
                if staged.exists() && !target.exists() {
                    std::fs::rename(&staged, &target).map_err(io)?;
                }
            }
            kept = kept.saturating_add(1);
        }
        Ok(kept)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(%error, dir = %self.dir.display(), "could not remove an import's staging folder");
        }
    }
}

/// Writes a new file and flushes it to disk before the database can refer to it.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
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
