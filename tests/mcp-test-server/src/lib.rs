//! A small MCP server for Parley's tests, on the official SDK (`rmcp`).
//!
//! It speaks stdio (the default) or streamable HTTP, and its tools are chosen to exercise what a
//! client must survive: `echo`, `add`, `sleep` (to time out and cancel), `fail` (an `isError`
//! result), `image` (a PNG), `crash` (the process exits mid-call without answering) and
//! `bump_schema` (changes `echo`'s description and schema and sends
//! `notifications/tools/list_changed`). `--schema-version N` starts it at a given schema version,
//! so a test can restart it "upgraded".

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

/// The line written to stderr once the server listens, so tests can check stderr capture.
pub const READY_LINE: &str = "parley-mcp-test-server ready";

/// A 1×1 PNG, base64: the smallest real image a client has to pass on.
pub const TINY_PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EchoArgs {
    /// The text to send back.
    pub text: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SleepArgs {
    /// How long to sleep, in milliseconds.
    pub ms: u64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FailArgs {
    /// The error text the result carries.
    pub message: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddArgs {
    pub a: i64,
    pub b: i64,
}

/// The server. Cloned per HTTP session; the schema version is shared so that a bump is seen by
/// every session of one process.
#[derive(Clone)]
pub struct TestServer {
    tool_router: ToolRouter<Self>,
    schema_version: Arc<AtomicU32>,
}

impl TestServer {
    pub fn new(schema_version: u32) -> Self {
        Self {
            tool_router: Self::tool_router(),
            schema_version: Arc::new(AtomicU32::new(schema_version)),
        }
    }

    /// `echo`'s description at a schema version; tests compare against it.
    pub fn echo_description(schema_version: u32) -> String {
        format!("Echo the text back (schema version {schema_version})")
    }
}

#[tool_router]
impl TestServer {
    #[tool(description = "Echo the text back")]
    async fn echo(
        &self,
        Parameters(args): Parameters<EchoArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult::success(vec![ContentBlock::text(args.text)]))
    }

    #[tool(description = "Add two integers")]
    async fn add(
        &self,
        Parameters(args): Parameters<AddArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let sum = args
            .a
            .checked_add(args.b)
            .ok_or_else(|| ErrorData::invalid_params("the sum overflows a 64-bit integer", None))?;
        Ok(CallToolResult::success(vec![ContentBlock::text(
            sum.to_string(),
        )]))
    }

    #[tool(description = "Sleep for `ms` milliseconds, then answer \"slept\"")]
    async fn sleep(
        &self,
        Parameters(args): Parameters<SleepArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        // So a client's test can wait until the call is running here before it cancels: a
        // `notifications/cancelled` that arrives first names a request the server does not know
        // yet, which MCP says to ignore.
        eprintln!("sleep started");
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(args.ms)) => {
                Ok(CallToolResult::success(vec![ContentBlock::text("slept")]))
            }
            () = context.ct.cancelled() => {
                // Written so a client's test can see that `notifications/cancelled` arrived.
                eprintln!("sleep cancelled");
                Ok(CallToolResult::error(vec![ContentBlock::text("cancelled")]))
            }
        }
    }

    #[tool(description = "Answer with an error result carrying `message`")]
    async fn fail(
        &self,
        Parameters(args): Parameters<FailArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult::error(vec![ContentBlock::text(
            args.message,
        )]))
    }

    #[tool(description = "Answer with a small PNG image")]
    async fn image(&self) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult::success(vec![ContentBlock::image(
            TINY_PNG_BASE64,
            "image/png",
        )]))
    }

    #[tool(description = "Exit the process with status 1 without answering")]
    async fn crash(&self) -> Result<CallToolResult, ErrorData> {
        eprintln!("crashing on purpose");
        std::process::exit(1)
    }

    #[tool(description = "Change echo's description and schema, then notify tools/list_changed")]
    async fn bump_schema(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let version = self
            .schema_version
            .fetch_add(1, Ordering::SeqCst)
            .saturating_add(1);
        if let Err(error) = context.peer.notify_tool_list_changed().await {
            eprintln!("could not notify tools/list_changed: {error}");
        }
        Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "schema version {version}"
        ))]))
    }
}

impl ServerHandler for TestServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.tool_router
            .call(ToolCallContext::new(self, request, context))
            .await
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let version = self.schema_version.load(Ordering::SeqCst);
        let mut tools = self.tool_router.list_all();
        for tool in tools.iter_mut().filter(|tool| tool.name == "echo") {
            tool.description = Some(Self::echo_description(version).into());
            if version > 0 {
                // A schema change a client must notice: an extra optional property.
                let mut schema = (*tool.input_schema).clone();
                if let Some(serde_json::Value::Object(properties)) = schema.get_mut("properties") {
                    properties.insert(
                        "uppercase".to_owned(),
                        serde_json::json!({ "type": "boolean" }),
                    );
                }
                tool.input_schema = Arc::new(schema);
            }
        }
        Ok(ListToolsResult {
            tools,
            ..Default::default()
        })
    }
}

/// Serves one client on stdin/stdout until it goes away.
pub async fn serve_stdio(server: TestServer) -> std::io::Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(std::io::Error::other)?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}

/// Binds `addr` for streamable HTTP at `/mcp` (any path works); returns the bound address and the
/// future that serves connections until the process ends.
pub async fn bind_http(
    server: TestServer,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, impl Future<Output = ()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let service = TowerToHyperService::new(StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    ));
    let serve = async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    };
    Ok((bound, serve))
}
