//! The API key, wrapped so that it cannot leak through logs, error messages or serialization.

use std::fmt;

use zeroize::Zeroize;

/// The user's API key.
///
/// `Debug` and `Display` print `<redacted>`, and the type deliberately implements no serde traits,
/// so the key cannot end up in a log line, an error message or an IPC payload by accident. The only
/// way to read it is [`ApiKey::expose`], which the HTTP client calls when it builds the auth header.
/// Its bytes are overwritten with zeros when it is dropped, so a freed copy does not linger in
/// the heap for a core dump or a swapped page to show.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace is trimmed because keys are usually pasted, and a
    /// trailing newline would make every request fail with a confusing 401.
    pub fn new(s: impl Into<String>) -> Self {
        let mut s = s.into();
        let trimmed = s.trim();
        if trimmed.len() == s.len() {
            Self(s)
        } else {
            let key = Self(trimmed.to_owned());
            s.zeroize();
            key
        }
    }

    /// The secret itself. Call this only to build a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no key was given (or only whitespace).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for ApiKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = ApiKey::new("sk-ant-secret-123");
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(format!("{key}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(key.clone())), "Some(<redacted>)");
    }

    #[test]
    fn expose_returns_the_trimmed_key() {
        let key = ApiKey::new("  sk-ant-secret-123\n");
        assert_eq!(
            key.expose(),
            "sk-ant-secret-123",
            "pasted keys often carry a newline"
        );
        assert!(!key.is_empty());
        assert!(ApiKey::new("   ").is_empty());
    }
}
