//! When to retry and how long to wait: exponential backoff with full jitter for 5xx and connection failures,
//! `Retry-After` for 429, and a backoff shared by the whole connection so that one 429 slows every request, not
//! just the one that got it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

/// How many times to try and how long to wait between tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff base: attempt n waits up to `base * 2^(n-1)`.
    pub base_delay: Duration,
    /// The longest wait, whatever the attempt or `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` after a transient failure (full jitter).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(self.max_delay);
        ceiling.mul_f64(jitter())
    }

    /// The wait a 429 asks for: `Retry-After` seconds (or the rate-limit reset), else the backoff; capped.
    pub fn throttle_delay(&self, headers: &HeaderMap, attempt: u32) -> Duration {
        let retry_after = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        match retry_after {
            // A little jitter on top, so that waiting clients do not all come back at the same instant.
            Some(wait) => (wait + self.base_delay.mul_f64(jitter())).min(self.max_delay),
            None => self.backoff(attempt.max(1)),
        }
    }
}

/// A uniform number in `[0, 1)`.
fn jitter() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// A "not before" instant shared by every request of a connection.
#[derive(Debug, Default)]
pub struct SharedBackoff {
    not_before: Mutex<Option<Instant>>,
}

impl SharedBackoff {
    /// Makes every request wait at least `delay` from now.
    pub fn pause(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut slot = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none_or(|t| t < until) {
            *slot = Some(until);
        }
    }

    /// How long a request must still wait.
    pub fn remaining(&self) -> Duration {
        let slot = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        slot.map_or(Duration::ZERO, |t| t.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p =
            RetryPolicy { max_attempts: 5, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        for attempt in 1..10 {
            let d = p.backoff(attempt);
            let ceiling = Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(1));
            assert!(d <= ceiling, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured() {
        let p =
            RetryPolicy { max_attempts: 5, base_delay: Duration::from_millis(10), max_delay: Duration::from_secs(60) };
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        let d = p.throttle_delay(&h, 1);
        assert!(d >= Duration::from_secs(2) && d < Duration::from_millis(2_010), "{d:?}");
        h.insert("retry-after", HeaderValue::from_static("3600"));
        assert_eq!(p.throttle_delay(&h, 1), Duration::from_secs(60), "capped");
    }

    #[test]
    fn shared_backoff_keeps_the_latest_deadline() {
        let b = SharedBackoff::default();
        assert_eq!(b.remaining(), Duration::ZERO);
        b.pause(Duration::from_secs(5));
        b.pause(Duration::from_secs(1));
        assert!(b.remaining() > Duration::from_secs(4));
    }
}
