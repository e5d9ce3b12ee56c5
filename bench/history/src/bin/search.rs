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
//! - sqlite3: one `sqlite3` process, started once and kept open like the app's store, reading
//!   commands from a pipe. For each query the values are bound once (the shell's parameter
//!   table, keys `?1`, `?2`, ...); a unit is the statement K times with rows written to
//!   /dev/null followed by `.print` of a marker, timed from writing the commands to reading the
//!   marker back, minus the median time of the marker alone (the pipe's round trip), divided by
//!   K. The statement is the one `parley_store::search_statement` returns, which is what
//!   `search_messages` runs, in its `baseline_sql` form: where the store's statement calls
//!   `parley_find` (matching in any case in every script, a function the shell does not have),
//!   this one calls SQLite's `instr(lower(..), lower(..))`, which folds ASCII letters only.
//!
//! Both sides are timed warm: the shell's page cache holds what earlier runs read, as the
//! store's connection does. (A fresh process per unit, as this benchmark first did, charged the
//! shell with its start-up, reading the schema, setting up FTS5 and a cold page cache on every
//! unit; with only a few runs per unit on a busy machine that made sqlite3 look slower than it
//! is.) What stays in the shell's time and not in Parley's, because it is how the shell runs a
//! statement: preparing the statement on every run (the store caches it) and looking up each
//! bound value in the parameter table.
//!
//! Every query runs once on each side first (warm-up, not counted), then `reps` rounds of: a
//! Parley unit, a marker round trip, a sqlite3 unit, so a busy machine slows both alike.
//! p50 and p95 are over the per-unit means. The hit counts of the two sides are compared (the
//! statement returns its hits as one JSON array, on both sides).
//! Prints one JSON object.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
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
    // Letters with case outside ASCII: the store confirms these with its own `parley_find`
    // (any case, every script), the shell with `instr(lower(..))`. The generated history holds
    // none of them, so both find nothing: a search of the trigram index that finds no
    // candidate, and a 1-2 character scan of every message.
    ("cased letters outside ASCII", "école"),
    ("cased letters outside ASCII", "ΠΡΟΣ"),
    ("cased letters outside ASCII", "Éq"),
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

/// Shell commands that bind the statement's values (`.param` table, keys `?1`, `?2`, ...).
fn bind_script(params: &[SearchParam]) -> String {
    let mut script = String::from(".param init\nDELETE FROM temp.sqlite_parameters;\n");
    for (i, param) in params.iter().enumerate() {
        script.push_str(&format!(
            "INSERT INTO temp.sqlite_parameters (key, value) VALUES ('?{}', {});\n",
            i + 1,
            sql_value(param)
        ));
    }
    script
}

/// The statement `runs` times with its rows written to /dev/null.
fn unit_script(sql: &str, runs: usize) -> String {
    let mut script = String::from(".output /dev/null\n");
    for _ in 0..runs {
        script.push_str(sql);
        script.push_str(";\n");
    }
    script.push_str(".output stdout\n");
    script
}

/// Printed after each batch of commands; reading it back means the batch has run.
const DONE_MARKER: &str = "parley-history-search:done";

/// A `sqlite3` shell on the database, kept open and fed commands through a pipe.
struct Shell {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Shell {
    fn start(options: &Options) -> Result<Shell, String> {
        let mut child = Command::new(&options.sqlite3)
            .arg("-batch")
            .arg("-bail")
            .arg(&options.database)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not run {}: {e}", options.sqlite3))?;
        let stdin = child.stdin.take().ok_or("sqlite3 has no stdin")?;
        let stdout = child.stdout.take().ok_or("sqlite3 has no stdout")?;
        Ok(Shell {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }

    /// Runs `script`; what it printed, and the time from sending it to reading the marker.
    fn run(&mut self, script: &str) -> Result<(String, Duration), String> {
        let started = Instant::now();
        let sent = self
            .stdin
            .write_all(script.as_bytes())
            .and_then(|()| {
                self.stdin
                    .write_all(format!(".print {DONE_MARKER}\n").as_bytes())
            })
            .and_then(|()| self.stdin.flush());
        let mut printed = String::new();
        let mut line = String::new();
        let finished = sent.is_ok()
            && loop {
                line.clear();
                match self.stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => break false,
                    Ok(_) if line.trim_end() == DONE_MARKER => break true,
                    Ok(_) => printed.push_str(&line),
                }
            };
        let elapsed = started.elapsed();
        if finished {
            return Ok((printed, elapsed));
        }
        // With -bail the shell exits at the first error, which it wrote to stderr.
        let _ = self.child.kill();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        Err(format!("sqlite3 failed: {}", stderr.trim()))
    }

    fn close(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
    }
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
    let mut shell = Shell::start(options)?;
    let result = bench_queries(options, &store, &mut shell).await;
    shell.close();
    store.close().await;
    result
}

async fn bench_queries(
    options: &Options,
    store: &Store,
    shell: &mut Shell,
) -> Result<Value, String> {
    let (version, _) = shell.run("SELECT sqlite_version();\n")?;
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
        shell.run(&bind_script(&statement.params))?;
        // The statement returns its hits as one JSON array (see parley_store::search).
        let (counted, _) = shell.run(&format!(
            "SELECT 'rows=' || json_array_length(({}));\n",
            statement.baseline_sql
        ))?;
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
        shell.run(&unit_script(statement.baseline_sql, 1))?;

        let runs =
            ((UNIT_TARGET_MS / warm_ms.max(0.01)).ceil() as usize).clamp(1, MAX_RUNS_PER_UNIT);
        let unit = unit_script(statement.baseline_sql, runs);
        let mut parley = Vec::with_capacity(options.reps);
        let mut round_trips = Vec::with_capacity(options.reps);
        let mut units = Vec::with_capacity(options.reps);
        for _ in 0..options.reps {
            let started = Instant::now();
            for _ in 0..runs {
                std::hint::black_box(search().await?);
            }
            parley.push(ms(started.elapsed()) / runs as f64);
            round_trips.push(ms(shell.run("")?.1));
            units.push(ms(shell.run(&unit)?.1));
        }
        let overhead = percentile(&round_trips, 50.0);
        let sqlite: Vec<f64> = units
            .iter()
            .map(|unit| ((unit - overhead) / runs as f64).max(0.0))
            .collect();

        eprintln!(
            "parley-history-search: {class:>14} {query:<22} {hits:>3} hits, {runs:>3} runs/unit: \
             Parley p50 {:8.3} ms, sqlite3 p50 {:8.3} ms (round trip {overhead:.3} ms)",
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
            // The marker's round trip through the shell's pipes, subtracted from each unit.
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
