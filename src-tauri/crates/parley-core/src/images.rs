//! Images the user attaches.
//!
//! [`parley_images`] decodes, orients, strips and encodes them on blocking threads (a few at a
//! time, so a folder of photos cannot starve the async runtime or the memory). The result is kept
//! content-addressed under `<data dir>/images/<sha256>` (plus `<sha256>.thumb`) from the moment it
//! is prepared, so the webview only ever holds a hash and a small thumbnail.
//!
//! Stored messages refer to an image by the internal URL `parley-attachment:<sha256>` inside an
//! ordinary `url` image block; [`ImageStore::resolve_request_images`] swaps in the base64 data
//! when a request is built, so that URL never leaves the app. The `attachments` table records
//! which message uses which hash; files no message uses are removed when a conversation is
//! deleted and at start-up.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use parley_claude::{ContentBlock, ImageSource, Message, MessageContent};
use parley_images::{EncodeOptions, ImageError, PreparedImage};
use parley_store::{Attachment, NewAttachment, Store};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult, ErrorKind};

/// How stored messages refer to an image file of the image store.
pub const ATTACHMENT_URL_PREFIX: &str = "parley-attachment:";
/// The API's limit per request.
pub const MAX_IMAGES_PER_REQUEST: usize = 100;
/// Parley's limit per message (the composer's too).
pub const MAX_IMAGES_PER_MESSAGE: usize = 20;
/// The folder of the data directory that holds image files.
pub const IMAGES_FOLDER: &str = "images";

/// An image ready to send, already in the image store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImageDraft {
    /// Hex SHA-256 of the encoded bytes: the image's id from now on.
    pub sha256: String,
    pub media_type: String,
    /// As sent.
    pub width: u32,
    pub height: u32,
    /// As the file had it, after EXIF orientation.
    pub original_width: u32,
    pub original_height: u32,
    /// Encoded bytes; the base64 sent is about 4/3 of this.
    pub byte_len: u32,
    /// `width * height / 750`, rounded up.
    pub estimated_tokens: u32,
    /// The file name, for display.
    pub name: String,
    /// A `data:` URL of a small preview.
    pub thumbnail: String,
}

/// An image in the composer, in the order the user arranged them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ComposerImage {
    /// An image prepared into the image store.
    Stored { sha256: String },
    /// An `https://` image the API downloads itself.
    Url { url: String },
}

/// Whether the images of a message come before or after its text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ImagePlacement {
    #[default]
    BeforeText,
    AfterText,
}

/// Which file of a stored image to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ImageVariant {
    Thumbnail,
    Full,
}

/// The content-addressed image files, and the bound on how many images are encoded at once.
#[derive(Clone)]
pub struct ImageStore {
    dir: PathBuf,
    encoding_slots: Arc<Semaphore>,
}

impl ImageStore {
    /// Image files live in `dir`, created when the first image is saved.
    pub fn new(dir: PathBuf) -> Self {
        // Decoding a 24 MP photo takes ~100 MB; a few at a time keeps memory bounded while
        // still using the cores.
        let parallel = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(1, 4);
        Self {
            dir,
            encoding_slots: Arc::new(Semaphore::new(parallel)),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Prepares the image file at `path` and stores the result. Errors name the file.
    ///
    /// Anything but a regular file (a FIFO, `/dev/zero`, a folder) is refused from its metadata
    /// before an encoding slot is taken, so it can neither block a slot nor be read.
    pub async fn prepare_file(
        &self,
        path: PathBuf,
        options: EncodeOptions,
    ) -> CoreResult<ImageDraft> {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let checked = path.clone();
        tokio::task::spawn_blocking(move || parley_images::check_regular_file(&checked))
            .await
            .map_err(|error| CoreError::Internal(format!("image task for {name}: {error}")))?
            .map_err(|error| image_error(&name, &error))?;
        self.prepare_with(name, move || parley_images::prepare_file(&path, &options))
            .await
    }

    /// Prepares an image given as bytes (a paste) and stores the result. More than
    /// [`parley_images::MAX_IN_MEMORY_BYTES`] is refused at once; callers that copy the bytes
    /// out of somewhere check [`parley_images::check_input_len`] before copying.
    pub async fn prepare_bytes(
        &self,
        bytes: Vec<u8>,
        name: String,
        options: EncodeOptions,
    ) -> CoreResult<ImageDraft> {
        check_pasted_len(&name, bytes.len())?;
        self.prepare_with(name, move || parley_images::prepare(&bytes, &options))
            .await
    }

    async fn prepare_with(
        &self,
        name: String,
        prepare: impl FnOnce() -> Result<PreparedImage, ImageError> + Send + 'static,
    ) -> CoreResult<ImageDraft> {
        let _slot = self
            .encoding_slots
            .acquire()
            .await
            .map_err(|_| CoreError::Internal("image encoder closed".into()))?;
        let dir = self.dir.clone();
        let task_name = name.clone();
        tokio::task::spawn_blocking(move || {
            let prepared = prepare().map_err(|error| image_error(&task_name, &error))?;
            save_prepared(&dir, &prepared).map_err(|error| {
                CoreError::Internal(format!("could not store {task_name}: {error}"))
            })?;
            Ok(draft_of(&prepared, task_name))
        })
        .await
        .map_err(|error| CoreError::Internal(format!("image task for {name}: {error}")))?
    }

    /// A stored image (or its thumbnail) as a `data:` URL for the webview.
    pub async fn data_url(&self, sha256: &str, variant: ImageVariant) -> CoreResult<String> {
        let path = match variant {
            ImageVariant::Full => self.image_path(sha256)?,
            ImageVariant::Thumbnail => self.thumbnail_path(sha256)?,
        };
        let bytes = read_stored(&path, sha256).await?;
        let media_type = sniff_media_type(&bytes).ok_or_else(|| missing(sha256))?;
        Ok(format!(
            "data:{media_type};base64,{}",
            BASE64.encode(&bytes)
        ))
    }

    /// What the `attachments` row of a stored image holds; checks the file is there.
    pub async fn attachment_for(&self, position: usize, sha256: &str) -> CoreResult<NewAttachment> {
        let path = self.image_path(sha256)?;
        let bytes = read_stored(&path, sha256).await?;
        let media_type = sniff_media_type(&bytes).ok_or_else(|| missing(sha256))?;
        let (width, height) = image::ImageReader::new(std::io::Cursor::new(&bytes))
            .with_guessed_format()
            .ok()
            .and_then(|reader| reader.into_dimensions().ok())
            .map_or((None, None), |(w, h)| {
                (Some(i64::from(w)), Some(i64::from(h)))
            });
        Ok(NewAttachment {
            position: i64::try_from(position).unwrap_or(i64::MAX),
            sha256: sha256.to_owned(),
            media_type: media_type.to_owned(),
            width,
            height,
            byte_len: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            blob_path: Some(format!("{IMAGES_FOLDER}/{sha256}")),
        })
    }

    /// Replaces every `parley-attachment:` image of `messages` by its base64 data, and refuses
    /// requests with more images than the API accepts.
    pub async fn resolve_request_images(&self, messages: &mut [Message]) -> CoreResult<()> {
        let total = messages
            .iter()
            .flat_map(|message| blocks_of(&message.content))
            .filter(|block| matches!(block, ContentBlock::Image { .. }))
            .count();
        if total > MAX_IMAGES_PER_REQUEST {
            return Err(CoreError::Image {
                kind: ErrorKind::ImageTooMany,
                message: format!(
                    "This conversation holds {total} images; the API accepts at most \
                     {MAX_IMAGES_PER_REQUEST} per request. Start a new conversation to send more."
                ),
            });
        }
        for message in messages.iter_mut() {
            let MessageContent::Blocks(blocks) = &mut message.content else {
                continue;
            };
            for block in blocks.iter_mut() {
                let ContentBlock::Image { source } = block else {
                    continue;
                };
                let ImageSource::Url { url } = source else {
                    continue;
                };
                let Some(sha256) = url.strip_prefix(ATTACHMENT_URL_PREFIX) else {
                    continue;
                };
                let path = self.image_path(sha256)?;
                let bytes = read_stored(&path, sha256).await?;
                let media_type = sniff_media_type(&bytes).ok_or_else(|| missing(sha256))?;
                *source = ImageSource::Base64 {
                    media_type: media_type.to_owned(),
                    data: BASE64.encode(&bytes),
                };
            }
        }
        Ok(())
    }

    /// Removes the files of `hashes` (images nothing uses any more). Failures are logged only:
    /// a leftover file costs disk space, never data.
    pub async fn remove(&self, hashes: &[String]) {
        for sha256 in hashes {
            for path in [self.image_path(sha256), self.thumbnail_path(sha256)]
                .into_iter()
                .flatten()
            {
                if let Err(error) = tokio::fs::remove_file(&path).await
                    && error.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(%error, path = %path.display(), "could not remove an image file");
                }
            }
        }
    }

    /// Removes every image file no message refers to: images prepared but never sent, what an
    /// interrupted delete left behind, and the staging folder of an import that a crash ended
    /// (no import runs at start-up: the data folder's lock keeps other processes out). Run at
    /// start-up, before the UI can prepare new ones.
    pub async fn collect_garbage(&self, store: &Store) -> CoreResult<usize> {
        let referenced: HashSet<String> = store.referenced_attachment_hashes().await?;
        let mut entries = match tokio::fs::read_dir(&self.dir).await {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(CoreError::Internal(format!("image folder: {error}"))),
        };
        let mut unused = Vec::new();
        while let Ok(Some(entry)) = entries.next_entry().await {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let sha256 = file_name.strip_suffix(".thumb").unwrap_or(&file_name);
            if is_sha256(sha256) && !referenced.contains(sha256) {
                unused.push(sha256.to_owned());
            } else if file_name.ends_with(".tmp") {
                let _ = tokio::fs::remove_file(entry.path()).await;
            } else if file_name.starts_with(IMPORT_STAGING_PREFIX)
                && entry.file_type().await.is_ok_and(|kind| kind.is_dir())
                && let Err(error) = tokio::fs::remove_dir_all(entry.path()).await
            {
                tracing::warn!(%error, "could not remove an interrupted import's staging folder");
            }
        }
        unused.sort();
        unused.dedup();
        self.remove(&unused).await;
        Ok(unused.len())
    }

    fn image_path(&self, sha256: &str) -> CoreResult<PathBuf> {
        checked_hash(sha256)?;
        Ok(self.dir.join(sha256))
    }

    fn thumbnail_path(&self, sha256: &str) -> CoreResult<PathBuf> {
        checked_hash(sha256)?;
        Ok(self.dir.join(format!("{sha256}.thumb")))
    }
}

/// The name prefix of an import's staging folder inside the image folder (see `export::import`).
pub(crate) const IMPORT_STAGING_PREFIX: &str = ".import-";

/// Refuses pasted image data named `name` of `len` bytes when it is over
/// [`parley_images::MAX_IN_MEMORY_BYTES`]: what holds the data (an IPC body, the clipboard)
/// checks this before copying it.
pub fn check_pasted_len(name: &str, len: usize) -> CoreResult<()> {
    parley_images::check_input_len(len as u64).map_err(|error| image_error(name, &error))
}

/// The image files the user has handed to Parley: paths chosen in the native open dialog or
/// dropped on the window by the OS. The webview can name any path, so `prepare_image_file`
/// reads only these: a script in the webview cannot make Parley read (and send) other files.
/// Paths are compared exactly as the dialog or the drop event gave them.
#[derive(Debug, Default)]
pub struct GrantedPaths {
    paths: Mutex<HashSet<PathBuf>>,
}

impl GrantedPaths {
    /// Grants `paths`, from the dialog or a drop.
    pub fn grant(&self, paths: impl IntoIterator<Item = PathBuf>) {
        let mut granted = self
            .paths
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        granted.extend(paths);
    }

    /// Refuses a path the user did not pick or drop, as invalid input.
    pub fn check(&self, path: &Path) -> CoreResult<()> {
        let granted = self
            .paths
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if granted.contains(path) {
            Ok(())
        } else {
            Err(CoreError::InvalidInput(format!(
                "{} was not chosen in the file dialog or dropped on the window, so Parley does \
                 not read it",
                path.display()
            )))
        }
    }
}

/// The stored blocks of a message the user composed: text and images in the chosen order, with
/// stored images as `parley-attachment:` URLs. Checks the count and each `url` image.
pub fn composer_blocks(
    text: &str,
    images: &[ComposerImage],
    placement: ImagePlacement,
) -> CoreResult<Vec<ContentBlock>> {
    if images.len() > MAX_IMAGES_PER_MESSAGE {
        return Err(CoreError::Image {
            kind: ErrorKind::ImageTooMany,
            message: format!(
                "A message can hold at most {MAX_IMAGES_PER_MESSAGE} images; this one has {}.",
                images.len()
            ),
        });
    }
    let mut image_blocks = Vec::with_capacity(images.len());
    for image in images {
        let url = match image {
            ComposerImage::Stored { sha256 } => {
                checked_hash(sha256)?;
                format!("{ATTACHMENT_URL_PREFIX}{sha256}")
            }
            ComposerImage::Url { url } => checked_image_url(url)?,
        };
        image_blocks.push(ContentBlock::Image {
            source: ImageSource::Url { url },
        });
    }
    let text_block = (!text.trim().is_empty()).then(|| ContentBlock::text(text));
    Ok(match placement {
        ImagePlacement::BeforeText => image_blocks.into_iter().chain(text_block).collect(),
        ImagePlacement::AfterText => text_block.into_iter().chain(image_blocks).collect(),
    })
}

/// The hashes of the stored images among `blocks`, with their block positions.
pub fn stored_images(blocks: &[ContentBlock]) -> Vec<(usize, String)> {
    blocks
        .iter()
        .enumerate()
        .filter_map(|(position, block)| match block {
            ContentBlock::Image {
                source: ImageSource::Url { url },
            } => url
                .strip_prefix(ATTACHMENT_URL_PREFIX)
                .map(|sha256| (position, sha256.to_owned())),
            _ => None,
        })
        .collect()
}

/// The attachment rows of an edited copy of a message: the same images at the same positions.
pub fn copy_attachments(attachments: &[Attachment]) -> Vec<NewAttachment> {
    attachments
        .iter()
        .map(|attachment| NewAttachment {
            position: attachment.position,
            sha256: attachment.sha256.clone(),
            media_type: attachment.media_type.clone(),
            width: attachment.width,
            height: attachment.height,
            byte_len: attachment.byte_len,
            blob_path: attachment.blob_path.clone(),
        })
        .collect()
}

fn blocks_of(content: &MessageContent) -> &[ContentBlock] {
    match content {
        MessageContent::Blocks(blocks) => blocks,
        MessageContent::Text(_) => &[],
    }
}

fn checked_image_url(url: &str) -> CoreResult<String> {
    let url = url.trim();
    let parsed = url::Url::parse(url).map_err(|error| {
        CoreError::InvalidInput(format!("The image address {url} is not a URL: {error}"))
    })?;
    if parsed.scheme() != "https" || parsed.host_str().is_none() {
        return Err(CoreError::InvalidInput(format!(
            "The image address {url} must be an https:// URL"
        )));
    }
    Ok(parsed.to_string())
}

fn is_sha256(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A hash from the webview names a file: anything but 64 lowercase hex digits is refused, so it
/// can never point outside the image folder.
fn checked_hash(sha256: &str) -> CoreResult<()> {
    if is_sha256(sha256) {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!(
            "Not an image id: {sha256:?}"
        )))
    }
}

fn missing(sha256: &str) -> CoreError {
    CoreError::Image {
        kind: ErrorKind::ImageMissing,
        message: format!(
            "The image {short} is no longer in Parley's image folder; attach it again.",
            short = &sha256[..sha256.len().min(12)]
        ),
    }
}

async fn read_stored(path: &Path, sha256: &str) -> CoreResult<Vec<u8>> {
    match tokio::fs::read(path).await {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(missing(sha256)),
        Err(error) => Err(CoreError::Internal(format!(
            "could not read image {sha256}: {error}"
        ))),
    }
}

/// The media type of stored image bytes, from their signature.
fn sniff_media_type(bytes: &[u8]) -> Option<&'static str> {
    parley_images::MediaType::sniff(bytes).map(parley_images::MediaType::as_str)
}

/// Writes the image and its thumbnail unless they are already there (same hash, same bytes).
/// Each file is written to a temporary name first and renamed, so a crash never leaves a
/// half-written file under a hash.
fn save_prepared(dir: &Path, prepared: &PreparedImage) -> std::io::Result<()> {
    crate::data_folder::create_private_dir_all(dir)?;
    let image = dir.join(&prepared.sha256);
    let thumbnail = dir.join(format!("{}.thumb", prepared.sha256));
    for (path, bytes) in [
        (&thumbnail, &prepared.thumbnail.bytes),
        (&image, &prepared.image.bytes),
    ] {
        if path.exists() {
            continue;
        }
        // Unique per write: two prepares of the same image may race to this point.
        let temporary = dir.join(format!(
            "{}.{:016x}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            rand::random::<u64>()
        ));
        let mut file = crate::data_folder::create_private_file(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
    }
    Ok(())
}

fn draft_of(prepared: &PreparedImage, name: String) -> ImageDraft {
    let image = &prepared.image;
    ImageDraft {
        sha256: prepared.sha256.clone(),
        media_type: image.media_type.as_str().to_owned(),
        width: image.width,
        height: image.height,
        original_width: prepared.original_width,
        original_height: prepared.original_height,
        // Always under 5 MB: the encoder guarantees it.
        byte_len: u32::try_from(image.bytes.len()).unwrap_or(u32::MAX),
        estimated_tokens: parley_images::estimated_tokens(image.width, image.height),
        name,
        thumbnail: format!(
            "data:{};base64,{}",
            prepared.thumbnail.media_type.as_str(),
            BASE64.encode(&prepared.thumbnail.bytes)
        ),
    }
}

/// The error the UI shows for a refused image: its kind, and a message naming the file.
fn image_error(name: &str, error: &ImageError) -> CoreError {
    let kind = match error {
        ImageError::Empty => ErrorKind::ImageEmpty,
        ImageError::NotAnImage => ErrorKind::ImageNotImage,
        ImageError::Corrupt { .. } => ErrorKind::ImageCorrupt,
        ImageError::Unsupported { .. } => ErrorKind::ImageUnsupported,
        ImageError::TooManyPixels { .. } | ImageError::DecodeTooLarge { .. } => {
            ErrorKind::ImageTooManyPixels
        }
        ImageError::JpegTooLargeToRead { .. } => ErrorKind::ImageUnsupported,
        ImageError::InputTooLarge { .. } | ImageError::TooLarge => ErrorKind::ImageTooLarge,
        // A pipe, a device or a folder is not an image file, whatever its name says.
        ImageError::NotAFile => ErrorKind::ImageNotImage,
        ImageError::Io { .. } => ErrorKind::ImageMissing,
    };
    CoreError::Image {
        kind,
        message: format!("{name}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn composer_blocks_follow_the_chosen_placement() {
        let images = [
            ComposerImage::Stored { sha256: SHA.into() },
            ComposerImage::Url {
                url: "https://example.com/cat.png".into(),
            },
        ];
        let before = composer_blocks("hi", &images, ImagePlacement::BeforeText).unwrap();
        let kinds: Vec<&str> = before.iter().map(ContentBlock::type_name).collect();
        assert_eq!(kinds, ["image", "image", "text"]);
        assert_eq!(
            before[0],
            ContentBlock::Image {
                source: ImageSource::Url {
                    url: format!("parley-attachment:{SHA}")
                }
            }
        );
        let after = composer_blocks("hi", &images, ImagePlacement::AfterText).unwrap();
        let kinds: Vec<&str> = after.iter().map(ContentBlock::type_name).collect();
        assert_eq!(kinds, ["text", "image", "image"]);
        assert_eq!(stored_images(&after), [(1, SHA.to_owned())]);

        let images_only = composer_blocks("  ", &images[..1], ImagePlacement::AfterText).unwrap();
        assert_eq!(images_only.len(), 1);
    }

    #[test]
    fn composer_blocks_refuse_bad_ids_urls_and_too_many_images() {
        let bad_hash = [ComposerImage::Stored {
            sha256: "../../etc/passwd".into(),
        }];
        assert_eq!(
            composer_blocks("x", &bad_hash, ImagePlacement::BeforeText)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        for url in [
            "http://example.com/a.png",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            let images = [ComposerImage::Url { url: url.into() }];
            assert_eq!(
                composer_blocks("x", &images, ImagePlacement::BeforeText)
                    .unwrap_err()
                    .kind(),
                ErrorKind::InvalidInput,
                "{url}"
            );
        }
        let many = vec![ComposerImage::Stored { sha256: SHA.into() }; MAX_IMAGES_PER_MESSAGE + 1];
        assert_eq!(
            composer_blocks("x", &many, ImagePlacement::BeforeText)
                .unwrap_err()
                .kind(),
            ErrorKind::ImageTooMany
        );
    }

    #[test]
    fn only_granted_paths_pass() {
        let granted = GrantedPaths::default();
        let picked = PathBuf::from("/home/me/Pictures/cat.png");
        assert_eq!(
            granted.check(&picked).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "nothing is granted before a dialog or a drop"
        );
        granted.grant([picked.clone(), PathBuf::from("/tmp/dropped one.jpg")]);
        assert!(granted.check(&picked).is_ok());
        assert!(granted.check(Path::new("/tmp/dropped one.jpg")).is_ok());
        for other in [
            "/etc/passwd",
            "/home/me/Pictures/../.ssh/id_ed25519",
            "/dev/zero",
        ] {
            let error = granted.check(Path::new(other)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{other}");
            assert!(error.to_string().contains("was not chosen"), "{error}");
        }
    }

    /// Runs `prepare_file` on `path` and fails if it has not answered within two seconds.
    async fn prepare_in_time(images: &ImageStore, path: &Path) -> CoreResult<ImageDraft> {
        let prepared = images.prepare_file(path.to_owned(), EncodeOptions::default());
        match tokio::time::timeout(std::time::Duration::from_secs(2), prepared).await {
            Ok(result) => result,
            Err(_) => panic!("prepare_file({path:?}) blocked"),
        }
    }

    #[tokio::test]
    async fn fifos_and_devices_are_refused_without_taking_a_slot() {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageStore::new(dir.path().join(IMAGES_FOLDER));
        let fifo = dir.path().join("pipe.png");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(matches!(made, Ok(status) if status.success()), "{made:?}");
        let slots = images.encoding_slots.available_permits();
        for path in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
            let error = prepare_in_time(&images, path).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ImageNotImage, "{path:?}");
            assert!(
                error.to_string().ends_with("this is not a regular file"),
                "{error}"
            );
        }
        assert_eq!(images.encoding_slots.available_permits(), slots);
    }

    #[tokio::test]
    async fn pastes_over_the_cap_are_refused_before_decoding() {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageStore::new(dir.path().join(IMAGES_FOLDER));
        let too_big = vec![0u8; parley_images::MAX_IN_MEMORY_BYTES as usize + 1];
        let error = images
            .prepare_bytes(too_big, "huge.png".into(), EncodeOptions::default())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ImageTooLarge);
        assert!(
            error
                .to_string()
                .starts_with("huge.png: the image data is 68 MB"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn prepared_images_are_stored_once_read_back_and_collected_when_unused() {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageStore::new(dir.path().join(IMAGES_FOLDER));
        let png = {
            let mut bytes = Vec::new();
            let image = image::RgbaImage::from_fn(40, 30, |x, y| {
                image::Rgba([(x * 6) as u8, (y * 8) as u8, 90, 255])
            });
            image::DynamicImage::ImageRgba8(image)
                .write_to(
                    &mut std::io::Cursor::new(&mut bytes),
                    image::ImageFormat::Png,
                )
                .unwrap();
            bytes
        };
        let draft = images
            .prepare_bytes(png.clone(), "pasted.png".into(), EncodeOptions::default())
            .await
            .unwrap();
        assert_eq!((draft.width, draft.height), (40, 30));
        assert_eq!(draft.name, "pasted.png");
        assert!(draft.thumbnail.starts_with("data:image/"));
        let again = images
            .prepare_bytes(png, "again.png".into(), EncodeOptions::default())
            .await
            .unwrap();
        assert_eq!(again.sha256, draft.sha256, "content-addressed");

        let full = images
            .data_url(&draft.sha256, ImageVariant::Full)
            .await
            .unwrap();
        assert!(full.starts_with(&format!("data:{};base64,", draft.media_type)));
        let row = images.attachment_for(0, &draft.sha256).await.unwrap();
        assert_eq!((row.width, row.height), (Some(40), Some(30)));
        assert_eq!(row.byte_len, i64::from(draft.byte_len));

        let refused = images
            .prepare_bytes(
                b"hello".to_vec(),
                "notes.png".into(),
                EncodeOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::ImageNotImage);
        assert!(refused.to_string().starts_with("notes.png: "), "{refused}");

        // Nothing refers to the image: start-up collection removes it and its thumbnail.
        let store = Store::open_in_memory().await.unwrap();
        assert_eq!(images.collect_garbage(&store).await.unwrap(), 1);
        assert_eq!(
            images
                .data_url(&draft.sha256, ImageVariant::Thumbnail)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::ImageMissing
        );
        assert_eq!(std::fs::read_dir(images.dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn start_up_removes_the_staging_folder_a_crashed_import_left() {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageStore::new(dir.path().join(IMAGES_FOLDER));
        let staging = images
            .dir()
            .join(format!("{IMPORT_STAGING_PREFIX}0123456789abcdef"));
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("a".repeat(64)), b"staged bytes").unwrap();
        // A file that merely starts like it is not a staging folder and stays.
        let lookalike = images.dir().join(format!("{IMPORT_STAGING_PREFIX}note"));
        std::fs::write(&lookalike, b"x").unwrap();
        let store = Store::open_in_memory().await.unwrap();
        images.collect_garbage(&store).await.unwrap();
        assert!(!staging.exists(), "the staging folder is gone");
        assert!(lookalike.exists());
    }
}
