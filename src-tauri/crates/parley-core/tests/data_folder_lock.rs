//! One Parley per data folder: a second one, in this process or another, is refused while the
//! first streams a reply from the mock server, and the first loses nothing (its reply finishes
//! with its full text, its trash can still be undone, its unsent image is still there).
//!
//! The second process is this test executable run again with `PARLEY_LOCK_CHILD_DIR` set, so
//! it exercises the real `Parley::open` in a process of its own.

// Helpers outside `#[test]` functions unwrap too: a test may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use parley_core::data_folder::{LOCK_FILE, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};
use parley_core::view::StatusView;
use parley_core::{
    ChatEvent, CollectingSink, CoreError, Environment, ErrorKind, ImagePlacement, Parley,
    SendRequest, Settings,
};
use parley_mock_claude::MockServer;
use parley_mock_claude::magic::{SLOW_CHUNKS, slow_chunk};
use parley_secrets::MemorySecretStore;
use parley_store::NewConversation;

/// Set for the child process only: the data folder it tries to open.
const CHILD_DIR_VAR: &str = "PARLEY_LOCK_CHILD_DIR";
/// The child's exit code when `Parley::open` refused the folder as in use.
const REFUSED: i32 = 3;
/// The child's exit code when it opened the folder.
const OPENED: i32 = 0;

/// A Parley on `dir` with no key (enough to be refused, or to open).
async fn open(dir: &Path) -> Result<Parley, CoreError> {
    open_with(dir, MemorySecretStore::default()).await
}

async fn open_with(dir: &Path, secrets: MemorySecretStore) -> Result<Parley, CoreError> {
    Parley::open(dir, Arc::new(secrets), Environment::default()).await
}

/// The second process: opens the folder it is given and reports how that went in its exit code
/// and on stdout. Does nothing (and passes) in a normal test run.
#[test]
fn child_process_opens_the_data_folder() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let code = match runtime.block_on(open(Path::new(&dir))) {
        Ok(_) => OPENED,
        Err(error) => {
            println!("child error: {}: {error}", error.kind().as_str());
            if error.kind() == ErrorKind::DataFolderInUse {
                REFUSED
            } else {
                1
            }
        }
    };
    std::process::exit(code);
}

/// Runs [`child_process_opens_the_data_folder`] in a new process on `dir`.
fn open_in_another_process(dir: &Path) -> (i32, String) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_opens_the_data_folder",
            "--nocapture",
        ])
        .env(CHILD_DIR_VAR, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout)
}

/// A small real PNG, so the image goes through the whole preparation.
fn png() -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(16, 16, |x, y| image::Rgb([x as u8 * 16, y as u8 * 16, 128]))
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_parley_is_refused_while_the_first_streams_and_the_first_loses_nothing() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets =
        MemorySecretStore::with_key_for(&server.base_url(), "sk-ant-test-key-0123456789").unwrap();
    let first = open_with(dir.path(), secrets).await.unwrap();
    let mut settings = Settings::defaults(None);
    settings.base_url = server.base_url();
    settings.title_model = None;
    first.save_settings(settings).await.unwrap();

    // What a second start-up would destroy: a conversation in the trash (undo still possible),
    // an image prepared for the composer but not sent yet, and a reply in flight.
    let trashed = first
        .store()
        .create_conversation(&NewConversation {
            title: "in the trash".into(),
            model: "m".into(),
            system_prompt: None,
        })
        .await
        .unwrap()
        .id;
    first
        .trash_conversations(std::slice::from_ref(&trashed))
        .await
        .unwrap();
    let draft = first
        .prepare_image_bytes(png(), "unsent.png".into())
        .await
        .unwrap();
    let unsent_image = dir.path().join("images").join(&draft.sha256);
    assert!(unsent_image.exists());

    let sink = CollectingSink::default();
    first
        .send_message(
            SendRequest {
                conversation_id: None,
                text: "Take your time [[slow]]".into(),
                model: "claude-haiku-4-5-20251001".into(),
                system_prompt: None,
                images: Vec::new(),
                image_placement: ImagePlacement::BeforeText,
                params: None,
                prefill: None,
            },
            Arc::new(sink.clone()),
        )
        .await
        .unwrap();
    // Wait until the reply is really streaming (its row is `streaming` in the database).
    tokio::time::timeout(Duration::from_secs(10), async {
        while !sink
            .events()
            .iter()
            .any(|event| matches!(event, ChatEvent::TextDelta { .. }))
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the reply starts streaming");

    // A second Parley in this process...
    let error = open(dir.path())
        .await
        .err()
        .expect("a second Parley on the same folder is refused");
    assert_eq!(error.kind(), ErrorKind::DataFolderInUse, "{error}");
    assert!(
        error
            .to_string()
            .contains(&dir.path().display().to_string()),
        "the message names the folder: {error}"
    );
    assert!(
        error
            .to_string()
            .contains(&format!("process {}", std::process::id())),
        "the message names the process using it: {error}"
    );

    // ...and in another process, the case the lock exists for.
    let (code, stdout) = open_in_another_process(dir.path());
    assert_eq!(code, REFUSED, "the second process is refused: {stdout}");
    assert!(stdout.contains("data_folder_in_use"), "{stdout}");

    let finished = tokio::time::timeout(Duration::from_secs(30), sink.finished())
        .await
        .expect("the first reply finishes");
    assert_eq!(
        finished.status,
        StatusView::Done,
        "the second start-up did not mark the live reply interrupted"
    );
    let full: String = (0..SLOW_CHUNKS).map(slow_chunk).collect();
    assert_eq!(parley_claude::plain_text(&finished.blocks), full);
    assert_eq!(
        first.store().trashed_conversations().await.unwrap().len(),
        1,
        "the second start-up did not empty the trash"
    );
    first
        .restore_conversations(std::slice::from_ref(&trashed))
        .await
        .expect("undo still works");
    assert!(
        unsent_image.exists(),
        "the second start-up did not delete the unsent image"
    );
    first
        .read_image(&draft.sha256, parley_core::ImageVariant::Full)
        .await
        .unwrap();

    // Once the first is gone, the folder is free again, for another process too.
    drop(first);
    let (code, stdout) = open_in_another_process(dir.path());
    assert_eq!(code, OPENED, "{stdout}");
    open(dir.path()).await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn open_makes_the_data_folder_and_its_images_private_and_holds_its_lock_file() {
    use std::os::unix::fs::PermissionsExt;

    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("parley-data");
    let parley = open(&dir).await.unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, PRIVATE_DIR_MODE,
        "no one else may list or read the data folder"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap().trim(),
        std::process::id().to_string()
    );

    // Images the user prepares are theirs alone too, whatever the process umask (the app sets
    // 077; tools and tests keep the usual 022).
    let draft = parley
        .prepare_image_bytes(png(), "private.png".into())
        .await
        .unwrap();
    let images = dir.join("images");
    let mode_of = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode_of(&images), PRIVATE_DIR_MODE);
    assert_eq!(mode_of(&images.join(&draft.sha256)), PRIVATE_FILE_MODE);
    assert_eq!(
        mode_of(&images.join(format!("{}.thumb", draft.sha256))),
        PRIVATE_FILE_MODE
    );
    drop(parley);
}
