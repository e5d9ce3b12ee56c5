//! The last lines a server wrote to stderr, kept so a failed server can say why.

use std::collections::VecDeque;

/// At most this many lines are kept...
pub const MAX_LINES: usize = 200;
/// ...and at most this many bytes, whichever limit comes first.
pub const MAX_BYTES: usize = 64 * 1024;
/// One line longer than this is cut (a server that writes megabytes without a newline).
const MAX_LINE_BYTES: usize = 8 * 1024;

/// A bounded ring of stderr lines; the oldest go first.
#[derive(Debug, Default)]
pub struct StderrRing {
    lines: VecDeque<String>,
    bytes: usize,
}

impl StderrRing {
    pub fn push(&mut self, line: &str) {
        let mut line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        self.bytes += line.len();
        self.lines.push_back(line);
        while self.lines.len() > MAX_LINES || self.bytes > MAX_BYTES {
            match self.lines.pop_front() {
                Some(old) => self.bytes -= old.len(),
                None => break,
            }
        }
    }

    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_within_both_limits() {
        let mut ring = StderrRing::default();
        for index in 0..500 {
            ring.push(&format!("line {index}\n"));
        }
        let lines = ring.lines();
        assert_eq!(lines.len(), MAX_LINES);
        assert_eq!(lines.last().map(String::as_str), Some("line 499"));
        for _ in 0..100 {
            ring.push(&"x".repeat(20_000));
        }
        let total: usize = ring.lines().iter().map(String::len).sum();
        assert!(total <= MAX_BYTES, "{total} bytes kept");
        assert!(
            ring.lines()
                .iter()
                .all(|line| line.len() <= MAX_LINE_BYTES + '…'.len_utf8())
        );
    }
}
