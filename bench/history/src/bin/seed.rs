//! `parley-history-seed`: fills a Parley data directory with the history benchmark's history
//! through `parley-store` (its migrations, FTS triggers and foreign keys), in bulk transactions.
//!
//! ```text
//! parley-history-seed --data-dir DIR [--conversations 20000] [--messages 50] [--long 2000]
//! ```
//!
//! N conversations of M messages (user and assistant alternating, all `done`), spread evenly
//! over the past two years, oldest first; then one conversation of L messages, the newest (the
//! top of the sidebar), for the benchmark that opens it. The text is deterministic (see the
//! library). Prints one JSON line with the ids the benchmarks need and what was written.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parley_bench_history::{GeneratedConversation, Lcg, conversation};
use parley_claude::ContentBlock;
use parley_store::{BulkConversation, BulkMessage, MessageStatus, Role, Store, StoredUsage};
use serde_json::json;

/// The database file inside the data directory (`parley_core::app::DATABASE_FILE`).
const DATABASE_FILE: &str = "parley.sqlite3";
const MODEL: &str = "claude-sonnet-4-5-20250929";
const SEED: u64 = 0x4849_5354_4f52_5931;
/// Conversations per transaction.
const BATCH: usize = 100;
const HISTORY_SPAN_MS: i64 = 730 * 24 * 3_600_000;
const MINUTE_MS: i64 = 60_000;

struct Options {
    data_dir: PathBuf,
    conversations: usize,
    messages: usize,
    long: usize,
}

fn usage() -> String {
    "usage: parley-history-seed --data-dir DIR [--conversations N] [--messages M] [--long L]".into()
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        data_dir: PathBuf::new(),
        conversations: 20_000,
        messages: 50,
        long: 2_000,
    };
    let mut data_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))?
                .parse()
                .map_err(|e| format!("{name}: {e}"))
        };
        match arg.as_str() {
            "--data-dir" => {
                data_dir = Some(PathBuf::from(
                    args.next().ok_or("--data-dir needs a value")?,
                ));
            }
            "--conversations" => options.conversations = number("--conversations")?,
            "--messages" => options.messages = number("--messages")?,
            "--long" => options.long = number("--long")?,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    options.data_dir = data_dir.ok_or_else(usage)?;
    Ok(options)
}

/// The stored form of a generated conversation starting at `start`, messages `step` apart.
fn bulk(generated: GeneratedConversation, start: i64, step: i64, index: usize) -> BulkConversation {
    let messages = generated
        .texts
        .into_iter()
        .enumerate()
        .map(|(m, text)| {
            let assistant = m % 2 == 1;
            BulkMessage {
                role: if assistant {
                    Role::Assistant
                } else {
                    Role::User
                },
                // Exactly as the app stores a text message (the store keeps its text once).
                content_json: serde_json::to_string(&[ContentBlock::text(text.as_str())])
                    .unwrap_or_default(),
                model: assistant.then(|| MODEL.to_owned()),
                status: MessageStatus::Done,
                stop_reason: assistant.then(|| "end_turn".to_owned()),
                usage: if assistant {
                    StoredUsage {
                        input_tokens: Some(20 + 30 * m as i64),
                        output_tokens: Some(text.chars().count() as i64 / 4),
                        ..StoredUsage::default()
                    }
                } else {
                    StoredUsage::default()
                },
                request_id: assistant.then(|| format!("req_seed_{index}_{m}")),
                text,
                created_at: start + step * m as i64,
            }
        })
        .collect();
    BulkConversation {
        title: generated.title,
        model: MODEL.to_owned(),
        system_prompt: None,
        created_at: start,
        messages,
    }
}

async fn seed(options: &Options) -> Result<serde_json::Value, parley_store::StoreError> {
    let started = Instant::now();
    let database = options.data_dir.join(DATABASE_FILE);
    let store = Store::open(&database).await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    // The regular conversations end three hours ago, the long one two hours ago: every message
    // is in the past and storage order is time order (search lists hits in storage order).
    let end = now - 3 * 60 * MINUTE_MS;
    let spacing = HISTORY_SPAN_MS / options.conversations.max(1) as i64;
    let step = MINUTE_MS
        .min(spacing / (options.messages as i64 + 1))
        .max(1);
    let mut rng = Lcg::new(SEED);
    let mut messages = 0usize;
    let mut text_bytes = 0usize;
    let mut batch = Vec::with_capacity(BATCH);
    for index in 0..options.conversations {
        let generated = conversation(&mut rng, index, options.messages);
        let start = end - spacing * (options.conversations - index) as i64;
        batch.push(bulk(generated, start, step, index));
        if batch.len() == BATCH || index + 1 == options.conversations {
            for c in &batch {
                messages += c.messages.len();
                text_bytes += c.messages.iter().map(|m| m.text.len()).sum::<usize>();
            }
            store.insert_conversations_bulk(&batch).await?;
            batch.clear();
            if (index + 1) % 2_000 == 0 {
                eprintln!(
                    "parley-history-seed: {} conversations, {messages} messages, {:.0} s",
                    index + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let mut long_id = None;
    let mut long_last_message_id = None;
    if options.long > 0 {
        let mut generated = conversation(&mut rng, options.conversations, options.long);
        generated.title = format!("A long conversation ({} messages)", options.long);
        let long_step = 3_000;
        let start = now - 2 * 60 * MINUTE_MS;
        let long = bulk(generated, start, long_step, options.conversations);
        messages += long.messages.len();
        text_bytes += long.messages.iter().map(|m| m.text.len()).sum::<usize>();
        let ids = store.insert_conversations_bulk(&[long]).await?;
        if let Some(id) = ids.first() {
            long_last_message_id = store.active_path(id).await?.last().map(|m| m.id.clone());
            long_id = Some(id.clone());
        }
    }
    store.close().await;
    let database_bytes = std::fs::metadata(&database).map_or(0, |m| m.len());
    Ok(json!({
        "database": database,
        "conversations": options.conversations + usize::from(options.long > 0),
        "messages": messages,
        "messagesPerConversation": options.messages,
        "longConversationId": long_id,
        "longMessages": options.long,
        "longLastMessageId": long_last_message_id,
        "textBytes": text_bytes,
        "databaseBytes": database_bytes,
        "elapsedMs": started.elapsed().as_millis() as u64,
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
    match seed(&options).await {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("parley-history-seed: {error}");
            ExitCode::FAILURE
        }
    }
}
