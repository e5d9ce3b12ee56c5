//! `parley-mock-claude [--port N] [--addr-file PATH] [--quiet]`
//!
//! Serves the mock Claude API on 127.0.0.1 until killed (SIGTERM or Ctrl-C end it through
//! their default action). Prints `listening on http://127.0.0.1:PORT` once ready, and writes the
//! same base URL to `--addr-file` when given, so scripts can wait for the file.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use parley_mock_claude::MockServer;

const USAGE: &str = "usage: parley-mock-claude [--port N] [--addr-file PATH] [--quiet]\n\
  --port N          port on 127.0.0.1 (default 0: any free port)\n\
  --addr-file PATH  write the base URL to PATH once listening\n\
  --quiet           do not log requests to stderr";

struct Args {
    port: u16,
    addr_file: Option<String>,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        addr_file: None,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{what} needs a value"))
        };
        match name.as_str() {
            "--port" => {
                let v = value("--port")?;
                args.port = v.parse().map_err(|_| format!("invalid port: {v}"))?;
            }
            "--addr-file" => args.addr_file = Some(value("--addr-file")?),
            "--quiet" => args.quiet = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let server = match MockServer::start_on(SocketAddr::from(([127, 0, 0, 1], args.port))).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("cannot listen on 127.0.0.1:{}: {err}", args.port);
            return ExitCode::FAILURE;
        }
    };
    server.set_logging(!args.quiet);
    let url = server.base_url();
    if let Some(path) = &args.addr_file {
        // Write then rename, so a script polling for the file never reads it half-written.
        let tmp = format!("{path}.tmp");
        let written =
            std::fs::write(&tmp, format!("{url}\n")).and_then(|()| std::fs::rename(&tmp, path));
        if let Err(err) = written {
            eprintln!("cannot write {path}: {err}");
            return ExitCode::FAILURE;
        }
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {url}");
    let _ = stdout.flush();
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
