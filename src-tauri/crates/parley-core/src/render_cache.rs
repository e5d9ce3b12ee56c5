//! Rendered replies kept across restarts: the UI's HTML of long finished texts, one file each.
//!
//! Rendering a 100k-token reply (marked, then DOMPurify) takes about 300 ms on a slow machine;
//! the UI keeps that HTML for the session (`ui/src/lib/markdownCache.ts`) and, through this
//! cache, for the next launches too, so a long reply is rendered once, not once per launch.
//!
//! The UI names each entry: message id, block index, text length and hash, UI language and
//! renderer version, so an entry is only ever found for the exact text it was rendered from
//! (finished texts never change). This module treats the key as an opaque file name, checked to
//! be one, and the content as opaque text. The HTML was sanitised before it was written, and the
//! folder is the owner's alone (0700, files 0600), as trusted as the database beside it.
//!
//! It is a cache: bounded ([`MAX_BYTES`], least recently used first), emptied when the trash is
//! emptied (an entry holds a message's text, which must go with it), and any failure to read or
//! write it only costs a render.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::data_folder;

/// The cache's folder inside the data folder.
pub const RENDER_CACHE_FOLDER: &str = "render-cache";

/// What the cache may hold: a few dozen long replies' HTML.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The longest key the UI sends (a message id, numbers and a language tag fit in far less).
const MAX_KEY_CHARS: usize = 160;

/// Rendered HTML by key, as files in one folder.
#[derive(Debug, Clone)]
pub struct RenderCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl RenderCache {
    pub fn new(dir: PathBuf) -> Self {
        Self::with_limit(dir, MAX_BYTES)
    }

    pub fn with_limit(dir: PathBuf, max_bytes: u64) -> Self {
        Self { dir, max_bytes }
    }

    /// The entry `key` holds; `None` when there is none, the key is not a valid name, or it
    /// cannot be read. A hit counts as a use (for the eviction order).
    pub async fn read(&self, key: &str) -> Option<String> {
        let path = self.path_of(key)?;
        let read = tokio::task::spawn_blocking(move || -> io::Result<String> {
            let text = std::fs::read_to_string(&path)?;
            let file = std::fs::File::options().write(true).open(&path)?;
            file.set_modified(SystemTime::now())?;
            Ok(text)
        });
        match read.await {
            Ok(Ok(text)) => Some(text),
            Ok(Err(error)) if error.kind() == io::ErrorKind::NotFound => None,
            Ok(Err(error)) => {
                tracing::debug!(%error, "could not read a rendered reply");
                None
            }
            Err(_) => None,
        }
    }

    /// Stores `content` as entry `key` (replacing it), then removes the least recently used
    /// entries beyond the bound. Failures are logged: the next launch renders again.
    pub async fn write(&self, key: &str, content: String) {
        let Some(path) = self.path_of(key) else {
            tracing::warn!("refused a render cache key that is not a plain name");
            return;
        };
        if content.len() as u64 > self.max_bytes {
            return;
        }
        let dir = self.dir.clone();
        let max_bytes = self.max_bytes;
        let written = tokio::task::spawn_blocking(move || -> io::Result<()> {
            data_folder::create_private_dir_all(&dir)?;
            // Whole or not at all: a crash mid-write leaves a temporary file, never half an entry.
            let temporary = path.with_extension("tmp");
            {
                use std::io::Write as _;
                let mut file = data_folder::private_options()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&temporary)?;
                file.write_all(content.as_bytes())?;
            }
            std::fs::rename(&temporary, &path)?;
            evict_beyond(&dir, max_bytes)
        });
        match written.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "could not keep a rendered reply"),
            Err(error) => tracing::warn!(%error, "the render cache writer stopped"),
        }
    }

    /// Removes every entry (the trash was emptied: the text of its messages must go).
    pub async fn clear(&self) {
        let dir = self.dir.clone();
        let cleared = tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&dir) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        });
        if let Ok(Err(error)) = cleared.await {
            tracing::warn!(%error, "could not empty the render cache");
        }
    }

    /// The file of `key`, or `None` unless the key is a plain name: ASCII letters, digits, `-`,
    /// `_` and `.` (not leading), so it can never point outside the folder.
    fn path_of(&self, key: &str) -> Option<PathBuf> {
        let plain = !key.is_empty()
            && key.len() <= MAX_KEY_CHARS
            && !key.starts_with('.')
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        plain.then(|| self.dir.join(format!("{key}.html")))
    }
}

/// Deletes the least recently used entries of `dir` until the rest fit in `max_bytes`.
fn evict_beyond(dir: &Path, max_bytes: u64) -> io::Result<()> {
    let mut entries = Vec::new();
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        if !metadata.is_file() {
            continue;
        }
        total += metadata.len();
        let used = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        entries.push((used, metadata.len(), entry.path()));
    }
    entries.sort();
    for (_, len, path) in entries {
        if total <= max_bytes {
            break;
        }
        std::fs::remove_file(&path)?;
        total -= len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_entry_is_read_back_until_the_cache_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RenderCache::new(dir.path().join(RENDER_CACHE_FOLDER));
        assert_eq!(cache.read("m1-0-5-abc-en-1").await, None, "nothing yet");
        cache.write("m1-0-5-abc-en-1", "<p>hello</p>".into()).await;
        assert_eq!(
            cache.read("m1-0-5-abc-en-1").await.as_deref(),
            Some("<p>hello</p>")
        );
        cache.write("m1-0-5-abc-en-1", "<p>again</p>".into()).await;
        assert_eq!(
            cache.read("m1-0-5-abc-en-1").await.as_deref(),
            Some("<p>again</p>")
        );
        cache.clear().await;
        assert_eq!(cache.read("m1-0-5-abc-en-1").await, None);
        cache.clear().await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn entries_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(RENDER_CACHE_FOLDER);
        let cache = RenderCache::new(folder.clone());
        cache.write("k", "<p>private</p>".into()).await;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), data_folder::PRIVATE_DIR_MODE);
        assert_eq!(mode(&folder.join("k.html")), data_folder::PRIVATE_FILE_MODE);
    }

    #[tokio::test]
    async fn keys_that_are_not_plain_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("cache");
        let cache = RenderCache::new(folder);
        std::fs::write(dir.path().join("secret.html"), "outside").unwrap();
        for key in [
            "",
            "../secret",
            "a/b",
            ".hidden",
            "a b",
            "é",
            &"k".repeat(200),
        ] {
            cache.write(key, "x".into()).await;
            assert_eq!(cache.read(key).await, None, "{key:?}");
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("secret.html")).unwrap(),
            "outside"
        );
        assert!(
            !dir.path().join("cache").exists()
                || std::fs::read_dir(dir.path().join("cache")).unwrap().count() == 0,
            "nothing was written"
        );
    }

    #[tokio::test]
    async fn the_least_recently_used_go_first_beyond_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RenderCache::with_limit(dir.path().join("cache"), 25);
        let at = |seconds: u64| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
        let age = |key: &str, seconds: u64| {
            let path = dir.path().join("cache").join(format!("{key}.html"));
            let file = std::fs::File::options().write(true).open(path).unwrap();
            file.set_modified(at(seconds)).unwrap();
        };
        cache.write("a", "0123456789".into()).await;
        age("a", 100);
        cache.write("b", "0123456789".into()).await;
        age("b", 200);
        // Reading `a` makes it the most recently used.
        assert!(cache.read("a").await.is_some());
        cache.write("c", "0123456789".into()).await;
        assert!(cache.read("b").await.is_none(), "the oldest use went");
        assert!(cache.read("a").await.is_some());
        assert!(cache.read("c").await.is_some());
        // An entry larger than the whole bound is not kept at all.
        cache.write("huge", "x".repeat(26)).await;
        assert!(cache.read("huge").await.is_none());
        assert!(cache.read("a").await.is_some(), "and pushes nothing out");
    }
}
