//! `parley-mcp-test-server [--http --port N --addr-file PATH] [--schema-version N]`

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use parley_mcp_test_server::{READY_LINE, TestServer, bind_http, serve_stdio};

struct Options {
    http: bool,
    port: u16,
    addr_file: Option<PathBuf>,
    schema_version: u32,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        http: false,
        port: 0,
        addr_file: None,
        schema_version: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--http" => options.http = true,
            "--port" => {
                options.port = value("--port")?
                    .parse()
                    .map_err(|error| format!("--port: {error}"))?;
            }
            "--addr-file" => options.addr_file = Some(PathBuf::from(value("--addr-file")?)),
            "--schema-version" => {
                options.schema_version = value("--schema-version")?
                    .parse()
                    .map_err(|error| format!("--schema-version: {error}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("parley-mcp-test-server: {error}");
            return ExitCode::from(2);
        }
    };
    let server = TestServer::new(options.schema_version);
    let result = if options.http {
        run_http(server, options.port, options.addr_file).await
    } else {
        eprintln!("{READY_LINE}");
        // Tests of secret masking: print the value of the variable named here, as a careless
        // server logging its configuration would.
        if let Ok(name) = std::env::var("MCP_TEST_PRINT_ENV") {
            eprintln!("{name}={}", std::env::var(&name).unwrap_or_default());
        }
        serve_stdio(server).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("parley-mcp-test-server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run_http(
    server: TestServer,
    port: u16,
    addr_file: Option<PathBuf>,
) -> std::io::Result<()> {
    let (bound, serve) = bind_http(server, SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    if let Some(path) = addr_file {
        // Written whole to a temporary name and renamed, so a reader never sees half an address.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bound.to_string())?;
        std::fs::rename(&partial, &path)?;
    }
    eprintln!("{READY_LINE} on http://{bound}/mcp");
    serve.await;
    Ok(())
}
