//! A hostile export with a 300 MiB image entry: refused while it is read, with a clear
//! message, holding a few MiB of it at most (the import before streaming reached 841 MiB).
//!
//! Alone in its test binary so that the process's peak memory is this test's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use parley_core::{Environment, ErrorKind, NoProgress, Parley};
use parley_secrets::MemorySecretStore;

const MIB: u64 = 1 << 20;

/// A value from `/proc/self/status` in bytes (`VmRSS`, `VmHWM`), on Linux.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Writes an export whose one image entry holds `image_bytes` of base64, without holding it.
fn write_hostile_export(path: &Path, image_bytes: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(
        file,
        concat!(
            r#"{{"format":"parley.export","version":1,"exportedAt":0,"app":"Parley 0.1.0","#,
            "\n",
            r#""conversations":["#,
            "\n",
            r#"{{"id":"c1","title":"Hostile","titleSource":"user","model":"m","params":{{}},"#,
            r#""pinned":false,"createdAt":1,"updatedAt":1,"messages":[]}}"#,
            "\n],\n",
            r#""folders":[],"#,
            "\n",
            r#""images":{{"#,
            "\n",
            r#""{}":{{"mediaType":"image/png","data":""#
        ),
        "ab".repeat(32)
    )
    .unwrap();
    let chunk = vec![b'A'; MIB as usize];
    let mut left = image_bytes;
    while left > 0 {
        let n = left.min(MIB);
        file.write_all(&chunk[..n as usize]).unwrap();
        left -= n;
    }
    file.write_all(b"\"}\n}}\n").unwrap();
    file.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_mib_image_entry_is_refused_while_read_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let parley = Parley::open(
        &dir.path().join("data"),
        Arc::new(MemorySecretStore::default()),
        Environment::default(),
    )
    .await
    .unwrap();
    let file = dir.path().join("hostile.json");
    write_hostile_export(&file, 300 * MIB);

    // Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current resident size.
    let measured = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss_before = status_bytes("VmRSS");
    let started = Instant::now();
    let error = parley
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    let peak = status_bytes("VmHWM");

    let payload = error.to_payload();
    assert_eq!(payload.kind, ErrorKind::InvalidInput, "{payload:?}");
    assert!(
        payload
            .message
            .contains("image 1 (abababababab…) is larger than 7 MB"),
        "the message says which image and the limit: {}",
        payload.message
    );
    assert!(
        payload.message.contains("hostile.json"),
        "{}",
        payload.message
    );
    assert!(
        parley
            .list_history()
            .await
            .unwrap()
            .conversations
            .is_empty(),
        "the conversation before the image is not imported"
    );
    let images = dir.path().join("data").join("images");
    let left: Vec<_> = std::fs::read_dir(&images)
        .map(|entries| entries.collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "no image or staging file is left: {left:?}"
    );

    eprintln!("300 MiB image entry refused in {elapsed:?}");
    if let (true, Some(before), Some(peak)) = (measured, rss_before, peak) {
        let rise = peak.saturating_sub(before);
        eprintln!(
            "peak memory during the import: {} MiB above the {} MiB before",
            rise / MIB,
            before / MIB
        );
        assert!(
            rise < 48 * MIB,
            "reading the entry holds at most its 7 MiB allowance (and serde's copy), not the \
             300 MiB: the peak rose by {} MiB",
            rise / MIB
        );
    }
    assert!(
        elapsed.as_secs() < 10,
        "refused after reading 7 MiB, not the whole entry: took {elapsed:?}"
    );
}

/// The measurement behind the import's memory bound, for files too large for CI: imports the
/// file named by `PARLEY_IMPORT_FILE` into a fresh data folder and prints the outcome, the time
/// and the peak memory above what the process held before. Run with
/// `PARLEY_IMPORT_FILE=/tmp/x.json cargo test -p parley-core --test import_memory -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a large file named by PARLEY_IMPORT_FILE"]
async fn measure_importing_a_large_file() {
    let Ok(file) = std::env::var("PARLEY_IMPORT_FILE") else {
        eprintln!("PARLEY_IMPORT_FILE is not set");
        return;
    };
    let dir =
        tempfile::tempdir_in(std::env::var("PARLEY_DATA_PARENT").unwrap_or("/tmp".into())).unwrap();
    let parley = Parley::open(
        dir.path(),
        Arc::new(MemorySecretStore::default()),
        Environment::default(),
    )
    .await
    .unwrap();
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_bytes("VmRSS").unwrap();
    let started = Instant::now();
    let result = parley
        .import_from_path(Path::new(&file), Arc::new(NoProgress))
        .await;
    let elapsed = started.elapsed();
    let peak = status_bytes("VmHWM").unwrap();
    match result {
        Ok(report) => eprintln!("imported: {report:?}"),
        Err(error) => eprintln!("refused: {}", error.to_payload().message),
    }
    eprintln!(
        "{file}: {elapsed:?}; peak {} MiB above the {} MiB before",
        peak.saturating_sub(before) / MIB,
        before / MIB
    );
}
