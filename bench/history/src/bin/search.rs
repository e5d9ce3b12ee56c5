//! `parley-history-search`: search latency on a seeded history, through Parley's store
//! (`Store::search_messages`, the call behind the `search_history` command) against the same
//! statement with the same bound values run by the `sqlite3` command on the same file, in the
//! same run.
//!
//! ```text
//! parley-history-search --database FILE [--reps 15] [--limit 50] [--sqlite3 sqlite3]
//! ```
//!
//! The sqlite3 shell times statements (`.timer on`) only in whole milliseconds, and most queries
//! take about one, so both sides are timed in units of K back-to-back runs of the query, K
//! chosen per query so that a unit takes about [`UNIT_TARGET_MS`] (from a second Parley run):
//!
//! - Parley: wall time of K `search_messages` calls (`Instant`, in process, on the store opened
//!   with `Store::open` as the app opens it), divided by K.
//! - sqlite3: wall time of a `sqlite3` process that binds the values (the shell's parameter
//!   table, keys `?1`, `?2`, ...) and runs the statement K times with rows written to /dev/null,
//!   minus the median wall time of the same process without the statement (start-up, opening
//!   the file, binding), divided by K. The statement is the one `parley_store::search_statement`
//!   returns, which is what `search_messages` runs.
//!
//! Every query runs once on each side first (warm-up, not counted), then `reps` rounds of: a
//! Parley unit, an empty sqlite3 process, a sqlite3 unit, so a busy machine slows both alike.
//! p50 and p95 are over the per-unit means. The row counts of the two sides are compared.
//! Prints one JSON object.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use parley_store::{SearchParam, Store, search_statement};
use serde_json::{Value, json};

/// The fixed query set: (class, query). Frequencies follow from the generator (see the
/// library): English is 60% of conversations, Chinese 30%, Japanese 10%; rare words occur in
/// a few dozen messages each.
const QUERIES: &[(&str, &str)] = &[
    ("common word", "the"),
    ("common word", "message"),
    ("common word", "response"),
    ("rare word", "xylophone"),
    ("rare word", "quokka"),
    ("rare word", "nonexistent"),
    ("phrase", "help me with"),
    ("phrase", "the quarterly report"),
    ("CJK 3-5 chars", "数据库"),
    ("CJK 3-5 chars", "全文搜索"),
    ("CJK 3-5 chars", "量子纠缠"),
    ("CJK 3-5 chars", "形態素解析"),
    ("1-2 chars", "a"),
    ("1-2 chars", "缓存"),
    ("1-2 chars", "の"),
    ("1-2 chars", "zq"),
];

/// About how long one timed unit (K runs of a query) takes.
const UNIT_TARGET_MS: f64 = 50.0;
/// The most runs per unit.
const MAX_RUNS_PER_UNIT: usize = 500;

struct Options {
    database: PathBuf,
    reps: usize,
    limit: i64,
    sqlite3: String,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        database: PathBuf::new(),
        reps: 15,
        limit: 50,
        sqlite3: "sqlite3".to_owned(),
    };
    let mut database = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--database" => database = Some(PathBuf::from(value("--database")?)),
            "--reps" => {
                options.reps = value("--reps")?
                    .parse()
                    .map_err(|e| format!("--reps: {e}"))?;
            }
            "--limit" => {
                options.limit = value("--limit")?
                    .parse()
                    .map_err(|e| format!("--limit: {e}"))?;
            }
            "--sqlite3" => options.sqlite3 = value("--sqlite3")?,
            other => {
                return Err(format!(
                    "unknown argument {other}\nusage: parley-history-search --database FILE \
                     [--reps N] [--limit N] [--sqlite3 PATH]"
                ));
            }
        }
    }
    options.database = database.ok_or("--database is required")?;
    Ok(options)
}

/// A SQL expression for `param`: text as a hex blob cast to text, so any character (the
/// snippet markers are control characters) survives the shell's line-based input.
fn sql_value(param: &SearchParam) -> String {
    match param {
        SearchParam::Integer(value) => value.to_string(),
        SearchParam::Text(text) => {
            let hex: String = text.bytes().map(|b| format!("{b:02X}")).collect();
            format!("CAST(X'{hex}' AS TEXT)")
        }
    }
}

/// The shell script that binds the statement's values (`.param` table, keys `?1`, `?2`, ...)
/// and runs it `runs` times with rows written to /dev/null (`runs` 0: the binding alone), or
/// prints its row count.
fn sqlite3_script(sql: &str, params: &[SearchParam], runs: usize, count_only: bool) -> String {
    let mut script = String::from(".param init\n");
    for (i, param) in params.iter().enumerate() {
        script.push_str(&format!(
            "INSERT INTO temp.sqlite_parameters (key, value) VALUES ('?{}', {});\n",
            i + 1,
            sql_value(param)
        ));
    }
    if count_only {
        script.push_str(&format!("SELECT 'rows=' || count(*) FROM ({sql});\n"));
        return script;
    }
    script.push_str(".output /dev/null\n");
    for _ in 0..runs {
        script.push_str(sql);
        script.push_str(";\n");
    }
    script
}

/// Runs `script` in a sqlite3 process on the database; its stdout and wall time (from spawn to
/// exit).
fn run_sqlite3(options: &Options, script: &str) -> Result<(String, Duration), String> {
    let started = Instant::now();
    let mut child = Command::new(&options.sqlite3)
        .arg("-batch")
        .arg("-bail")
        .arg(&options.database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {}: {e}", options.sqlite3))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| format!("writing to sqlite3: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("sqlite3: {e}"))?;
    let elapsed = started.elapsed();
    if !output.status.success() || !output.stderr.is_empty() {
        return Err(format!(
            "sqlite3 failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok((
        String::from_utf8_lossy(&output.stdout).into_owned(),
        elapsed,
    ))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn stats(values: &[f64]) -> Value {
    json!({
        "p50": percentile(values, 50.0),
        "p95": percentile(values, 95.0),
        "max": percentile(values, 100.0),
        "n": values.len(),
    })
}

async fn bench(options: &Options) -> Result<Value, String> {
    let store = Store::open(&options.database)
        .await
        .map_err(|e| format!("opening {}: {e}", options.database.display()))?;
    let (version, _) = run_sqlite3(options, "SELECT sqlite_version();\n")?;
    let mut rows = Vec::new();
    let mut by_class: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    for &(class, query) in QUERIES {
        let statement = search_statement(query, options.limit)
            .ok_or_else(|| format!("{query:?} is an empty query"))?;
        let search = || async {
            store
                .search_messages(query, options.limit)
                .await
                .map_err(|e| format!("search {query:?}: {e}"))
        };

        // Warm-up on both sides; the row counts must agree. A second call sizes the units.
        let hits = search().await?.len();
        let started = Instant::now();
        std::hint::black_box(search().await?);
        let warm_ms = ms(started.elapsed());
        let (counted, _) = run_sqlite3(
            options,
            &sqlite3_script(statement.sql, &statement.params, 0, true),
        )?;
        let sqlite_rows: usize = counted
            .lines()
            .find_map(|line| line.strip_prefix("rows="))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("sqlite3 printed no row count for {query:?}: {counted}"))?;
        if sqlite_rows != hits {
            return Err(format!(
                "{query:?}: Parley found {hits} hits, sqlite3 {sqlite_rows} rows"
            ));
        }
        run_sqlite3(
            options,
            &sqlite3_script(statement.sql, &statement.params, 1, false),
        )?;

        let runs =
            ((UNIT_TARGET_MS / warm_ms.max(0.01)).ceil() as usize).clamp(1, MAX_RUNS_PER_UNIT);
        let empty_script = sqlite3_script(statement.sql, &statement.params, 0, false);
        let unit_script = sqlite3_script(statement.sql, &statement.params, runs, false);
        let mut parley = Vec::with_capacity(options.reps);
        let mut empty = Vec::with_capacity(options.reps);
        let mut units = Vec::with_capacity(options.reps);
        for _ in 0..options.reps {
            let started = Instant::now();
            for _ in 0..runs {
                std::hint::black_box(search().await?);
            }
            parley.push(ms(started.elapsed()) / runs as f64);
            empty.push(ms(run_sqlite3(options, &empty_script)?.1));
            units.push(ms(run_sqlite3(options, &unit_script)?.1));
        }
        let overhead = percentile(&empty, 50.0);
        let sqlite: Vec<f64> = units
            .iter()
            .map(|unit| ((unit - overhead) / runs as f64).max(0.0))
            .collect();

        eprintln!(
            "parley-history-search: {class:>14} {query:<22} {hits:>3} hits, {runs:>3} runs/unit: \
             Parley p50 {:8.3} ms, sqlite3 p50 {:8.3} ms (process overhead {overhead:.1} ms)",
            percentile(&parley, 50.0),
            percentile(&sqlite, 50.0)
        );
        rows.push(json!({
            "class": class,
            "query": query,
            "path": format!("{:?}", statement.path),
            "hits": hits,
            "runsPerUnit": runs,
            "parley": stats(&parley),
            "sqlite3": stats(&sqlite),
            "sqlite3OverheadMs": overhead,
            "parleyMs": parley,
            "sqlite3Ms": sqlite,
        }));
        match by_class.iter_mut().find(|(c, _, _)| *c == class) {
            Some((_, p, s)) => {
                p.extend(&parley);
                s.extend(&sqlite);
            }
            None => by_class.push((class, parley, sqlite)),
        }
    }
    store.close().await;
    let all_parley: Vec<f64> = by_class.iter().flat_map(|(_, p, _)| p.clone()).collect();
    let all_sqlite: Vec<f64> = by_class.iter().flat_map(|(_, _, s)| s.clone()).collect();
    let classes: Vec<Value> = by_class
        .iter()
        .map(|(class, parley, sqlite)| {
            json!({ "class": class, "parley": stats(parley), "sqlite3": stats(sqlite) })
        })
        .collect();
    Ok(json!({
        "database": options.database,
        "reps": options.reps,
        "unitTargetMs": UNIT_TARGET_MS,
        "limit": options.limit,
        "sqlite3Version": version.trim(),
        "queries": rows,
        "classes": classes,
        "overall": { "parley": stats(&all_parley), "sqlite3": stats(&all_sqlite) },
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
            eprintln!("parley-history-search: {error}");
            ExitCode::FAILURE
        }
    }
}
