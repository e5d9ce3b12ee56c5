//! The store's clock: wall-clock milliseconds, nudged forward when needed so
//! that every reading is strictly greater than the previous one.
//!
//! Without this, two updates in the same millisecond (or a wall clock stepped
//! backwards by NTP) would make "most recently updated first" disagree with
//! the order in which things actually happened.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub(crate) struct Clock {
    last: AtomicI64,
}

impl Clock {
    /// Milliseconds since the Unix epoch, strictly increasing per clock.
    pub(crate) fn now_ms(&self) -> i64 {
        let wall = wall_ms();
        let mut previous = self.last.load(Ordering::Relaxed);
        loop {
            let next = wall.max(previous.saturating_add(1));
            match self.last.compare_exchange_weak(
                previous,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(current) => previous = current,
            }
        }
    }
}

fn wall_ms() -> i64 {
    // A clock before 1970 is a broken machine; 0 still keeps readings ordered.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_strictly_increase_even_within_one_millisecond() {
        let clock = Clock::default();
        let readings: Vec<i64> = (0..1000).map(|_| clock.now_ms()).collect();
        assert!(
            readings.windows(2).all(|pair| pair[0] < pair[1]),
            "orderings by timestamp rely on no two readings being equal"
        );
    }

    #[test]
    fn readings_track_the_wall_clock() {
        let clock = Clock::default();
        let before = wall_ms();
        let reading = clock.now_ms();
        assert!(reading >= before && reading <= wall_ms() + 1);
    }
}
