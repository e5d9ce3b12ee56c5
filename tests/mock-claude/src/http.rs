//! A deliberately small HTTP/1.1 server side: one request per connection, every response
//! `Connection: close`. Hand-written so the mock decides exactly which bytes go into which TCP
//! write, and how a body ends.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The request head may not exceed this (431 otherwise).
const MAX_HEAD: usize = 64 * 1024;
/// The API accepts requests up to 32 MB; the mock refuses bodies larger than this with 413.
pub(crate) const MAX_BODY: usize = 32 * 1024 * 1024;

/// A parsed request.
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
pub(crate) enum ReadError {
    /// The peer closed (or failed) before sending a complete request; nothing to answer.
    Gone,
    /// Not HTTP/1.x as the mock understands it: answer 400.
    Malformed(String),
    /// The head is larger than [`MAX_HEAD`]: answer 431.
    HeadTooLarge,
    /// The body is larger than [`MAX_BODY`]: answer 413.
    BodyTooLarge,
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Gone
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Appends whatever the socket has; `Ok(0)` at end of stream.
async fn read_more(rd: &mut OwnedReadHalf, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = rd.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Reads one request: the head up to `\r\n\r\n`, then a `content-length` or chunked body.
/// Answers `Expect: 100-continue` (curl sends it for larger bodies).
pub(crate) async fn read_request(
    rd: &mut OwnedReadHalf,
    wr: &mut OwnedWriteHalf,
) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut scanned = 0;
    let head_end = loop {
        if let Some(i) = find(&buf[scanned..], b"\r\n\r\n") {
            break scanned + i;
        }
        // The terminator may straddle two reads: rescan the last three bytes next time.
        scanned = buf.len().saturating_sub(3);
        if buf.len() > MAX_HEAD {
            return Err(ReadError::HeadTooLarge);
        }
        if read_more(rd, &mut buf).await? == 0 {
            return Err(if buf.is_empty() {
                ReadError::Gone
            } else {
                ReadError::Malformed("connection closed inside the request head".into())
            });
        }
    };
    if head_end > MAX_HEAD {
        return Err(ReadError::HeadTooLarge);
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let rest = buf.split_off(head_end + 4);

    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed(format!(
            "malformed request line: {request_line:?}"
        )));
    };
    // The absolute form (`POST http://host:port/v1/messages`) is what a client sends through an
    // HTTP forward proxy; the proxy tests forward it unchanged, so it reads as the path.
    let target = match target.strip_prefix("http://") {
        Some(after_scheme) => after_scheme
            .find('/')
            .map_or("/", |slash| &after_scheme[slash..]),
        None => target,
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(ReadError::Malformed(format!(
            "unsupported request line: {request_line:?}"
        )));
    }
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Malformed(format!(
                "malformed header line: {line:?}"
            )));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    let mut request = Request {
        method: method.to_string(),
        path,
        query,
        headers,
        body: Vec::new(),
    };

    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let content_length = match request.header("content-length") {
        Some(v) => Some(
            v.parse::<usize>()
                .map_err(|_| ReadError::Malformed(format!("bad content-length: {v:?}")))?,
        ),
        None => None,
    };
    if content_length.is_some_and(|n| n > MAX_BODY) {
        return Err(ReadError::BodyTooLarge);
    }
    let wants_continue = request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if wants_continue && (chunked || content_length.is_some_and(|n| n > rest.len())) {
        wr.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }

    request.body = if chunked {
        read_chunked_body(rd, rest).await?
    } else if let Some(len) = content_length {
        let mut body = rest;
        while body.len() < len {
            if read_more(rd, &mut body).await? == 0 {
                return Err(ReadError::Malformed(
                    "connection closed before the whole body arrived".into(),
                ));
            }
        }
        body.truncate(len);
        body
    } else {
        Vec::new()
    };
    Ok(request)
}

async fn read_chunked_body(rd: &mut OwnedReadHalf, mut buf: Vec<u8>) -> Result<Vec<u8>, ReadError> {
    let truncated = || ReadError::Malformed("truncated chunked body".into());
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let line_end = loop {
            if let Some(i) = find(&buf[pos..], b"\r\n") {
                break pos + i;
            }
            if read_more(rd, &mut buf).await? == 0 {
                return Err(truncated());
            }
        };
        let size_line = String::from_utf8_lossy(&buf[pos..line_end]).into_owned();
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| ReadError::Malformed(format!("bad chunk size: {size_line:?}")))?;
        pos = line_end + 2;
        if size == 0 {
            // Trailer fields, then an empty line.
            loop {
                let end = loop {
                    if let Some(i) = find(&buf[pos..], b"\r\n") {
                        break pos + i;
                    }
                    if read_more(rd, &mut buf).await? == 0 {
                        return Err(truncated());
                    }
                };
                let empty = end == pos;
                pos = end + 2;
                if empty {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(ReadError::BodyTooLarge);
        }
        while buf.len() < pos + size + 2 {
            if read_more(rd, &mut buf).await? == 0 {
                return Err(truncated());
            }
        }
        body.extend_from_slice(&buf[pos..pos + size]);
        pos += size + 2;
    }
}

/// Reads and discards until the peer closes. With one request per connection, a client has
/// nothing more to send, so this completes exactly when the client hangs up (or resets).
pub(crate) async fn wait_for_peer_close(rd: &mut OwnedReadHalf) {
    let mut sink = [0u8; 4096];
    loop {
        match rd.read(&mut sink).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Unknown",
    }
}

/// Serialises a status line and headers, ending with the empty line.
pub(crate) fn head_bytes(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Writes a response body, either raw (close-delimited) or as one HTTP chunk per `send`.
pub(crate) struct BodyWriter<'a> {
    wr: &'a mut OwnedWriteHalf,
    chunked: bool,
    pending: Vec<u8>,
}

impl<'a> BodyWriter<'a> {
    pub fn new(wr: &'a mut OwnedWriteHalf, chunked: bool) -> Self {
        BodyWriter {
            wr,
            chunked,
            pending: Vec::new(),
        }
    }

    /// One TCP write (one HTTP chunk when chunked), of exactly these bytes.
    pub async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if self.chunked {
            let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
            framed.extend_from_slice(data);
            framed.extend_from_slice(b"\r\n");
            self.wr.write_all(&framed).await
        } else {
            self.wr.write_all(data).await
        }
    }

    /// Buffers bytes; they go out once `threshold` bytes are pending, or on [`Self::flush`].
    pub async fn queue(&mut self, data: &[u8], threshold: usize) -> io::Result<()> {
        self.pending.extend_from_slice(data);
        if self.pending.len() >= threshold {
            self.flush().await?;
        }
        Ok(())
    }

    pub async fn flush(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.send(&pending).await
    }

    /// Ends the body properly: the last chunk when chunked (close-delimited bodies end when
    /// the connection closes).
    pub async fn finish(&mut self) -> io::Result<()> {
        self.flush().await?;
        if self.chunked {
            self.wr.write_all(b"0\r\n\r\n").await?;
        }
        Ok(())
    }
}
