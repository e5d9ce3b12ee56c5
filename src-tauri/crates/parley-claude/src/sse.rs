//! An incremental Server-Sent Events parser, per the HTML specification's event-stream rules.
//!
//! It works on bytes so that network chunks may split lines and multi-byte UTF-8 characters
//! anywhere: bytes are buffered until a line end, and only complete lines are decoded (lossily,
//! so one bad byte cannot stall the stream). Line ends are never inside a UTF-8 sequence, because
//! `\r` and `\n` never occur in multi-byte characters.
//!
//! Memory is bounded: an event whose lines add up to more than the parser's limit (16 MiB by
//! default) stops the parser at once, without buffering the rest, and [`SseParser::over_limit`]
//! says so. The limit counts the bytes of the event's lines, not what happens to be buffered, so
//! whether a stream is refused does not depend on how the network cut it into chunks.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, or `"message"` when there was none.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event id seen on the stream (it persists across events, as the spec says).
    pub id: Option<String>,
}

/// The UTF-8 byte order mark, which the spec strips from the start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The default limit on one event: the bytes of its lines, line ends not counted.
pub const DEFAULT_MAX_EVENT: usize = 16 * 1024 * 1024;

/// Incremental SSE parser: feed it chunks with [`SseParser::push`] and it returns each event as
/// soon as its terminating blank line has arrived.
#[derive(Debug)]
pub struct SseParser {
    /// Bytes of the line being received (no line end yet).
    line: Vec<u8>,
    /// The previous chunk ended in `\r`: a `\n` at the start of the next chunk belongs to it.
    after_cr: bool,
    /// The start of the stream has been checked for a BOM.
    bom_checked: bool,
    event_type: String,
    data: String,
    last_event_id: Option<String>,
    /// A field line of the current, not yet dispatched event has been seen.
    in_event: bool,
    /// Bytes of the complete lines of the current event (since the last blank line).
    event_bytes: usize,
    /// The most bytes one event's lines may have.
    max_event: usize,
    /// An event went past `max_event`: nothing more is parsed.
    over_limit: bool,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::with_max_event(DEFAULT_MAX_EVENT)
    }
}

impl SseParser {
    /// A parser at the start of a stream, with the [`DEFAULT_MAX_EVENT`] limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser that refuses events whose lines add up to more than `max_event` bytes.
    pub fn with_max_event(max_event: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            bom_checked: false,
            event_type: String::new(),
            data: String::new(),
            last_event_id: None,
            in_event: false,
            event_bytes: 0,
            max_event,
            over_limit: false,
        }
    }

    /// The limit on one event, in bytes.
    pub fn max_event(&self) -> usize {
        self.max_event
    }

    /// True once an event went past the limit. The events completed before it were returned;
    /// the parser has dropped what it held and ignores everything pushed from now on.
    pub fn over_limit(&self) -> bool {
        self.over_limit
    }

    /// Feeds the next chunk of the body and returns the events it completes (none once
    /// [`over_limit`](Self::over_limit)).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        if self.over_limit {
            return events;
        }
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some(tail) = rest.strip_prefix(b"\n") {
                rest = tail;
            }
        }
        if !self.bom_checked {
            // The BOM itself may be split across chunks, so hold back a proper prefix of it.
            self.line.extend_from_slice(rest);
            if self.line.len() < BOM.len() && BOM.starts_with(&self.line) {
                return events;
            }
            self.bom_checked = true;
            let buffered = std::mem::take(&mut self.line);
            let start = if buffered.starts_with(BOM) {
                BOM.len()
            } else {
                0
            };
            self.scan(&buffered[start..], &mut events);
            return events;
        }
        self.scan(rest, &mut events);
        events
    }

    /// Splits `bytes` into lines, completing the buffered partial line first.
    fn scan(&mut self, mut bytes: &[u8], events: &mut Vec<SseEvent>) {
        while let Some(pos) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            let line_bytes = &bytes[..pos];
            // Checked before the line is copied anywhere, so a huge line costs nothing more.
            self.event_bytes += self.line.len() + line_bytes.len();
            if self.event_bytes > self.max_event {
                self.refuse();
                return;
            }
            let is_cr = bytes[pos] == b'\r';
            bytes = &bytes[pos + 1..];
            if is_cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            let event = if self.line.is_empty() {
                self.process_line(&String::from_utf8_lossy(line_bytes))
            } else {
                self.line.extend_from_slice(line_bytes);
                let line = std::mem::take(&mut self.line);
                self.process_line(&String::from_utf8_lossy(&line))
            };
            events.extend(event);
        }
        if self.event_bytes + self.line.len() + bytes.len() > self.max_event {
            self.refuse();
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    /// Stops for good after an oversized event, freeing what it held.
    fn refuse(&mut self) {
        *self = Self {
            over_limit: true,
            bom_checked: true,
            last_event_id: self.last_event_id.take(),
            ..Self::with_max_event(self.max_event)
        };
    }

    fn process_line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None; // A comment, often used as a keep-alive.
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        self.in_event = true;
        match name {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.last_event_id = Some(value.to_owned()),
            // `retry` only matters to a client that reconnects by itself; this one does not.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        self.in_event = false;
        self.event_bytes = 0;
        let event_type = std::mem::take(&mut self.event_type);
        let mut data = std::mem::take(&mut self.data);
        if data.is_empty() {
            return None;
        }
        data.pop(); // The trailing `\n` appended after the last data line.
        Some(SseEvent {
            event: if event_type.is_empty() {
                "message".to_owned()
            } else {
                event_type
            },
            data,
            id: self.last_event_id.clone(),
        })
    }

    /// True when the stream so far ends inside an event: an unterminated line, or field lines
    /// without the blank line that dispatches them. At EOF this means the body was cut short.
    pub fn has_partial(&self) -> bool {
        !self.line.is_empty() || self.in_event
    }

    /// Ends the stream. Per the spec an event that was not terminated by a blank line is
    /// discarded, so this always returns `None`; check [`SseParser::has_partial`] first to learn
    /// whether something was cut off. The parser is reset for reuse.
    pub fn finish(&mut self) -> Option<SseEvent> {
        *self = Self::with_max_event(self.max_event);
        None
    }

    /// Bytes of memory the parser holds for the event in progress (for tests of its bound).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.line.capacity() + self.data.capacity() + self.event_type.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: None,
        }
    }

    fn parse_whole(input: &[u8]) -> Vec<SseEvent> {
        SseParser::new().push(input)
    }

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        chunks.iter().flat_map(|chunk| parser.push(chunk)).collect()
    }

    /// Feeds `input` split at every single byte boundary, and byte by byte, and checks that every
    /// split gives the same events as the whole input.
    fn assert_split_invariant(input: &[u8], expected: &[SseEvent]) {
        assert_eq!(parse_whole(input), expected, "whole input");
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            assert_eq!(parse_chunks(&[a, b]), expected, "split at byte {cut}");
        }
        for first in 0..input.len() {
            for second in first..=input.len() {
                let chunks = [&input[..first], &input[first..second], &input[second..]];
                assert_eq!(
                    parse_chunks(&chunks),
                    expected,
                    "split at {first} and {second}"
                );
            }
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(parse_chunks(&bytes), expected, "byte by byte");
    }

    #[test]
    fn anthropic_stream_gives_the_same_events_at_every_split() {
        let input = "event: message_start\ndata: {\"type\":\"message_start\"}\n\n\
                     event: content_block_delta\ndata: {\"text\":\"你好，世界 👋🏽 ok\"}\n\n\
                     event: ping\ndata: {\"type\": \"ping\"}\n\n";
        assert_split_invariant(
            input.as_bytes(),
            &[
                ev("message_start", "{\"type\":\"message_start\"}"),
                ev("content_block_delta", "{\"text\":\"你好，世界 👋🏽 ok\"}"),
                ev("ping", "{\"type\": \"ping\"}"),
            ],
        );
    }

    #[test]
    fn crlf_lone_cr_and_mixed_line_ends_are_equivalent() {
        let expected = [ev("a", "x\ny"), ev("message", "z")];
        for input in [
            "event: a\r\ndata: x\r\ndata: y\r\n\r\ndata: z\r\n\r\n",
            "event: a\rdata: x\rdata: y\r\rdata: z\r\r",
            "event: a\r\ndata: x\rdata: y\n\r\ndata: z\n\r",
        ] {
            assert_split_invariant(input.as_bytes(), &expected);
        }
    }

    #[test]
    fn cr_at_chunk_end_then_lf_is_one_line_end() {
        // If the \r\n were counted as two line ends, the blank line would dispatch too early and
        // split the event in two.
        let events = parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
        assert_eq!(events, [ev("message", "a\nb")]);
    }

    #[test]
    fn cr_at_chunk_end_followed_by_an_empty_chunk_still_pairs_with_lf() {
        let events = parse_chunks(&[b"data: a\r", b"", b"\n", b"\r", b"", b"\n"]);
        assert_eq!(events, [ev("message", "a")]);
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        assert_split_invariant(
            b"data: first\ndata:second\ndata\ndata:  third\n\n",
            &[ev("message", "first\nsecond\n\n third")],
        );
    }

    #[test]
    fn comments_are_ignored() {
        assert_split_invariant(
            b": keep-alive\n:\ndata: x\n: between\n\n: trailing comment\n\n",
            &[ev("message", "x")],
        );
    }

    #[test]
    fn only_one_space_after_the_colon_is_removed() {
        assert_eq!(parse_whole(b"data:x\n\n"), [ev("message", "x")]);
        assert_eq!(parse_whole(b"data:  x \n\n"), [ev("message", " x ")]);
        assert_eq!(parse_whole(b"event:ping\ndata:{}\n\n"), [ev("ping", "{}")]);
        assert_eq!(parse_whole(b"data: a:b: c\n\n"), [ev("message", "a:b: c")]);
    }

    #[test]
    fn field_without_colon_has_an_empty_value() {
        // `data` alone appends an empty line; `event` alone resets the type to the default.
        assert_eq!(parse_whole(b"data\ndata\n\n"), [ev("message", "\n")]);
        assert_eq!(
            parse_whole(b"event: x\nevent\ndata: y\n\n"),
            [ev("message", "y")]
        );
    }

    #[test]
    fn events_without_data_are_not_dispatched() {
        assert_eq!(parse_whole(b"event: ping\n\n\n\nid: 3\n\n"), []);
        // The event type does not leak into the next event.
        assert_eq!(
            parse_whole(b"event: ping\n\ndata: x\n\n"),
            [ev("message", "x")]
        );
        // An empty data line is still data.
        assert_eq!(parse_whole(b"data:\n\n"), [ev("message", "")]);
    }

    #[test]
    fn unknown_fields_and_retry_are_ignored() {
        assert_eq!(
            parse_whole(b"foo: bar\nretry: 100\ndata: x\n\n"),
            [ev("message", "x")]
        );
    }

    #[test]
    fn id_persists_across_events() {
        let events = parse_whole(b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
        let ids: Vec<_> = events.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, [Some("7"), Some("7"), Some("")]);
        let with_nul = parse_whole(b"id: 1\0\ndata: a\n\n");
        assert_eq!(with_nul[0].id, None, "ids containing NUL are ignored");
    }

    #[test]
    fn bom_at_the_start_is_stripped_even_when_split() {
        let input = b"\xEF\xBB\xBFdata: x\n\n";
        assert_split_invariant(input, &[ev("message", "x")]);
        // Only at the very start: a BOM later is part of the content.
        let later = parse_whole(b"data: x\n\n\xEF\xBB\xBFdata: y\n\n");
        assert_eq!(
            later,
            [ev("message", "x")],
            "a BOM-prefixed field name is an unknown field"
        );
    }

    #[test]
    fn bytes_that_only_start_like_a_bom_are_kept() {
        // The parser holds back a BOM prefix until it knows; when it turns out not to be a BOM,
        // the bytes belong to the first line (here making its field name unknown).
        let mut parser = SseParser::new();
        assert_eq!(parser.push(b"\xEF"), []);
        assert_eq!(parser.push(b"\xBB"), []);
        assert!(parser.push(b"data: x\n\ndata: y\n\n") == [ev("message", "y")]);
        let events = parse_chunks(&[b"\xEF", b"\xBB", b"\xBF", b"data: x\n\n"]);
        assert_eq!(
            events,
            [ev("message", "x")],
            "a BOM split byte by byte is still stripped"
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let events = parse_whole(b"data: a\xFFb\n\ndata: ok\n\n");
        assert_eq!(events, [ev("message", "a\u{FFFD}b"), ev("message", "ok")]);
    }

    #[test]
    fn unterminated_event_at_eof_is_reported_and_discarded() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: complete\n\ndata: cut").len() == 1);
        assert!(parser.has_partial(), "an unterminated line is partial");
        assert_eq!(parser.finish(), None);
        assert!(!parser.has_partial());

        let mut parser = SseParser::new();
        assert_eq!(parser.push(b"data: no blank line\n"), []);
        assert!(
            parser.has_partial(),
            "fields without the dispatching blank line are partial"
        );

        let mut parser = SseParser::new();
        parser.push(b"data: x\n\n: comment only\n");
        assert!(
            !parser.has_partial(),
            "a complete stream has nothing pending"
        );
    }

    /// Parses `input` with a limit, whole and at every split into two and three chunks, and
    /// checks each gives `expected` and ends `over_limit` as `refused` says.
    fn assert_limit_at_every_split(input: &[u8], max: usize, expected: &[SseEvent], refused: bool) {
        let run = |chunks: &[&[u8]]| {
            let mut parser = SseParser::with_max_event(max);
            let events: Vec<SseEvent> = chunks.iter().flat_map(|c| parser.push(c)).collect();
            (events, parser.over_limit())
        };
        let want = (expected.to_vec(), refused);
        assert_eq!(run(&[input]), want, "whole input");
        for first in 0..=input.len() {
            for second in first..=input.len() {
                let chunks = [&input[..first], &input[first..second], &input[second..]];
                assert_eq!(run(&chunks), want, "split at {first} and {second}");
            }
        }
    }

    #[test]
    fn an_event_at_the_limit_passes_and_one_byte_over_is_refused_at_every_split() {
        // The event's lines: "event: big" (10 bytes) and "data: xxxxxxxx" (14 bytes) = 24.
        let input = b"data: ok\n\nevent: big\ndata: xxxxxxxx\n\ndata: after\n\n";
        let ok = ev("message", "ok");
        assert_limit_at_every_split(
            input,
            24,
            &[ok.clone(), ev("big", "xxxxxxxx"), ev("message", "after")],
            false,
        );
        assert_limit_at_every_split(input, 23, std::slice::from_ref(&ok), true);
    }

    #[test]
    fn many_small_data_lines_count_together() {
        let input = b"data: a\ndata: b\ndata: c\n\n";
        assert_limit_at_every_split(input, 21, &[ev("message", "a\nb\nc")], false);
        assert_limit_at_every_split(input, 20, &[], true);
    }

    #[test]
    fn an_unterminated_line_over_the_limit_is_refused_at_every_split() {
        assert_limit_at_every_split(b"data: 1\n\ndata: 12345", 11, &[ev("message", "1")], false);
        assert_limit_at_every_split(b"data: 1\n\ndata: 123456", 11, &[ev("message", "1")], true);
    }

    #[test]
    fn an_endless_line_is_refused_with_bounded_memory() {
        const MAX: usize = 1024 * 1024;
        let mut parser = SseParser::with_max_event(MAX);
        assert_eq!(
            parser.push(b"data: first\n\ndata: "),
            [ev("message", "first")]
        );
        let chunk = vec![b'x'; 64 * 1024];
        let mut most_held = 0;
        let mut pushes = 0;
        // 64 MB in all, 64 times the limit.
        for _ in 0..1024 {
            assert_eq!(parser.push(&chunk), []);
            most_held = most_held.max(parser.held());
            pushes += 1;
            if parser.over_limit() {
                break;
            }
        }
        assert!(
            parser.over_limit(),
            "the line never ends, so it must be refused"
        );
        assert_eq!(pushes, 16, "refused as soon as the line passes 1 MiB");
        assert!(
            most_held <= 2 * MAX,
            "held {most_held} bytes for a {MAX} byte limit"
        );
        assert_eq!(parser.held(), 0, "a refused event's bytes are freed");
        assert_eq!(
            parser.push(b"\n\ndata: late\n\n"),
            [],
            "nothing is parsed after the refusal"
        );
        assert!(parser.over_limit());
    }

    #[test]
    fn the_default_limit_is_16_mib() {
        assert_eq!(SseParser::new().max_event(), 16 * 1024 * 1024);
        let mut parser = SseParser::new();
        parser.push(b"data: x\n\n");
        parser.finish();
        assert_eq!(
            parser.max_event(),
            DEFAULT_MAX_EVENT,
            "finish keeps the limit"
        );
    }

    #[test]
    fn long_line_across_many_chunks() {
        let text = "é".repeat(10_000);
        let input = format!("data: {text}\n\n");
        let chunks: Vec<&[u8]> = input.as_bytes().chunks(7).collect();
        assert_eq!(parse_chunks(&chunks), [ev("message", &text)]);
    }
}
