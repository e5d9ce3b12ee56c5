//! `parley-mock-claude [--port N] [--addr-file PATH] [--quiet] [--no-count-tokens] [--no-models]
//! [--gateway-not-found] [--reject-cache-control]`
//!
//! Serves the mock Claude API on 127.0.0.1 until killed (SIGTERM or Ctrl-C end it through
//! their default action). Prints `listening on http://127.0.0.1:PORT` once ready, and writes the
//! same base URL to `--addr-file` when given, so scripts can wait for the file.
//!
//! The other flags make it behave like a gateway that lacks a feature, so end-to-end tests can
//! check the app's fallbacks: `--no-count-tokens` and `--no-models` answer those routes like
//! unknown ones (404 `not_found_error`, or with `--gateway-not-found` HTTP 200 with
//! `{"code":404,"error":{...}}`), and `--reject-cache-control` refuses any `cache_control` with
//! 400 `... cache_control: Extra inputs are not permitted`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use parley_mock_claude::{MockServer, NotFoundStyle};

const USAGE: &str = "usage: parley-mock-claude [--port N] [--addr-file PATH] [--quiet] [--no-count-tokens]\n\
  \x20                         [--no-models] [--gateway-not-found] [--reject-cache-control]\n\
  --port N                 port on 127.0.0.1 (default 0: any free port)\n\
  --addr-file PATH         write the base URL to PATH once listening\n\
  --quiet                  do not log requests to stderr\n\
  --no-count-tokens        POST /v1/messages/count_tokens answers like an unknown route\n\
  --no-models              GET /v1/models answers like an unknown route\n\
  --gateway-not-found      unknown routes answer HTTP 200 {\"code\":404,\"error\":{\"message\",\"type\"}}\n\
  \x20                        like a wrapping gateway, instead of 404 not_found_error\n\
  --reject-cache-control   refuse any request with cache_control (400 \"...cache_control: Extra\n\
  \x20                        inputs are not permitted\"), like a gateway without prompt caching";

struct Args {
    port: u16,
    addr_file: Option<String>,
    quiet: bool,
    no_count_tokens: bool,
    no_models: bool,
    gateway_not_found: bool,
    reject_cache_control: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        addr_file: None,
        quiet: false,
        no_count_tokens: false,
        no_models: false,
        gateway_not_found: false,
        reject_cache_control: false,
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
            "--no-count-tokens" => args.no_count_tokens = true,
            "--no-models" => args.no_models = true,
            "--gateway-not-found" => args.gateway_not_found = true,
            "--reject-cache-control" => args.reject_cache_control = true,
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
    server.set_count_tokens_enabled(!args.no_count_tokens);
    server.set_models_enabled(!args.no_models);
    if args.gateway_not_found {
        server.set_not_found_style(NotFoundStyle::Gateway);
    }
    server.set_cache_control_rejected(args.reject_cache_control);
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
