//! The proxy setting for real: a SOCKS5 proxy and an HTTP forward proxy written here (real TCP,
//! with authentication), the mock Claude server behind them, and `Parley` sending through them.
//! Requests reach the mock only through the proxy; credentials are used; the no-proxy list is
//! honoured; a dead proxy gives an error that names it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use parley_core::proxy::ProxySettings;
use parley_core::{
    CollectingSink, Environment, ImagePlacement, MessageView, Parley, SendRequest, Settings,
};
use parley_mock_claude::MockServer;
use parley_secrets::MemorySecretStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "sk-ant-test-key-proxy";
const USER: &str = "proxy-user";
const PASSWORD: &str = "proxy-pass-42";

/// What a test proxy saw.
#[derive(Debug, Default, Clone)]
struct Seen {
    connections: usize,
    /// `user:password` of each authentication.
    credentials: Vec<String>,
    /// `host:port` of each tunnel or forwarded request.
    targets: Vec<String>,
}

struct TestProxy {
    url: String,
    seen: Arc<Mutex<Seen>>,
    accepting: tokio::task::JoinHandle<()>,
}

impl TestProxy {
    fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }

    /// Stops listening: a new connection to the proxy is refused from here on.
    async fn close(self) {
        self.accepting.abort();
        let _ = self.accepting.await;
    }
}

/// A SOCKS5 proxy (RFC 1928) requiring user name and password (RFC 1929).
async fn socks5_proxy() -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("socks5h://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = Arc::clone(&seen);
    let accepting = tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let _ = socks5_session(client, record).await;
            });
        }
    });
    TestProxy {
        url,
        seen,
        accepting,
    }
}

async fn socks5_session(mut client: TcpStream, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    seen.lock().unwrap().connections += 1;
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods).await?;
    if !methods.contains(&2) {
        client.write_all(&[5, 0xff]).await?;
        return Ok(());
    }
    client.write_all(&[5, 2]).await?;
    let mut version_and_len = [0u8; 2];
    client.read_exact(&mut version_and_len).await?;
    let mut user = vec![0u8; usize::from(version_and_len[1])];
    client.read_exact(&mut user).await?;
    let mut password_len = [0u8; 1];
    client.read_exact(&mut password_len).await?;
    let mut password = vec![0u8; usize::from(password_len[0])];
    client.read_exact(&mut password).await?;
    let credentials = format!(
        "{}:{}",
        String::from_utf8_lossy(&user),
        String::from_utf8_lossy(&password)
    );
    let accepted = credentials == format!("{USER}:{PASSWORD}");
    seen.lock().unwrap().credentials.push(credentials);
    client.write_all(&[1, if accepted { 0 } else { 1 }]).await?;
    if !accepted {
        return Ok(());
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    seen.lock().unwrap().targets.push(target.clone());
    let mut upstream = TcpStream::connect(&target).await?;
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// An HTTP forward proxy requiring Basic authentication: reads the first request's head, notes
/// its `Proxy-Authorization`, connects to the host of its absolute URL and passes the bytes
/// through unchanged (the mock reads the absolute form).
async fn http_proxy() -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = Arc::clone(&seen);
    let accepting = tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let _ = http_session(client, record).await;
            });
        }
    });
    TestProxy {
        url,
        seen,
        accepting,
    }
}

async fn http_session(mut client: TcpStream, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    seen.lock().unwrap().connections += 1;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let target = text
        .split_whitespace()
        .nth(1)
        .and_then(|url| url.strip_prefix("http://"))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let authorization = text
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .starts_with("proxy-authorization:")
                .then(|| line.split_once(':').map(|(_, v)| v.trim().to_owned()))
                .flatten()
        })
        .unwrap_or_default();
    {
        let mut seen = seen.lock().unwrap();
        seen.credentials.push(authorization);
        seen.targets.push(target.clone());
    }
    let mut upstream = TcpStream::connect(&target).await?;
    upstream.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn parley_through(mock: &MockServer, proxy: ProxySettings) -> (Parley, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::with_key_for(&mock.base_url(), KEY).unwrap());
    let parley = Parley::open(dir.path(), secrets, Environment::default())
        .await
        .unwrap();
    let mut settings = Settings::defaults(None);
    settings.base_url = mock.base_url();
    settings.title_model = None;
    settings.proxy = proxy;
    parley.save_settings(settings).await.unwrap();
    parley.set_proxy_password(PASSWORD.into()).await.unwrap();
    (parley, dir)
}

async fn ask(parley: &Parley, text: &str) -> MessageView {
    let sink = CollectingSink::default();
    parley
        .send_message(
            SendRequest {
                conversation_id: None,
                text: text.into(),
                model: "claude-haiku-4-5-20251001".into(),
                system_prompt: None,
                images: Vec::new(),
                image_placement: ImagePlacement::BeforeText,
                params: None,
                prefill: None,
            },
            Arc::new(sink.clone()),
        )
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), sink.finished())
        .await
        .expect("the reply finishes")
}

fn custom(url: &str, no_proxy: &str) -> ProxySettings {
    ProxySettings::Custom {
        url: url.into(),
        username: Some(USER.into()),
        no_proxy: no_proxy.into(),
    }
}

fn mock_address(mock: &MockServer) -> String {
    mock.addr().to_string()
}

#[tokio::test]
async fn a_socks5h_proxy_with_credentials_carries_the_requests() {
    let mock = MockServer::start().await.unwrap();
    let proxy = socks5_proxy().await;
    let (parley, _dir) = parley_through(&mock, custom(&proxy.url, "")).await;
    let reply = ask(&parley, "through socks").await;
    assert_eq!(
        reply.status,
        parley_core::view::StatusView::Done,
        "{:?}",
        reply.error
    );
    let seen = proxy.seen();
    assert!(seen.connections >= 1);
    assert_eq!(seen.credentials[0], format!("{USER}:{PASSWORD}"));
    assert!(seen.targets.contains(&mock_address(&mock)), "{seen:?}");
    assert_eq!(mock.message_requests().len(), 1);
    // The test button goes through the typed proxy too.
    let report = parley
        .test_proxy(custom(&proxy.url, ""), None)
        .await
        .unwrap();
    assert!(!report.model.is_empty());
    assert!(proxy.seen().connections >= 2);
}

#[tokio::test]
async fn an_http_proxy_gets_basic_credentials_and_the_no_proxy_list_bypasses_it() {
    let mock = MockServer::start().await.unwrap();
    let proxy = http_proxy().await;
    let (parley, _dir) = parley_through(&mock, custom(&proxy.url, "")).await;
    let reply = ask(&parley, "through http").await;
    assert_eq!(
        reply.status,
        parley_core::view::StatusView::Done,
        "{:?}",
        reply.error
    );
    let seen = proxy.seen();
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    assert_eq!(seen.credentials[0], expected);
    assert_eq!(seen.targets[0], mock_address(&mock));

    // The mock's host in the no-proxy list: straight there, the proxy sees nothing more.
    let before = proxy.seen().connections;
    let mut settings = parley.settings().await.unwrap();
    settings.proxy = custom(&proxy.url, "127.0.0.1");
    parley.save_settings(settings).await.unwrap();
    let reply = ask(&parley, "bypassing").await;
    assert_eq!(
        reply.status,
        parley_core::view::StatusView::Done,
        "{:?}",
        reply.error
    );
    assert_eq!(
        proxy.seen().connections,
        before,
        "the no-proxy host went direct"
    );
    assert_eq!(mock.message_requests().len(), 2);

    // And "none" never uses it.
    let mut settings = parley.settings().await.unwrap();
    settings.proxy = ProxySettings::None;
    parley.save_settings(settings).await.unwrap();
    ask(&parley, "direct").await;
    assert_eq!(proxy.seen().connections, before);
}

#[tokio::test]
async fn a_dead_proxy_is_named_in_the_error() {
    let mock = MockServer::start().await.unwrap();
    // A port nobody listens on: bound, then closed.
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("socks5h://{}", listener.local_addr().unwrap())
    };
    let mut settings_proxy = custom(&dead, "");
    if let ProxySettings::Custom { username, .. } = &mut settings_proxy {
        *username = None;
    }
    let (parley, _dir) = parley_through(&mock, settings_proxy.clone()).await;
    let reply = ask(&parley, "nowhere").await;
    let error = reply.error.expect("the reply failed");
    assert!(
        error.message.contains(&format!("through the proxy {dead}")),
        "{}",
        error.message
    );
    assert!(
        mock.message_requests().is_empty(),
        "nothing reached the API"
    );
    let tested = parley
        .test_proxy(settings_proxy, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        tested.contains("cannot be reached") && tested.contains(&dead),
        "{tested}"
    );
}

/// The test MCP server's binary, built on demand when this package is tested alone.
fn mcp_server_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(std::path::Path::parent).unwrap();
    let binary = profile_dir.join("parley-mcp-test-server");
    if !binary.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-p", "parley-mcp-test-server"])
            .status()
            .unwrap();
        assert!(status.success(), "building the test server failed");
    }
    binary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_server_over_http_goes_through_the_proxy_too() {
    use parley_core::tools::{McpServerDraft, McpServerState, TransportDraft};
    let mock = MockServer::start().await.unwrap();
    let proxy = http_proxy().await;
    let (parley, dir) = parley_through(&mock, custom(&proxy.url, "")).await;
    let addr_file = dir.path().join("mcp-addr");
    let _server = tokio::process::Command::new(mcp_server_binary())
        .args(["--http", "--port", "0", "--addr-file"])
        .arg(&addr_file)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !addr_file.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the MCP server started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let addr = std::fs::read_to_string(&addr_file)
        .unwrap()
        .trim()
        .to_owned();
    let url = format!("http://{addr}/mcp");
    let saved = parley
        .save_mcp_server(McpServerDraft {
            id: None,
            name: "web".into(),
            transport: TransportDraft::Http {
                url: url.clone(),
                headers: vec![],
            },
            enabled: true,
        })
        .await
        .unwrap();
    loop {
        let servers = parley.list_mcp_servers().await.unwrap();
        match servers[0].state {
            McpServerState::Ready => break,
            McpServerState::Failed => panic!("{servers:?}"),
            _ => {}
        }
        assert!(tokio::time::Instant::now() < deadline, "{servers:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(proxy.seen().targets.contains(&addr), "{:?}", proxy.seen());

    // The setting changes to no proxy: the server is started again, straight to it. The proxy
    // stops listening first, so the restarted server can only become ready without it. (Counting
    // the proxy's connections instead raced with the old client, which may still open one.)
    proxy.close().await;
    let mut settings = parley.settings().await.unwrap();
    settings.proxy = ProxySettings::None;
    parley.save_settings(settings).await.unwrap();
    // A restart reconnects with the client the server was started with: the new one.
    parley.restart_mcp_server(&saved.id).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let servers = parley.list_mcp_servers().await.unwrap();
        if servers[0].state == McpServerState::Ready && servers[0].tools.len() >= 6 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{servers:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    parley.shutdown_mcp_servers().await;
}
