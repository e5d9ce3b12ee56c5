//! How much of an import file each part may take, enforced while it is read.
//!
//! serde_json reads a string token whole into a buffer before any visitor sees it, so a visitor
//! alone cannot refuse a 300 MiB image before it is in memory (that one reached 841 MiB: the
//! buffer, doubled as it grew, then a copy). Instead the visitors tell the [`Allowance`] which
//! part of the file comes next and how many bytes of the file it may take, and the [`Metered`]
//! reader under the parser fails the read that would go beyond. The parser stops with an I/O
//! error, and the import replaces it with the [`TooLarge`] the allowance kept. Memory is then
//! bounded by the largest part allowed, whatever the file holds.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Read;
use std::rc::Rc;

use super::{ProgressSink, TransferProgress};

/// Progress is reported every this many bytes read.
const PROGRESS_STEP: u64 = 1 << 20;

/// A part of the file, for the message when it is too large.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    /// The whole file.
    File,
    /// The opening of the file, a top-level key or a short value.
    Header,
    /// The `n`th conversation (from 1).
    Conversation(u64),
    /// The `n`th folder (from 1).
    Folder(u64),
    /// The `n`th preset (from 1).
    Preset(u64),
    /// The key of the `n`th image (from 1).
    ImageKey(u64),
    /// The `n`th image (from 1), with the start of its SHA-256.
    Image(u64, String),
    /// A field this version does not read: skipped without being held.
    Ignored,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::File => write!(f, "the file"),
            Part::Header | Part::Ignored => write!(f, "a field name or value"),
            Part::Conversation(n) => write!(f, "conversation {n}"),
            Part::Folder(n) => write!(f, "folder {n}"),
            Part::Preset(n) => write!(f, "preset {n}"),
            Part::ImageKey(n) => write!(f, "the key of image {n}"),
            Part::Image(n, short) => write!(f, "image {n} ({short}…)"),
        }
    }
}

/// The part that went over its allowance, and the allowance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TooLarge {
    pub part: Part,
    pub max_bytes: u64,
}

/// What the part being read may still take; shared by the visitors (which set it) and the
/// reader (which enforces it). Both run on the one thread that parses.
#[derive(Debug)]
pub(super) struct Allowance {
    /// Bytes of the file read so far.
    read: Cell<u64>,
    /// The whole file may not go beyond this.
    file_max: u64,
    /// The current part may not read beyond this position.
    end: Cell<u64>,
    part: RefCell<TooLarge>,
    exceeded: RefCell<Option<TooLarge>>,
}

impl Allowance {
    pub fn new(file_max: u64) -> Rc<Self> {
        Rc::new(Self {
            read: Cell::new(0),
            file_max,
            end: Cell::new(file_max),
            part: RefCell::new(TooLarge {
                part: Part::File,
                max_bytes: file_max,
            }),
            exceeded: RefCell::new(None),
        })
    }

    /// The next bytes belong to `part`, which may take at most `max_bytes` of the file.
    pub fn next(&self, part: Part, max_bytes: u64) {
        self.end.set(self.read.get().saturating_add(max_bytes));
        *self.part.borrow_mut() = TooLarge { part, max_bytes };
    }

    /// The next bytes are skipped by the parser without being held: only the file's own limit
    /// applies.
    pub fn unlimited(&self) {
        self.next(Part::Ignored, u64::MAX);
    }

    /// The part that went over its allowance, if one did.
    pub fn exceeded(&self) -> Option<TooLarge> {
        self.exceeded.borrow().clone()
    }

    /// How many bytes may be read now, and what is over its allowance when none may.
    fn room(&self) -> (u64, TooLarge) {
        let read = self.read.get();
        let part_room = self.end.get().saturating_sub(read);
        let file_room = self.file_max.saturating_sub(read);
        let limiting = if file_room <= part_room {
            TooLarge {
                part: Part::File,
                max_bytes: self.file_max,
            }
        } else {
            self.part.borrow().clone()
        };
        (part_room.min(file_room), limiting)
    }
}

/// A reader that reads only what the [`Allowance`] allows, and reports progress.
pub(super) struct Metered<'a, R> {
    inner: R,
    allowance: Rc<Allowance>,
    progress: &'a dyn ProgressSink,
    /// Progress is `(offset + read) / 2` of `total`: an import reads the file twice.
    offset: u64,
    total: u64,
    reported: u64,
}

impl<'a, R: Read> Metered<'a, R> {
    pub fn new(
        inner: R,
        allowance: Rc<Allowance>,
        progress: &'a dyn ProgressSink,
        offset: u64,
        total: u64,
    ) -> Self {
        Self {
            inner,
            allowance,
            progress,
            offset,
            total,
            reported: 0,
        }
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let (room, limiting) = self.allowance.room();
        if room == 0 {
            // Only a byte beyond the allowance that exists makes the part too large: at the
            // end of the file the parser gets its own, clearer error.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            *self.allowance.exceeded.borrow_mut() = Some(limiting);
            return Err(std::io::Error::other("part of the file is too large"));
        }
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
        let read = self.allowance.read.get() + n as u64;
        self.allowance.read.set(read);
        if read - self.reported >= PROGRESS_STEP {
            self.reported = read;
            self.progress.progress(TransferProgress {
                done: ((self.offset + read) / 2).min(self.total),
                total: self.total,
            });
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::NoProgress;

    fn read_all(allowance: &Rc<Allowance>, data: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Metered::new(data, Rc::clone(allowance), &NoProgress, 0, 0).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_part_reads_up_to_its_allowance_and_not_a_byte_more() {
        let allowance = Allowance::new(1 << 20);
        allowance.next(Part::Image(1, "abc".into()), 4);
        assert_eq!(read_all(&allowance, b"1234").unwrap(), b"1234");
        assert_eq!(allowance.exceeded(), None, "exactly the allowance is fine");

        let allowance = Allowance::new(1 << 20);
        allowance.next(Part::Image(1, "abc".into()), 4);
        assert!(read_all(&allowance, b"12345").is_err());
        assert_eq!(
            allowance.exceeded(),
            Some(TooLarge {
                part: Part::Image(1, "abc".into()),
                max_bytes: 4
            })
        );
    }

    #[test]
    fn the_file_limit_holds_under_every_part() {
        let allowance = Allowance::new(3);
        allowance.unlimited();
        assert!(read_all(&allowance, b"12345").is_err());
        assert_eq!(
            allowance.exceeded().map(|too_large| too_large.part),
            Some(Part::File)
        );
    }

    #[test]
    fn a_new_part_starts_counting_from_where_the_file_is() {
        let allowance = Allowance::new(1 << 20);
        let data = b"aaaabbbb";
        let mut reader = Metered::new(&data[..], Rc::clone(&allowance), &NoProgress, 0, 0);
        let mut buf = [0u8; 8];
        allowance.next(Part::Conversation(1), 4);
        reader.read_exact(&mut buf[..4]).unwrap();
        allowance.next(Part::Conversation(2), 4);
        reader.read_exact(&mut buf[4..]).unwrap();
        assert_eq!(&buf, data);
        assert_eq!(allowance.exceeded(), None);
    }
}
