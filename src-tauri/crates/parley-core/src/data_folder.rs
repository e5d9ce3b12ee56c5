//! The data folder: only its owner may read it, and only one process may use it.
//!
//! Two Parleys on one folder harm each other: each one's start-up marks the other's live replies
//! interrupted, empties the trash the other can still undo, and deletes the images the other has
//! prepared but not yet sent. [`DataLock`] makes the first process the folder's owner for as long
//! as it runs; a second one is refused before it touches anything. (The Tauri app also lets the
//! single-instance plugin hand a second launch over to the first window; the lock is what holds
//! for a process with another session bus, another `PARLEY_DATA_DIR` spelling of the same folder,
//! or a tool that is not the app.)
//!
//! What is in the folder (conversations, images, settings) is private: the folder is created
//! `0700`, and the files Parley writes in it are created `0600`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use parley_store::StoreError;

use crate::error::{CoreError, CoreResult};

/// The lock file's name inside the data folder.
pub const LOCK_FILE: &str = "parley.lock";

/// Permissions of the data folder and the folders in it: the owner only.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// Permissions of the files Parley writes in the data folder: the owner only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// An exclusive advisory lock on `<data folder>/parley.lock`, held until it is dropped (in the
/// app: until the process ends; the OS releases it even after a crash, so a stale lock file
/// never keeps Parley from starting).
///
/// It is an `flock`-style lock on an open file description, so it also refuses a second
/// [`DataLock`] in the same process. The file holds the owner's process id, for the message a
/// refused process shows; the lock, not the file's content or existence, is what counts.
#[derive(Debug)]
pub struct DataLock {
    // Never read: holding the open file is what holds the lock.
    _file: File,
    path: PathBuf,
}

impl DataLock {
    /// Takes the lock of `data_dir` (which must exist), or fails with
    /// [`CoreError::DataFolderInUse`] if another process (or another `DataLock`) holds it.
    /// Waits only (up to a second) when the holder is this very process, for the reason below.
    pub fn acquire(data_dir: &Path) -> CoreResult<Self> {
        let path = data_dir.join(LOCK_FILE);
        let io_error = |action: &str, source: io::Error| {
            CoreError::Store(StoreError::Io {
                context: format!("could not {action} the lock file {}", path.display()),
                source,
            })
        };
        let mut file = private_options()
            .read(true)
            .write(true)
            .create(true)
            // The holder's process id is in it: only the new owner may clear it.
            .truncate(false)
            .open(&path)
            .map_err(|error| io_error("open", error))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = holder_of(&mut file);
                // A lock this process released may live on for a moment in a child it is
                // spawning: between fork and exec the child shares the lock's open file
                // (close-on-exec closes it only at the exec). A process that reopens its folder
                // (the tests do, while other threads start `gsettings` or MCP servers) waits
                // that moment out; another process never waits.
                let own_fork = holder == Some(std::process::id());
                if !(own_fork && wait_for_lock(&file, OWN_FORK_GRACE)) {
                    return Err(CoreError::DataFolderInUse {
                        folder: data_dir.to_owned(),
                        holder,
                    });
                }
            }
            Err(TryLockError::Error(error)) => return Err(io_error("lock", error)),
        }
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .map_err(|error| io_error("write", error))?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// How long a lock this process itself holds, or held a moment ago, is waited for (see
/// [`DataLock::acquire`]): far longer than a fork takes to exec on a loaded machine.
const OWN_FORK_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Tries the lock of `file` every few milliseconds for up to `grace`; true once it is taken.
fn wait_for_lock(file: &File, grace: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
        if file.try_lock().is_ok() {
            return true;
        }
    }
    false
}

/// The process id a lock holder wrote, if it is there yet.
fn holder_of(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Creates `dir` and any missing parents with owner-only permissions, and narrows an existing
/// `dir` to them (a folder made by an older Parley was `0755`).
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_DIR_MODE)
            .create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != PRIVATE_DIR_MODE {
            // Best effort: a folder someone else owns (a shared `PARLEY_DATA_DIR`) stays usable.
            if let Err(error) =
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(PRIVATE_DIR_MODE))
            {
                tracing::warn!(%error, dir = %dir.display(), "could not make the folder private");
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Creates (or truncates) `path` for writing; a new file gets owner-only permissions.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

/// Open options whose newly created file is `0600` (the umask can only narrow that further).
pub(crate) fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
    }
    options
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode_of(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        assert_eq!(first.path(), dir.path().join(LOCK_FILE));

        let error = DataLock::acquire(dir.path()).unwrap_err();
        match &error {
            CoreError::DataFolderInUse { folder, holder } => {
                assert_eq!(folder, dir.path());
                assert_eq!(
                    *holder,
                    Some(std::process::id()),
                    "the message can name the process that holds the folder"
                );
            }
            other => panic!("expected DataFolderInUse, got {other:?}"),
        }
        assert_eq!(error.kind(), crate::ErrorKind::DataFolderInUse);
        let message = error.to_string();
        assert!(
            message.contains(&dir.path().display().to_string()),
            "the message names the folder: {message}"
        );

        drop(first);
        DataLock::acquire(dir.path()).expect("a dropped lock is released");
    }

    #[test]
    fn a_lock_released_while_a_spawning_child_still_shares_it_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        // What a child between fork and exec holds: the same open file description.
        let childs_copy = first._file.try_clone().unwrap();
        drop(first);
        let exec = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            drop(childs_copy);
        });
        DataLock::acquire(dir.path()).expect("taken once the child's copy closes");
        exec.join().unwrap();
    }

    #[test]
    fn a_lock_file_left_by_a_crash_does_not_block_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "4242\n").unwrap();
        let lock = DataLock::acquire(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(lock.path()).unwrap(),
            format!("{}\n", std::process::id()),
            "the new owner replaces the old process id"
        );
    }

    #[test]
    fn the_lock_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let lock = DataLock::acquire(dir.path()).unwrap();
        assert_eq!(mode_of(lock.path()), PRIVATE_FILE_MODE);
    }

    #[test]
    fn private_folders_are_created_and_narrowed_to_the_owner() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a").join("b");
        create_private_dir_all(&nested).unwrap();
        assert_eq!(mode_of(&nested), PRIVATE_DIR_MODE);
        assert_eq!(mode_of(&root.path().join("a")), PRIVATE_DIR_MODE);

        let old = root.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir_all(&old).unwrap();
        assert_eq!(
            mode_of(&old),
            PRIVATE_DIR_MODE,
            "a folder an older Parley made readable to everyone is narrowed"
        );
    }

    #[test]
    fn private_files_are_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        let mut file = create_private_file(&path).unwrap();
        file.write_all(b"secret").unwrap();
        assert_eq!(mode_of(&path), PRIVATE_FILE_MODE);
    }
}
