//! `parley-history-upgrade`: opens a history with `Store::open_reporting`, as the app does at
//! start-up, and prints when each step of its upgrade began, so the time an upgrade takes on a
//! large history (and so whether the app shows its progress) can be measured.
//!
//! ```text
//! parley-history-upgrade --database FILE
//! ```
//!
//! Prints one JSON object: the steps reported, each with the milliseconds since the open began
//! (an indexing step only when its count of messages changed by 10% or more, and its last), and
//! the total. An up-to-date history reports no step.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use parley_store::{OpenProgress, Store};
use serde_json::json;

fn database() -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (Some("--database"), Some(file), None) => Ok(PathBuf::from(file)),
        _ => Err("usage: parley-history-upgrade --database FILE".into()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let path = match database() {
        Ok(path) => path,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let steps = Mutex::new(Vec::new());
    let last_tenth = Mutex::new(None);
    let report = |step: OpenProgress| {
        let at_ms = started.elapsed().as_secs_f64() * 1000.0;
        if let OpenProgress::Indexing { done, total } = step {
            let tenth = (done * 10).checked_div(total).unwrap_or(10);
            let mut last = last_tenth.lock().unwrap_or_else(|e| e.into_inner());
            if *last == Some(tenth) && done < total {
                return;
            }
            *last = Some(tenth);
        }
        steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(json!({ "step": step, "atMs": at_ms }));
    };
    match Store::open_reporting(&path, &report).await {
        Ok(store) => {
            store.close().await;
            let total_ms = started.elapsed().as_secs_f64() * 1000.0;
            let steps = steps.into_inner().unwrap_or_else(|e| e.into_inner());
            println!("{}", json!({ "steps": steps, "totalMs": total_ms }));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("parley-history-upgrade: {error}");
            ExitCode::FAILURE
        }
    }
}
