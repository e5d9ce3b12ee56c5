//! `parley-bench-seed`: fills a Parley data directory with finished conversations, through the
//! same store (`parley-store`) the app uses, so the benchmarks can start the app on a realistic
//! history.
//!
//! ```text
//! parley-bench-seed --data-dir DIR [--conversations N] [--messages M] [--model ID]
//! ```
//!
//! Creates N conversations of M messages each (user and assistant alternating, all `done`, the
//! replies with usage and markdown: paragraphs, lists, now and then a code block or a table). The
//! text is generated deterministically, so every run seeds the same content. Prints one JSON line:
//! `{"database":..., "conversations":N, "messages":N*M, "newestId":..., "elapsedMs":...}`;
//! `newestId` is the conversation at the top of the sidebar.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use parley_store::{
    MessageFinish, MessageStatus, NewConversation, NewMessage, Role, Store, StoredUsage,
};
use serde_json::json;

/// The database file inside the data directory (`parley_core::app::DATABASE_FILE`).
const DATABASE_FILE: &str = "parley.sqlite3";
const DEFAULT_MODEL: &str = "claude-sonnet-4-5-20250929";

struct Options {
    data_dir: PathBuf,
    conversations: usize,
    messages: usize,
    model: String,
}

fn usage() -> String {
    "usage: parley-bench-seed --data-dir DIR [--conversations N] [--messages M] [--model ID]".into()
}

fn parse_args() -> Result<Options, String> {
    let mut data_dir = None;
    let mut conversations = 1;
    let mut messages = 2;
    let mut model = DEFAULT_MODEL.to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--data-dir" => data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--conversations" => {
                conversations = value("--conversations")?
                    .parse()
                    .map_err(|e| format!("--conversations: {e}"))?;
            }
            "--messages" => {
                messages = value("--messages")?
                    .parse()
                    .map_err(|e| format!("--messages: {e}"))?;
            }
            "--model" => model = value("--model")?,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    let data_dir = data_dir.ok_or_else(usage)?;
    Ok(Options {
        data_dir,
        conversations,
        messages,
        model,
    })
}

/// A small deterministic generator (64-bit LCG), so seeded content is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOPICS: &[&str] = &[
    "SQLite WAL checkpoints",
    "a Rust borrow checker error",
    "Svelte 5 runes",
    "the trip to Kyoto",
    "unit tests for the parser",
    "a cover letter",
    "Tokio cancellation",
    "CSS grid layout",
    "the quarterly report",
    "a bread recipe",
    "TLS certificate renewal",
    "regex for ISO dates",
];

const WORDS: &[&str] = &[
    "the",
    "stream",
    "reply",
    "buffer",
    "token",
    "render",
    "message",
    "quickly",
    "because",
    "each",
    "frame",
    "batch",
    "update",
    "markdown",
    "parser",
    "query",
    "index",
    "window",
    "latency",
    "simple",
    "careful",
    "value",
    "result",
    "error",
    "retry",
    "branch",
    "history",
    "search",
    "settings",
    "keychain",
    "request",
    "response",
    "with",
    "without",
    "before",
    "after",
    "then",
    "usually",
    "never",
    "always",
    "small",
    "large",
    "café",
    "naïve",
    "日本語",
    "example",
];

fn sentence(rng: &mut Lcg) -> String {
    let n = 6 + rng.below(14);
    let mut words: Vec<String> = (0..n).map(|_| rng.pick(WORDS).to_owned()).collect();
    if rng.below(4) == 0 {
        let i = rng.below(words.len());
        words[i] = format!("**{}**", words[i]);
    }
    if rng.below(4) == 0 {
        let i = rng.below(words.len());
        words[i] = format!("`{}`", words[i]);
    }
    let mut s = words.join(" ");
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s.push('.');
    s
}

fn paragraph(rng: &mut Lcg) -> String {
    let n = 2 + rng.below(4);
    (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
}

fn user_text(rng: &mut Lcg, topic: &str) -> String {
    match rng.below(3) {
        0 => format!("Can you help me with {topic}? {}", sentence(rng)),
        1 => format!("{} What about {topic}?", paragraph(rng)),
        _ => sentence(rng),
    }
}

fn assistant_text(rng: &mut Lcg) -> String {
    let mut parts = vec![paragraph(rng)];
    if rng.below(2) == 0 {
        let items = 2 + rng.below(4);
        parts.push(
            (0..items)
                .map(|_| format!("- {}", sentence(rng)))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    match rng.below(5) {
        0 => parts.push(format!(
            "```rust\nfn step(n: u64) -> u64 {{\n    // {}\n    n.wrapping_mul({}).rotate_left(7)\n}}\n```",
            sentence(rng),
            rng.below(1000)
        )),
        1 => parts.push(format!(
            "| option | effect |\n|---|---|\n| `a` | {} |\n| `b` | {} |",
            sentence(rng),
            sentence(rng)
        )),
        _ => {}
    }
    parts.push(paragraph(rng));
    parts.join("\n\n")
}

fn content_json(text: &str) -> String {
    json!([{ "type": "text", "text": text }]).to_string()
}

async fn seed(options: &Options) -> Result<serde_json::Value, parley_store::StoreError> {
    let started = Instant::now();
    let database = options.data_dir.join(DATABASE_FILE);
    let store = Store::open(&database).await?;
    let mut rng = Lcg(0x5eed_5eed);
    let mut newest = None;
    let mut total = 0usize;
    for c in 0..options.conversations {
        let topic = rng.pick(TOPICS);
        let conversation = store
            .create_conversation(&NewConversation {
                title: format!("{} #{}", topic, c + 1),
                model: options.model.clone(),
                system_prompt: None,
            })
            .await?;
        let mut parent: Option<String> = None;
        for m in 0..options.messages {
            let (role, text) = if m % 2 == 0 {
                (Role::User, user_text(&mut rng, topic))
            } else {
                (Role::Assistant, assistant_text(&mut rng))
            };
            let content = content_json(&text);
            let stored = store
                .insert_message(&NewMessage {
                    conversation_id: conversation.id.clone(),
                    parent_id: parent.clone(),
                    role,
                    content_json: content.clone(),
                    text: text.clone(),
                    model: (role == Role::Assistant).then(|| options.model.clone()),
                    status: if role == Role::Assistant {
                        MessageStatus::Streaming
                    } else {
                        MessageStatus::Done
                    },
                })
                .await?;
            if role == Role::Assistant {
                store
                    .finish_message(
                        &stored.id,
                        &MessageFinish {
                            status: MessageStatus::Done,
                            content_json: content,
                            text: text.clone(),
                            stop_reason: Some("end_turn".into()),
                            stop_sequence: None,
                            usage: StoredUsage {
                                input_tokens: Some(20 + 3 * m as i64),
                                output_tokens: Some(text.split_whitespace().count() as i64),
                                cache_creation_input_tokens: None,
                                cache_read_input_tokens: None,
                            },
                            error_kind: None,
                            error_message: None,
                            request_id: Some(format!("req_seed_{c}_{m}")),
                        },
                    )
                    .await?;
            }
            parent = Some(stored.id);
            total += 1;
        }
        newest = Some(conversation.id);
    }
    store.close().await;
    Ok(json!({
        "database": database,
        "conversations": options.conversations,
        "messages": total,
        "newestId": newest,
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
            eprintln!("parley-bench-seed: {error}");
            ExitCode::FAILURE
        }
    }
}
