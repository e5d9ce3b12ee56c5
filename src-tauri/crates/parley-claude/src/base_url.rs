//! Normalisation of the base URL the user types into the settings.

use thiserror::Error;

/// A base URL that cannot be used; the message says what is wrong in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct InvalidBaseUrl(pub String);

/// Normalises a user-typed base URL into the form `scheme://host[:port][/path]`.
///
/// Users of gateways paste all sorts of variants, so this trims whitespace and strips a trailing
/// `/`, `/v1`, `/v1/` or `/v1/messages`; the client appends `/v1/messages` itself. A path prefix
/// such as `https://gateway.example/anthropic` is kept. The scheme must be `https`, or `http` for
/// a loopback host only (local gateways and the mock server): plain http to any other host would
/// send the API key and the conversation in clear text. A host is required.
///
/// ```
/// # use parley_claude::normalize_base_url;
/// assert_eq!(normalize_base_url(" https://api.apimart.ai/v1/ ").unwrap(), "https://api.apimart.ai");
/// ```
pub fn normalize_base_url(input: &str) -> Result<String, InvalidBaseUrl> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(InvalidBaseUrl("The base URL is empty.".to_owned()));
    }
    let needs_scheme = || {
        InvalidBaseUrl(format!(
            "The base URL \"{trimmed}\" must start with http:// or https://."
        ))
    };
    let parsed = match ::url::Url::parse(trimmed) {
        Ok(parsed) => parsed,
        Err(::url::ParseError::RelativeUrlWithoutBase) => return Err(needs_scheme()),
        Err(err) => {
            return Err(InvalidBaseUrl(format!(
                "The base URL \"{trimmed}\" is not a valid URL: {err}."
            )));
        }
    };
    // "localhost:8080" parses with the scheme "localhost", so the scheme check also catches a
    // missing scheme, not only a wrong one.
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(needs_scheme());
    }
    let Some(host) = parsed.host_str().filter(|host| !host.is_empty()) else {
        return Err(InvalidBaseUrl(format!(
            "The base URL \"{trimmed}\" has no host name."
        )));
    };
    if parsed.scheme() == "http" && !crate::origin::is_loopback_host(host) {
        return Err(InvalidBaseUrl(format!(
            "The base URL \"{trimmed}\" must use https://: plain http:// would send the API key \
             unencrypted, and is allowed only for this machine (localhost, 127.0.0.1, ::1)."
        )));
    }
    // Credentials in the URL would be echoed in network error messages, and a query or fragment
    // cannot be combined with the endpoint paths appended later.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(InvalidBaseUrl(
            "The base URL must not contain a user name or password; set the API key instead."
                .to_owned(),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(InvalidBaseUrl(format!(
            "The base URL \"{trimmed}\" must not contain a query (?) or fragment (#)."
        )));
    }

    let mut path = parsed.path().trim_end_matches('/');
    for suffix in ["/v1/messages", "/v1"] {
        if let Some(stripped) = path.strip_suffix(suffix) {
            path = stripped.trim_end_matches('/');
            break;
        }
    }
    let origin = &parsed[..::url::Position::BeforePath];
    Ok(format!("{origin}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        normalize_base_url(input).unwrap_or_else(|e| panic!("{input:?} should be accepted: {e}"))
    }

    #[test]
    fn strips_trailing_slash_and_v1_variants() {
        assert_eq!(ok("https://api.apimart.ai"), "https://api.apimart.ai");
        assert_eq!(ok("https://api.apimart.ai/"), "https://api.apimart.ai");
        assert_eq!(ok("https://api.apimart.ai/v1"), "https://api.apimart.ai");
        assert_eq!(ok("https://api.apimart.ai/v1/"), "https://api.apimart.ai");
        assert_eq!(
            ok("https://api.apimart.ai/v1/messages"),
            "https://api.apimart.ai"
        );
        assert_eq!(ok("https://api.apimart.ai//"), "https://api.apimart.ai");
    }

    #[test]
    fn trims_whitespace() {
        assert_eq!(
            ok("  https://api.anthropic.com/v1 \n"),
            "https://api.anthropic.com"
        );
    }

    #[test]
    fn keeps_a_path_prefix_and_port() {
        assert_eq!(
            ok("https://gw.example.com/anthropic/v1/"),
            "https://gw.example.com/anthropic"
        );
        assert_eq!(ok("http://127.0.0.1:8787/"), "http://127.0.0.1:8787");
        assert_eq!(ok("http://localhost:8080/v1"), "http://localhost:8080");
    }

    #[test]
    fn lowercases_the_host_and_drops_the_default_port() {
        assert_eq!(
            ok("HTTPS://API.Anthropic.com:443/"),
            "https://api.anthropic.com"
        );
    }

    #[test]
    fn allows_plain_http_only_for_loopback_hosts() {
        assert_eq!(ok("http://localhost:1234"), "http://localhost:1234");
        assert_eq!(ok("http://127.0.0.1"), "http://127.0.0.1");
        assert_eq!(ok("http://[::1]:9/v1"), "http://[::1]:9");
        for remote in [
            "http://example.com",
            "http://10.0.0.2:8080",
            "http://api.anthropic.com",
        ] {
            let err = normalize_base_url(remote).expect_err(remote);
            assert!(err.0.contains("must use https://"), "{remote}: {err}");
        }
    }

    #[test]
    fn rejects_a_missing_scheme() {
        for input in [
            "api.anthropic.com",
            "api.anthropic.com/v1",
            "localhost:8080",
        ] {
            let err = normalize_base_url(input).expect_err(input);
            assert!(err.0.contains("http:// or https://"), "{input}: {err}");
        }
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        for input in [
            "",
            "   ",
            "ftp://example.com",
            "https://",
            "http://",
            "not a url",
            "file:///etc",
        ] {
            assert!(
                normalize_base_url(input).is_err(),
                "{input:?} must be rejected"
            );
        }
    }

    #[test]
    fn rejects_credentials_query_and_fragment() {
        assert!(normalize_base_url("https://user:pw@example.com").is_err());
        assert!(normalize_base_url("https://example.com/?key=1").is_err());
        assert!(normalize_base_url("https://example.com/#x").is_err());
    }
}
