//! How Parley reaches the network: the system's proxy, none, or one the user sets, applied
//! where the HTTP client is built. A desktop launcher sets no proxy variables, so "system" also
//! reads GNOME's proxy settings when the environment has none.
//!
//! The password of a custom proxy lives in the keychain (account [`PROXY_PASSWORD_ACCOUNT`]),
//! never in the settings table or the webview. Changing the setting or the password rebuilds
//! the client; nothing needs a restart.

use std::time::Duration;

use parley_claude::ApiKey;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};

/// The keychain account of the custom proxy's password.
pub const PROXY_PASSWORD_ACCOUNT: &str = "proxy-password";

/// The schemes a custom proxy may have. `socks5h` resolves names at the proxy (what users of
/// a SOCKS proxy almost always want); `socks5` resolves them here.
const SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

/// Settings → Network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    tag = "mode",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ProxySettings {
    /// The environment's `HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`, else GNOME's proxy settings.
    #[default]
    System,
    /// Straight to the API.
    None,
    /// This proxy, with an optional user name (the password is in the keychain) and hosts
    /// that bypass it (comma separated, as `NO_PROXY`).
    Custom {
        url: String,
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        no_proxy: String,
    },
}

impl ProxySettings {
    /// Checks a custom proxy's URL: one of [`SCHEMES`], a host, a port, no path and no
    /// credentials in it (they go in their own fields).
    pub fn validated(self) -> CoreResult<Self> {
        match self {
            Self::Custom {
                url,
                username,
                no_proxy,
            } => {
                let url = url.trim().to_owned();
                let parsed = url::Url::parse(&url).map_err(|_| {
                    CoreError::InvalidInput(format!(
                        "Proxy: \"{url}\" is not a URL such as socks5h://127.0.0.1:1080"
                    ))
                })?;
                if !SCHEMES.contains(&parsed.scheme()) {
                    return Err(CoreError::InvalidInput(format!(
                        "Proxy: the scheme must be http, https, socks5 or socks5h, not {}",
                        parsed.scheme()
                    )));
                }
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(CoreError::InvalidInput(
                        "Proxy: the URL needs a host".into(),
                    ));
                }
                if !parsed.username().is_empty() || parsed.password().is_some() {
                    return Err(CoreError::InvalidInput(
                        "Proxy: put the user name and password in their own fields, not in the URL"
                            .into(),
                    ));
                }
                Ok(Self::Custom {
                    url: url.trim_end_matches('/').to_owned(),
                    username: username
                        .map(|name| name.trim().to_owned())
                        .filter(|name| !name.is_empty()),
                    no_proxy: no_proxy.trim().to_owned(),
                })
            }
            other => Ok(other),
        }
    }
}

/// The proxy a client goes through, once resolved.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ResolvedProxy {
    /// `scheme://host:port`, without credentials: shown in errors.
    pub(crate) label: String,
    url: String,
    username: Option<String>,
    password: Option<ApiKey>,
    no_proxy: String,
}

impl std::fmt::Debug for ResolvedProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedProxy")
            .field("label", &self.label)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ResolvedProxy {
    /// The proxy's `host:port`, for telling a dead proxy from a dead API.
    pub(crate) fn address(&self) -> Option<String> {
        let url = url::Url::parse(&self.url).ok()?;
        let port = url.port_or_known_default().or(match url.scheme() {
            "socks5" | "socks5h" => Some(1080),
            _ => None,
        })?;
        Some(format!("{}:{port}", url.host_str()?))
    }
}

/// What the client is built with: no proxy at all, the environment's (reqwest reads it), or one
/// proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientProxy {
    Direct,
    Environment,
    Proxy(ResolvedProxy),
}

impl ClientProxy {
    pub(crate) fn label(&self) -> Option<String> {
        match self {
            Self::Proxy(proxy) => Some(proxy.label.clone()),
            _ => None,
        }
    }
}

/// Resolves `settings` (with the keychain's `password`): "system" looks at the environment,
/// then GNOME (a `gsettings` call, so call this off the async threads).
pub(crate) fn resolve(settings: &ProxySettings, password: Option<ApiKey>) -> ClientProxy {
    match settings {
        ProxySettings::None => ClientProxy::Direct,
        ProxySettings::Custom {
            url,
            username,
            no_proxy,
        } => ClientProxy::Proxy(ResolvedProxy {
            label: url.clone(),
            url: url.clone(),
            username: username.clone(),
            password,
            no_proxy: no_proxy.clone(),
        }),
        ProxySettings::System => {
            let from_env = [
                "HTTPS_PROXY",
                "https_proxy",
                "ALL_PROXY",
                "all_proxy",
                "HTTP_PROXY",
                "http_proxy",
            ]
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()));
            if from_env {
                ClientProxy::Environment
            } else {
                gnome_proxy().map_or(ClientProxy::Direct, ClientProxy::Proxy)
            }
        }
    }
}

/// GNOME's manual proxy (`org.gnome.system.proxy`), when its mode is `manual`: the HTTPS proxy,
/// else the SOCKS one. `None` without GNOME, `gsettings` or a manual proxy.
fn gnome_proxy() -> Option<ResolvedProxy> {
    let get = |schema: &str, key: &str| -> Option<String> {
        let output = run_with_timeout("gsettings", &["get", schema, key])?;
        Some(output.trim().trim_matches('\'').to_owned())
    };
    if get("org.gnome.system.proxy", "mode")? != "manual" {
        return None;
    }
    let ignore = get("org.gnome.system.proxy", "ignore-hosts")
        .map(|list| {
            list.trim_matches(['[', ']'])
                .split(',')
                .map(|host| host.trim().trim_matches('\'').to_owned())
                .filter(|host| !host.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    for (schema, scheme) in [
        ("org.gnome.system.proxy.https", "http"),
        ("org.gnome.system.proxy.socks", "socks5h"),
    ] {
        let host = get(schema, "host").unwrap_or_default();
        let port = get(schema, "port").unwrap_or_default();
        if !host.is_empty() && port != "0" && !port.is_empty() {
            let url = format!("{scheme}://{host}:{port}");
            return Some(ResolvedProxy {
                label: url.clone(),
                url,
                username: None,
                password: None,
                no_proxy: ignore,
            });
        }
    }
    None
}

/// Runs a short command, giving up after 2 s (a hung D-Bus must not hang the first request).
fn run_with_timeout(program: &str, args: &[&str]) -> Option<String> {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let mut output = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut output).ok()?;
    Some(output)
}

/// The error of a request that failed through `settings`' proxy: when the proxy itself cannot
/// be reached, says so (naming it); otherwise the API's error, which names the proxy already.
pub(crate) async fn explain_failure(
    settings: &ProxySettings,
    error: parley_claude::ClaudeError,
) -> CoreError {
    let ProxySettings::Custom { url, .. } = settings else {
        return CoreError::Api(error);
    };
    let resolved = resolve(settings, None);
    let address = match &resolved {
        ClientProxy::Proxy(proxy) => proxy.address(),
        _ => None,
    };
    if error.kind == parley_claude::ApiErrorKind::Network
        && let Some(address) = address
    {
        let reachable = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::TcpStream::connect(address.as_str()),
        )
        .await;
        if !matches!(reachable, Ok(Ok(_))) {
            return CoreError::Api(parley_claude::ClaudeError {
                message: format!(
                    "The proxy {url} cannot be reached (nothing answers at {address}); \
                     the API was not tried"
                ),
                ..error
            });
        }
        return CoreError::Api(parley_claude::ClaudeError {
            message: format!(
                "The proxy {url} answered, but the request through it failed: {}",
                error.message
            ),
            ..error
        });
    }
    CoreError::Api(error)
}

/// Builds Parley's HTTP client (no redirects, its timeouts) going through `proxy`.
pub(crate) fn build_client(proxy: &ClientProxy) -> CoreResult<reqwest::Client> {
    let builder = parley_claude::http_client_builder();
    let builder = match proxy {
        ClientProxy::Direct => builder.no_proxy(),
        ClientProxy::Environment => builder,
        ClientProxy::Proxy(proxy) => {
            let mut url = url::Url::parse(&proxy.url)
                .map_err(|error| CoreError::InvalidInput(format!("Proxy: {error}")))?;
            let is_socks = url.scheme().starts_with("socks");
            // SOCKS credentials travel in the URL (reqwest reads them there); HTTP ones as
            // Proxy-Authorization.
            if is_socks && let Some(username) = &proxy.username {
                let _ = url.set_username(username);
                let _ = url.set_password(proxy.password.as_ref().map(ApiKey::expose));
            }
            let mut built = reqwest::Proxy::all(url.as_str())
                .map_err(|error| CoreError::InvalidInput(format!("Proxy: {error}")))?;
            if !is_socks && let Some(username) = &proxy.username {
                built = built.basic_auth(
                    username,
                    proxy.password.as_ref().map(ApiKey::expose).unwrap_or(""),
                );
            }
            built = built.no_proxy(reqwest::NoProxy::from_string(&proxy.no_proxy));
            builder.no_proxy().proxy(built)
        }
    };
    builder
        .build()
        .map_err(|error| CoreError::Internal(format!("HTTP client: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(url: &str) -> ProxySettings {
        ProxySettings::Custom {
            url: url.into(),
            username: Some("  ".into()),
            no_proxy: " localhost ".into(),
        }
    }

    #[test]
    fn a_custom_proxy_is_checked_and_tidied() {
        for ok in [
            "socks5h://127.0.0.1:1080",
            "socks5://proxy.local:9050/",
            "http://10.0.0.1:3128",
            "https://proxy.example.com:443",
        ] {
            let checked = custom(ok).validated().unwrap();
            let ProxySettings::Custom {
                url,
                username,
                no_proxy,
            } = checked
            else {
                panic!("custom");
            };
            assert!(!url.ends_with('/'));
            assert_eq!(username, None, "a blank user name is none");
            assert_eq!(no_proxy, "localhost");
        }
        for (bad, says) in [
            ("ftp://x:1", "scheme"),
            ("not a url", "not a URL"),
            ("socks5h://user:pw@host:1080", "own fields"),
        ] {
            let error = custom(bad).validated().unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn the_resolved_proxy_never_shows_its_password() {
        let resolved = resolve(
            &ProxySettings::Custom {
                url: "socks5h://127.0.0.1:1080".into(),
                username: Some("me".into()),
                no_proxy: String::new(),
            },
            Some(ApiKey::new("hunter2".to_owned())),
        );
        assert_eq!(
            resolved.label().as_deref(),
            Some("socks5h://127.0.0.1:1080")
        );
        assert!(!format!("{resolved:?}").contains("hunter2"));
        let ClientProxy::Proxy(proxy) = &resolved else {
            panic!("a proxy");
        };
        assert_eq!(proxy.address().as_deref(), Some("127.0.0.1:1080"));
        assert!(build_client(&resolved).is_ok());
        assert_eq!(resolve(&ProxySettings::None, None), ClientProxy::Direct);
    }

    #[test]
    fn old_settings_without_a_proxy_read_as_system() {
        let settings: ProxySettings = serde_json::from_str(r#"{"mode":"system"}"#).unwrap();
        assert_eq!(settings, ProxySettings::System);
        let custom: ProxySettings =
            serde_json::from_str(r#"{"mode":"custom","url":"http://p:1"}"#).unwrap();
        assert!(matches!(custom, ProxySettings::Custom { .. }));
    }
}
