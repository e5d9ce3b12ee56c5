//! `parley-history-open`: the store's share of opening the seeded 2,000-message conversation
//! (`Parley::open_conversation`), as it used to read it and as it reads it now.
//!
//! ```text
//! parley-history-open --database FILE --conversation ID [--reps 15]
//! ```
//!
//! - twice: what `open_conversation` did until the conversation tree existed: the
//!   conversation, every message (`messages_in_conversation`, for the sibling counts), then
//!   `active_path`, which read the conversation and every message again;
//! - once: `conversation_tree` (the conversation and every message) and the active path
//!   computed from it, what `open_conversation` does now.
//!
//! Both build the branch as owned messages, as the old call returned it, so they differ only in
//! the reads. Turning messages into views (unchanged) is not timed. One warm-up of each, then
//! `reps` rounds of one of each (alternating, so a busy machine slows both alike). Prints one
//! JSON object with p50/p95 per variant in milliseconds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use parley_store::{Store, StoredMessage};
use serde_json::json;

struct Options {
    database: PathBuf,
    conversation: String,
    reps: usize,
}

fn parse_args() -> Result<Options, String> {
    let mut database = None;
    let mut conversation = None;
    let mut reps = 15;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--database" => database = Some(PathBuf::from(value("--database")?)),
            "--conversation" => conversation = Some(value("--conversation")?),
            "--reps" => {
                reps = value("--reps")?
                    .parse()
                    .map_err(|e| format!("--reps: {e}"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other}\nusage: parley-history-open --database FILE \
                     --conversation ID [--reps N]"
                ));
            }
        }
    }
    Ok(Options {
        database: database.ok_or("--database is required")?,
        conversation: conversation.ok_or("--conversation is required")?,
        reps,
    })
}

/// The reads `open_conversation` made before: (all messages, active path).
async fn read_twice(
    store: &Store,
    id: &str,
) -> Result<(Vec<StoredMessage>, Vec<StoredMessage>), String> {
    store
        .get_conversation(id)
        .await
        .map_err(|e| e.to_string())?;
    let all = store
        .messages_in_conversation(id)
        .await
        .map_err(|e| e.to_string())?;
    let path = store.active_path(id).await.map_err(|e| e.to_string())?;
    Ok((all, path))
}

/// The read `open_conversation` makes now: (all messages, active path).
async fn read_once(
    store: &Store,
    id: &str,
) -> Result<(Vec<StoredMessage>, Vec<StoredMessage>), String> {
    let tree = store
        .conversation_tree(id)
        .await
        .map_err(|e| e.to_string())?;
    let path = tree.active_path().into_iter().cloned().collect();
    Ok((tree.messages, path))
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len().max(1)) - 1)
        .copied()
        .unwrap_or(f64::NAN)
}

async fn bench(options: &Options) -> Result<serde_json::Value, String> {
    let store = Store::open(&options.database)
        .await
        .map_err(|e| format!("opening {}: {e}", options.database.display()))?;
    let id = options.conversation.as_str();
    let (all, path) = read_twice(&store, id).await?;
    let (all_once, path_once) = read_once(&store, id).await?;
    if all != all_once || path != path_once {
        return Err("the two ways read different messages or branches".to_owned());
    }
    let mut twice = Vec::with_capacity(options.reps);
    let mut once = Vec::with_capacity(options.reps);
    for _ in 0..options.reps {
        let started = Instant::now();
        std::hint::black_box(read_twice(&store, id).await?);
        twice.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        std::hint::black_box(read_once(&store, id).await?);
        once.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    store.close().await;
    let stats = |values: &[f64]| json!({ "p50": percentile(values, 50.0), "p95": percentile(values, 95.0), "n": values.len() });
    Ok(json!({
        "conversation": id,
        "messages": all.len(),
        "activePath": path.len(),
        "readTwiceMs": stats(&twice),
        "readOnceMs": stats(&once),
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match bench(&options).await {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("parley-history-open: {error}");
            ExitCode::FAILURE
        }
    }
}
