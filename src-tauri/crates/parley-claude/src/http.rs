//! The `reqwest::Client` Parley talks to the API with, and the bounds on what it reads back.
//!
//! Two rules protect the user from a broken or hostile server (or one that a typo in the base
//! URL points at):
//!
//! - **No redirects.** reqwest strips `Authorization` when a redirect crosses hosts, but not
//!   `x-api-key`, and a 307/308 re-sends the whole body: following one would hand the key and the
//!   conversation to wherever the `Location` points. The client of [`http_client`] never follows
//!   one; [`ClaudeClient`](crate::ClaudeClient) reports a 3xx as an
//!   [`ApiErrorKind::Redirect`](crate::ApiErrorKind::Redirect) error naming the target.
//! - **Bounded reads.** Nothing the server sends is buffered without a limit: see
//!   [`ResponseLimits`].

use std::time::Duration;

use reqwest::redirect::Policy;

/// The `User-Agent` Parley sends.
pub const USER_AGENT: &str = concat!("parley/", env!("CARGO_PKG_VERSION"));

/// A builder with Parley's settings: no redirects, its user agent, a 15 s connect timeout and a
/// 120 s read timeout (a reply may stream for minutes, so there is no total timeout, but a
/// connection that sends nothing, not even a ping, for that long is dead).
///
/// Exposed so a caller can add to it (a proxy, `no_proxy` in tests) without losing the redirect
/// policy; [`http_client`] builds it as is.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(120))
}

/// The HTTP client to pass to [`ClaudeClient::new`](crate::ClaudeClient::new).
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    http_client_builder().build()
}

/// 1 MiB.
const MIB: usize = 1024 * 1024;

/// How much of a response the client reads before it gives up on it, so that an endless line,
/// a runaway error page or a gigantic JSON body costs bounded memory.
///
/// Past [`sse_event`](Self::sse_event) or [`json_body`](Self::json_body) the request fails with
/// [`ApiErrorKind::ResponseTooLarge`](crate::ApiErrorKind::ResponseTooLarge) (a stream keeps
/// what arrived before the oversized event). An error body is only cut: the first
/// [`error_body`](Self::error_body) bytes are read and the error is classified as usual, because
/// its status (429, 529, ...) says more than its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    /// The largest SSE event: the bytes of its lines, line ends not counted. The largest real
    /// event is a `content_block_start` or a delta, far below the default 16 MiB.
    pub sse_event: usize,
    /// How much of an HTTP error body is read; 64 KiB by default.
    pub error_body: usize,
    /// The largest non-streamed JSON reply (`stream: false`, `count_tokens`, a gateway that
    /// ignores `stream: true`); 64 MiB by default.
    pub json_body: usize,
}

impl Default for ResponseLimits {
    fn default() -> Self {
        Self {
            sse_event: 16 * MIB,
            error_body: 64 * 1024,
            json_body: 64 * MIB,
        }
    }
}

/// A size for a message: `16 MB`, `64 KB`, or `1000 bytes` when not a whole number of either
/// (binary units, as the limits are defined).
pub(crate) fn human_size(bytes: usize) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// A body read up to a limit.
pub(crate) struct CappedBody {
    pub(crate) bytes: Vec<u8>,
    /// The body was longer than the limit (announced or seen); `bytes` holds its first part
    /// (nothing when the `content-length` already said so).
    pub(crate) over: bool,
}

/// Reads `response`'s body chunk by chunk, keeping at most `cap` bytes and reading nothing
/// after that. A `content-length` above `cap` stops before reading when `read_if_announced_over`
/// is false.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
    read_if_announced_over: bool,
) -> reqwest::Result<CappedBody> {
    let announced = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    if announced.is_some_and(|n| n > cap) && !read_if_announced_over {
        return Ok(CappedBody {
            bytes: Vec::new(),
            over: true,
        });
    }
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0).min(cap));
    while let Some(chunk) = response.chunk().await? {
        let room = cap - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(CappedBody { bytes, over: true });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(CappedBody { bytes, over: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(16 * MIB), "16 MB");
        assert_eq!(human_size(64 * 1024), "64 KB");
        assert_eq!(human_size(1000), "1000 bytes");
        assert_eq!(human_size(MIB + 1), format!("{} bytes", MIB + 1));
    }

    #[test]
    fn default_limits_are_the_documented_ones() {
        let limits = ResponseLimits::default();
        assert_eq!(human_size(limits.sse_event), "16 MB");
        assert_eq!(human_size(limits.error_body), "64 KB");
        assert_eq!(human_size(limits.json_body), "64 MB");
    }
}
