//! When to send a failed request again, as a pure function of the attempt and the error.

use std::time::Duration;

use crate::error::ClaudeError;

/// The longest `retry-after` honoured. A server asking for more is effectively saying "not now";
/// the user is better served by an error and a retry button than by a spinner for minutes.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Exponential backoff with jitter for transient errors.
///
/// The policy is pure: the caller supplies the random jitter, so tests are deterministic and the
/// caller decides where randomness comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a request is sent again after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// Upper bound on the exponential delay (a `retry-after` may exceed it, up to
    /// [`MAX_RETRY_AFTER`]).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How long to wait before retry number `retry_number` (1 for the first retry), or `None`
    /// when the error must not be retried or the retries are used up.
    ///
    /// A server's `retry-after` is used as given (capped at [`MAX_RETRY_AFTER`]). Otherwise the
    /// delay is `base_delay * 2^(retry_number - 1)`, capped at `max_delay`, with "equal jitter":
    /// half of it fixed and half scaled by `jitter` (expected in `0.0..=1.0`, clamped). Equal
    /// rather than full jitter keeps a floor under the delay, so a run of retries cannot hammer an
    /// overloaded server with near-zero waits.
    pub fn delay_for(&self, retry_number: u32, err: &ClaudeError, jitter: f64) -> Option<Duration> {
        let retry_number = retry_number.max(1);
        if retry_number > self.max_retries || !err.is_retryable() {
            return None;
        }
        if let Some(retry_after) = err.retry_after {
            return Some(retry_after.min(MAX_RETRY_AFTER));
        }
        let factor = 2u32.saturating_pow(retry_number - 1);
        let exponential = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        let half = exponential / 2;
        Some(half + half.mul_f64(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiErrorKind;

    fn http(status: u16) -> ClaudeError {
        ClaudeError::from_http(status, None, None, b"")
    }

    #[test]
    fn never_retries_client_errors() {
        let policy = RetryPolicy::default();
        for status in [400, 401, 403, 404, 413] {
            assert_eq!(
                policy.delay_for(1, &http(status), 0.5),
                None,
                "{status} would fail again"
            );
        }
        assert_eq!(policy.delay_for(1, &ClaudeError::cancelled(), 0.5), None);
    }

    #[test]
    fn retries_transient_errors() {
        let policy = RetryPolicy::default();
        for err in [
            http(429),
            http(500),
            http(529),
            ClaudeError::new(ApiErrorKind::Network, "x"),
        ] {
            assert!(policy.delay_for(1, &err, 0.5).is_some(), "{err:?}");
        }
    }

    #[test]
    fn delay_grows_exponentially_with_equal_jitter() {
        let policy = RetryPolicy::default();
        let err = http(529);
        // Without jitter the delay is half the exponential step; with full jitter all of it.
        assert_eq!(
            policy.delay_for(1, &err, 0.0),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            policy.delay_for(1, &err, 1.0),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            policy.delay_for(2, &err, 1.0),
            Some(Duration::from_millis(1000))
        );
        assert_eq!(
            policy.delay_for(3, &err, 1.0),
            Some(Duration::from_millis(2000))
        );
        assert_eq!(
            policy.delay_for(4, &err, 0.5),
            Some(Duration::from_millis(3000))
        );
    }

    #[test]
    fn delay_is_capped_at_max_delay() {
        let policy = RetryPolicy {
            max_retries: 40,
            ..RetryPolicy::default()
        };
        let err = http(500);
        assert_eq!(
            policy.delay_for(10, &err, 1.0),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            policy.delay_for(40, &err, 1.0),
            Some(Duration::from_secs(30)),
            "no overflow"
        );
    }

    #[test]
    fn out_of_range_jitter_is_clamped() {
        let policy = RetryPolicy::default();
        let err = http(429);
        assert_eq!(
            policy.delay_for(1, &err, 7.0),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            policy.delay_for(1, &err, -3.0),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            policy.delay_for(1, &err, f64::NAN),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default();
        let err = ClaudeError::from_http(429, None, Some(Duration::from_secs(7)), b"");
        assert_eq!(policy.delay_for(1, &err, 0.0), Some(Duration::from_secs(7)));
        assert_eq!(policy.delay_for(3, &err, 1.0), Some(Duration::from_secs(7)));
        let long = ClaudeError::from_http(429, None, Some(Duration::from_secs(3600)), b"");
        assert_eq!(policy.delay_for(1, &long, 0.0), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn stops_after_max_retries() {
        let policy = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        let err = http(529);
        assert!(policy.delay_for(2, &err, 0.0).is_some());
        assert_eq!(policy.delay_for(3, &err, 0.0), None);
        assert_eq!(RetryPolicy::none().delay_for(1, &err, 0.0), None);
    }
}
