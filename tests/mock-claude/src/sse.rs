//! Streaming a [`Reply`] as Server-Sent Events, with the framing variations a real network
//! produces (and that the HTML spec allows).

use std::io;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use crate::generate::{Block, Reply, Usage, usage_json};
use crate::http::{BodyWriter, head_bytes};
use crate::magic::{ENDLESS_MAX_BYTES, HUGE_TOKEN};

/// How the bytes of one streamed response are framed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// `Transfer-Encoding: chunked` (one chunk per write) instead of a close-delimited body.
    pub chunked: bool,
    /// The line ending: `"\n"`, `"\r\n"` or `"\r"`.
    pub eol: &'static str,
    /// `data: {...}` rather than `data:{...}` (both are valid SSE).
    pub space_after_colon: bool,
    /// Send `message_start`'s JSON pretty-printed over several `data:` lines.
    pub multiline_data: bool,
    /// Split events across TCP writes (mid-line, between `\r` and `\n`, inside UTF-8 characters).
    pub split_writes: bool,
    /// Interleave `: keep-alive` comments and `event: ping` between deltas.
    pub keepalives: bool,
}

/// How a streamed response ends.
pub(crate) enum End {
    /// `content_block_stop`, `message_delta`, `message_stop`, and a properly ended body.
    Complete,
    /// Nothing more: the connection just closes (the body is left unterminated when chunked).
    Drop,
    /// An `event: error` after the last delta, then a properly ended body.
    Error { error_type: String, message: String },
    /// A `content_block_delta` whose `data:` line never ends (see [`write_endless`]).
    EndlessLine,
}

pub(crate) struct StreamPlan {
    pub message_id: String,
    pub model: String,
    pub usage: Usage,
    pub reply: Reply,
    pub end: End,
    pub delay_ms: u64,
    pub style: Style,
}

/// Only the first events are split with pauses, so long replies stay fast.
const SPLIT_EVENT_LIMIT: usize = 64;
/// The pause between the parts of a split event, so they leave in separate TCP segments.
const SPLIT_PAUSE: Duration = Duration::from_millis(1);
/// Huge replies are written in batches of about this many bytes.
const HUGE_BATCH: usize = 32 * 1024;

struct Events<'a> {
    body: BodyWriter<'a>,
    style: Style,
    sent: usize,
    deltas: usize,
    delay: Duration,
}

impl Events<'_> {
    fn encode(&self, name: &str, data: &Value, multiline: bool) -> Vec<u8> {
        let eol = self.style.eol;
        let sp = if self.style.space_after_colon {
            " "
        } else {
            ""
        };
        let mut out = format!("event:{sp}{name}{eol}");
        if multiline {
            let pretty = serde_json::to_string_pretty(data).unwrap_or_else(|_| data.to_string());
            // Pretty JSON has raw newlines only between tokens (inside strings they are
            // escaped), so the `data:` lines rejoined with `\n` are the same JSON.
            for line in pretty.lines() {
                out.push_str(&format!("data:{sp}{line}{eol}"));
            }
        } else {
            out.push_str(&format!("data:{sp}{data}{eol}"));
        }
        out.push_str(eol);
        out.into_bytes()
    }

    async fn event(&mut self, name: &str, data: &Value) -> io::Result<()> {
        let multiline = self.style.multiline_data && name == "message_start";
        let bytes = self.encode(name, data, multiline);
        self.sent += 1;
        if !self.style.split_writes || self.sent > SPLIT_EVENT_LIMIT {
            return self.body.send(&bytes).await;
        }
        let mut start = 0;
        for point in split_points(&bytes, self.sent) {
            self.body.send(&bytes[start..point]).await?;
            tokio::time::sleep(SPLIT_PAUSE).await;
            start = point;
        }
        self.body.send(&bytes[start..]).await
    }

    async fn comment(&mut self, text: &str) -> io::Result<()> {
        let line = format!(
            ":{}{text}{}",
            if text.is_empty() { "" } else { " " },
            self.style.eol
        );
        self.body.send(line.as_bytes()).await
    }

    /// Pacing and interleaved keep-alives after each delta.
    async fn after_delta(&mut self) -> io::Result<()> {
        self.deltas += 1;
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if self.style.keepalives {
            if self.deltas % 4 == 2 {
                self.comment("keep-alive").await?;
            }
            if self.deltas % 7 == 5 {
                self.event("ping", &json!({"type": "ping"})).await?;
            }
        }
        Ok(())
    }

    async fn delta(&mut self, index: usize, delta: Value) -> io::Result<()> {
        let data = json!({"type": "content_block_delta", "index": index, "delta": delta});
        self.event("content_block_delta", &data).await?;
        self.after_delta().await
    }
}

/// Where to cut one event's bytes into separate writes: inside the first multi-byte UTF-8
/// character, between the first `\r` and what follows it, and (every third event) inside the
/// word `event`.
fn split_points(bytes: &[u8], event_number: usize) -> Vec<usize> {
    let mut points = Vec::new();
    if let Some(lead) = bytes.iter().position(|b| *b >= 0xC0) {
        points.push(lead + 1);
    }
    if let Some(cr) = bytes.iter().position(|b| *b == b'\r') {
        points.push(cr + 1);
    }
    if event_number.is_multiple_of(3) {
        points.push(3);
    }
    points.retain(|p| *p > 0 && *p < bytes.len());
    points.sort_unstable();
    points.dedup();
    points
}

fn block_start(block: &Block) -> Value {
    match block {
        Block::Text(_) | Block::Huge { .. } | Block::PacedText { .. } => {
            json!({"type": "text", "text": ""})
        }
        Block::Thinking { .. } => json!({"type": "thinking", "thinking": "", "signature": ""}),
        Block::ToolUse { id, name, .. } => {
            json!({"type": "tool_use", "id": id, "name": name, "input": {}})
        }
    }
}

/// Writes the response head and the event stream. Returns when the stream has ended as
/// planned; the caller closes the connection.
pub(crate) async fn write_stream(
    wr: &mut OwnedWriteHalf,
    plan: &StreamPlan,
    request_id: &str,
) -> io::Result<()> {
    let style = plan.style;
    let mut headers = vec![
        (
            "content-type".to_string(),
            "text/event-stream; charset=utf-8".to_string(),
        ),
        ("cache-control".to_string(), "no-cache".to_string()),
        ("request-id".to_string(), request_id.to_string()),
        ("connection".to_string(), "close".to_string()),
    ];
    if style.chunked {
        headers.push(("transfer-encoding".to_string(), "chunked".to_string()));
    }
    wr.write_all(&head_bytes(200, &headers)).await?;

    let mut ev = Events {
        body: BodyWriter::new(wr, style.chunked),
        style,
        sent: 0,
        deltas: 0,
        delay: Duration::from_millis(plan.delay_ms),
    };
    let start = json!({
        "type": "message_start",
        "message": {
            "id": plan.message_id,
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": plan.model,
            "stop_reason": null,
            "stop_sequence": null,
            "usage": usage_json(&plan.usage, 1),
        }
    });
    ev.event("message_start", &start).await?;
    ev.event("ping", &json!({"type": "ping"})).await?;

    let complete = matches!(plan.end, End::Complete);
    let block_count = plan.reply.blocks.len();
    for (index, block) in plan.reply.blocks.iter().enumerate() {
        let start = json!({
            "type": "content_block_start",
            "index": index,
            "content_block": block_start(block),
        });
        ev.event("content_block_start", &start).await?;
        match block {
            Block::Text(chunks) => {
                for chunk in chunks {
                    ev.delta(index, json!({"type": "text_delta", "text": chunk}))
                        .await?;
                }
            }
            Block::Thinking { chunks, signature } => {
                for chunk in chunks {
                    ev.delta(index, json!({"type": "thinking_delta", "thinking": chunk}))
                        .await?;
                }
                let delta = json!({"type": "signature_delta", "signature": signature});
                let data = json!({"type": "content_block_delta", "index": index, "delta": delta});
                ev.event("content_block_delta", &data).await?;
            }
            Block::ToolUse { json_chunks, .. } => {
                for chunk in json_chunks {
                    let delta = json!({"type": "input_json_delta", "partial_json": chunk});
                    ev.delta(index, delta).await?;
                }
            }
            Block::Huge {
                tokens,
                per_event,
                per_second,
            } => {
                write_huge(&mut ev, index, *tokens, *per_event, *per_second).await?;
            }
            Block::PacedText { chunks, per_second } => {
                let started = tokio::time::Instant::now();
                for (i, chunk) in chunks.iter().enumerate() {
                    let delta = json!({"type": "text_delta", "text": chunk});
                    let data =
                        json!({"type": "content_block_delta", "index": index, "delta": delta});
                    let bytes = ev.encode("content_block_delta", &data, false);
                    ev.body.queue(&bytes, HUGE_BATCH).await?;
                    keep_pace(&mut ev, started, i + 1, *per_second).await?;
                }
                ev.body.flush().await?;
            }
        }
        // A dropped or failed stream stops inside its last block.
        if complete || index + 1 < block_count {
            let stop = json!({"type": "content_block_stop", "index": index});
            ev.event("content_block_stop", &stop).await?;
        }
    }

    match &plan.end {
        End::Complete => {
            let delta = json!({
                "type": "message_delta",
                "delta": {
                    "stop_reason": plan.reply.stop_reason,
                    "stop_sequence": plan.reply.stop_sequence,
                },
                "usage": {"output_tokens": plan.reply.output_tokens()},
            });
            ev.event("message_delta", &delta).await?;
            ev.event("message_stop", &json!({"type": "message_stop"}))
                .await?;
            ev.body.finish().await
        }
        End::Error {
            error_type,
            message,
        } => {
            let error = json!({
                "type": "error",
                "error": {"type": error_type, "message": message},
            });
            ev.event("error", &error).await?;
            ev.body.finish().await
        }
        End::Drop => ev.body.flush().await,
        End::EndlessLine => {
            let sp = if style.space_after_colon { " " } else { "" };
            let index = block_count.saturating_sub(1);
            let start = format!(
                "event:{sp}content_block_delta{eol}data:{sp}{{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"text_delta\",\"text\":\"",
                eol = style.eol
            );
            ev.body.send(start.as_bytes()).await?;
            write_endless(&mut ev.body).await
        }
    }
}

/// Writes `x`s in 64 KiB writes until the client stops reading (the write then fails or the
/// connection task is stopped) or [`ENDLESS_MAX_BYTES`] are out; the body is left unterminated.
pub(crate) async fn write_endless(body: &mut BodyWriter<'_>) -> io::Result<()> {
    let fill = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < ENDLESS_MAX_BYTES {
        body.send(&fill).await?;
        sent += fill.len();
    }
    Ok(())
}

/// Paces a stream at `per_second` pieces per second: when the `sent` pieces since `started`
/// are ahead of that rate, flushes what is queued and waits until they are due.
async fn keep_pace(
    ev: &mut Events<'_>,
    started: tokio::time::Instant,
    sent: usize,
    per_second: u32,
) -> io::Result<()> {
    let due = started + Duration::from_secs_f64(sent as f64 / f64::from(per_second.max(1)));
    if due > tokio::time::Instant::now() {
        ev.body.flush().await?;
        tokio::time::sleep_until(due).await;
    }
    Ok(())
}

/// Streams `tokens` tokens in batches of writes, without pauses or splits. Every full event
/// has the same bytes, so it is encoded once. With `per_second` > 0 the stream is paced
/// instead: whatever is queued is flushed whenever the stream is ahead of that rate.
async fn write_huge(
    ev: &mut Events<'_>,
    index: usize,
    tokens: usize,
    per_event: usize,
    per_second: u32,
) -> io::Result<()> {
    let per_event = per_event.max(1);
    let encode = |ev: &Events<'_>, n: usize| {
        let data = json!({
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": HUGE_TOKEN.repeat(n)},
        });
        ev.encode("content_block_delta", &data, false)
    };
    let full = encode(ev, per_event);
    let started = tokio::time::Instant::now();
    for i in 1..=tokens / per_event {
        ev.body.queue(&full, HUGE_BATCH).await?;
        if per_second > 0 {
            keep_pace(ev, started, i * per_event, per_second).await?;
        }
    }
    let rest = tokens % per_event;
    if rest > 0 {
        let last = encode(ev, rest);
        ev.body.queue(&last, HUGE_BATCH).await?;
    }
    ev.body.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points_cut_inside_characters_and_crlf() {
        let bytes = "event: x\r\ndata: \"é\"\r\n\r\n".as_bytes();
        let points = split_points(bytes, 3);
        assert_eq!(points[0], 3);
        let cr = bytes.iter().position(|b| *b == b'\r').unwrap();
        assert!(points.contains(&(cr + 1)), "splits between \\r and \\n");
        let lead = bytes.iter().position(|b| *b >= 0xC0).unwrap();
        assert!(points.contains(&(lead + 1)), "splits inside é");
        assert!(std::str::from_utf8(&bytes[..lead + 1]).is_err());
    }
}
