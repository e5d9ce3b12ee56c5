//! The origin (scheme, host, port) an API key belongs to.
//!
//! A key is bound to the origin it was saved for: Parley only ever sends it to that origin, so a
//! base URL changed by the user, by the webview or by a hostile settings file cannot carry the key
//! to another host. The origin is the natural unit: a gateway's path prefix does not change who
//! receives the request, while a different port on the same host may be a different service.

use std::fmt;

use crate::base_url::{InvalidBaseUrl, normalize_base_url};

/// Anthropic's own API: the only origin `ANTHROPIC_API_KEY` from the environment is sent to.
pub const ANTHROPIC_ORIGIN: &str = "https://api.anthropic.com";
/// The apimart gateway the product was specified against.
pub const APIMART_ORIGIN: &str = "https://api.apimart.ai";

/// `scheme://host[:port]` of a valid base URL, lower-case, without the default port.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiOrigin(String);

/// Who answers at an origin, as far as Parley can tell; the settings name the key field after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    Anthropic,
    Apimart,
    /// A gateway on this machine (loopback).
    Local,
    /// Any other host, named by its host name.
    Other(String),
}

impl ApiOrigin {
    /// The origin of a user-typed base URL; the same checks as [`normalize_base_url`] apply
    /// (in particular, plain `http://` only for loopback hosts).
    pub fn of_base_url(base_url: &str) -> Result<Self, InvalidBaseUrl> {
        let normalized = normalize_base_url(base_url)?;
        let parsed = url::Url::parse(&normalized)
            .map_err(|error| InvalidBaseUrl(format!("The base URL is not valid: {error}.")))?;
        Ok(Self(parsed.origin().ascii_serialization()))
    }

    /// Rebuilds an origin from its stored text (the keychain index), re-checking it.
    pub fn parse(origin: &str) -> Result<Self, InvalidBaseUrl> {
        let parsed = Self::of_base_url(origin)?;
        if parsed.0 == origin {
            Ok(parsed)
        } else {
            Err(InvalidBaseUrl(format!("\"{origin}\" is not an origin.")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The keychain account that holds this origin's key.
    pub fn keychain_account(&self) -> String {
        format!("api-key {}", self.0)
    }

    pub fn is_anthropic(&self) -> bool {
        self.0 == ANTHROPIC_ORIGIN
    }

    pub fn provider(&self) -> Provider {
        match self.0.as_str() {
            ANTHROPIC_ORIGIN => Provider::Anthropic,
            APIMART_ORIGIN => Provider::Apimart,
            _ => {
                let host = self.host();
                if is_loopback_host(host) {
                    Provider::Local
                } else {
                    Provider::Other(host.to_owned())
                }
            }
        }
    }

    fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or(self.0.as_str(), |(_, r)| r);
        // An IPv6 host is bracketed and contains colons; the port follows the bracket.
        if let Some(end) = rest.find(']') {
            &rest[..=end]
        } else {
            rest.rsplit_once(':').map_or(rest, |(host, _)| host)
        }
    }
}

impl fmt::Display for ApiOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ApiOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiOrigin({})", self.0)
    }
}

/// `localhost`, `127.0.0.0/8` and `::1`: hosts whose traffic never leaves the machine, the only
/// ones plain `http://` is allowed for. `host` is as `url` prints it (IPv6 in brackets).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> String {
        ApiOrigin::of_base_url(url).unwrap().as_str().to_owned()
    }

    #[test]
    fn the_origin_is_scheme_host_and_port_only() {
        assert_eq!(origin("https://api.anthropic.com/v1/"), ANTHROPIC_ORIGIN);
        assert_eq!(origin("HTTPS://API.Anthropic.com:443"), ANTHROPIC_ORIGIN);
        assert_eq!(
            origin("https://gw.example.com/anthropic"),
            "https://gw.example.com"
        );
        assert_eq!(
            origin("https://gw.example.com:8443/x"),
            "https://gw.example.com:8443"
        );
        assert_eq!(origin("http://127.0.0.1:9999"), "http://127.0.0.1:9999");
        assert_eq!(origin("http://[::1]:8080/v1"), "http://[::1]:8080");
    }

    #[test]
    fn a_different_port_or_scheme_is_a_different_origin() {
        assert_ne!(origin("http://127.0.0.1:1"), origin("http://127.0.0.1:2"));
        assert_ne!(origin("https://localhost"), origin("http://localhost"));
    }

    #[test]
    fn stored_origins_parse_back_and_other_text_does_not() {
        let parsed = ApiOrigin::parse("https://api.apimart.ai").unwrap();
        assert_eq!(parsed.provider(), Provider::Apimart);
        assert!(ApiOrigin::parse("https://api.apimart.ai/v1").is_err());
        assert!(ApiOrigin::parse("http://example.com").is_err());
    }

    #[test]
    fn each_origin_has_its_provider() {
        let provider = |url: &str| ApiOrigin::of_base_url(url).unwrap().provider();
        assert_eq!(provider(ANTHROPIC_ORIGIN), Provider::Anthropic);
        assert_eq!(provider(APIMART_ORIGIN), Provider::Apimart);
        assert_eq!(provider("http://localhost:8080"), Provider::Local);
        assert_eq!(provider("http://[::1]:8080"), Provider::Local);
        assert_eq!(
            provider("https://gw.example.com:8443"),
            Provider::Other("gw.example.com".into())
        );
    }

    #[test]
    fn only_anthropic_is_anthropic() {
        assert!(
            ApiOrigin::of_base_url("https://api.anthropic.com/v1")
                .unwrap()
                .is_anthropic()
        );
        for other in [
            "https://api.apimart.ai",
            "https://api.anthropic.com:8443",
            "https://api.anthropic.com.evil.example",
            "http://127.0.0.1:1",
        ] {
            assert!(
                !ApiOrigin::of_base_url(other).unwrap().is_anthropic(),
                "{other}"
            );
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "a.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "192.168.1.1",
            "[::2]",
            "localhost.example.com",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
