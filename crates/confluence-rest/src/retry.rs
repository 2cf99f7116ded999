//! When to retry and how long to wait: exponential backoff with full jitter for 5xx and connection failures, the
//! server's own wait (`Retry-After` in seconds or as an HTTP date, else `X-RateLimit-Reset`) for 429 and 503 up to
//! a cap, and a backoff shared by the whole connection so that one 429 slows every request, not just the one that
//! got it. A server that asks for a longer wait than the cap gets an error that says so, not a hung query.

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
    /// The longest backoff between attempts when the server does not say how long to wait.
    pub max_delay: Duration,
    /// The longest wait the server may ask for (`Retry-After`); a longer one fails the request at once.
    pub max_server_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            max_server_wait: Duration::from_secs(120),
        }
    }
}

/// How long to wait before the next attempt after a 429 or a 503.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleWait {
    /// Wait this long, then retry.
    Retry(Duration),
    /// The server asked for this long, more than [`RetryPolicy::max_server_wait`]: give up now.
    TooLong(Duration),
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` after a transient failure (full jitter).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(self.max_delay);
        ceiling.mul_f64(jitter())
    }

    /// The wait a 429 (or a 503) asks for: the server's wait plus a little jitter, else the backoff.
    pub fn throttle_delay(&self, headers: &HeaderMap, attempt: u32) -> ThrottleWait {
        match server_wait(headers, chrono::Utc::now()) {
            Some(wait) if wait > self.max_server_wait => ThrottleWait::TooLong(wait),
            // A little jitter on top, so that waiting clients do not all come back at the same instant.
            Some(wait) => ThrottleWait::Retry(wait.saturating_add(self.base_delay.mul_f64(jitter()))),
            None => ThrottleWait::Retry(self.backoff(attempt.max(1))),
        }
    }
}

/// The wait a response asks for: `Retry-After` as seconds (fractions allowed) or as an HTTP date, else
/// `X-RateLimit-Reset` as an ISO-8601 time or Unix seconds. Nonsense (negative, not a number, unparsable) counts
/// as absent; an enormous value stays enormous (the caller caps it).
pub fn server_wait(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let until = |at: chrono::DateTime<chrono::Utc>| (at - now).to_std().unwrap_or(Duration::ZERO);
    if let Some(value) = text("retry-after") {
        if let Ok(seconds) = value.parse::<f64>() {
            if seconds.is_finite() && seconds >= 0.0 {
                return Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
            }
        } else if let Ok(at) = chrono::DateTime::parse_from_rfc2822(value) {
            return Some(until(at.with_timezone(&chrono::Utc)));
        }
    }
    let reset = text("x-ratelimit-reset")?;
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(reset) {
        return Some(until(at.with_timezone(&chrono::Utc)));
    }
    let seconds = reset.parse::<i64>().ok()?;
    chrono::DateTime::from_timestamp(seconds, 0).map(until)
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
        let Some(until) = Instant::now().checked_add(delay) else { return };
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

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
            max_server_wait: Duration::from_secs(60),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy { base_delay: Duration::from_millis(100), ..policy() };
        for attempt in 1..10 {
            let d = p.backoff(attempt);
            let ceiling = Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(1));
            assert!(d <= ceiling, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = policy();
        let ThrottleWait::Retry(d) = p.throttle_delay(&headers(&[("retry-after", "2")]), 1) else { panic!() };
        assert!(d >= Duration::from_secs(2) && d < Duration::from_millis(2_010), "{d:?}");
        assert_eq!(
            p.throttle_delay(&headers(&[("retry-after", "3600")]), 1),
            ThrottleWait::TooLong(Duration::from_secs(3600))
        );
    }

    /// `Retry-After: 1e20` once panicked `Duration::from_secs_f64` in a worker, and the query answered 0 rows.
    #[test]
    fn absurd_waits_do_not_panic() {
        let p = policy();
        for value in ["1e20", "1e400", "18446744073709551616", "inf", "NaN", "-1", "-1e20", "  7  ", "", "soon"] {
            let h = HeaderMap::from_iter([(
                reqwest::header::RETRY_AFTER,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("x")),
            )]);
            let _ = p.throttle_delay(&h, 1);
        }
        assert!(matches!(p.throttle_delay(&headers(&[("retry-after", "1e20")]), 1), ThrottleWait::TooLong(_)));
        let b = SharedBackoff::default();
        b.pause(Duration::MAX);
        assert_eq!(b.remaining(), Duration::ZERO, "an instant past the end of time is ignored, not a panic");
    }

    #[test]
    fn http_dates_and_rate_limit_resets() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").map(|t| t.to_utc()).ok();
        let now = now.unwrap_or_default();
        let wait = |pairs: &[(&'static str, &'static str)]| server_wait(&headers(pairs), now);
        assert_eq!(wait(&[("retry-after", "Sat, 28 Nov 2026 10:00:30 GMT")]), Some(Duration::from_secs(30)));
        assert_eq!(wait(&[("retry-after", "Sat, 28 Nov 2026 09:00:00 GMT")]), Some(Duration::ZERO), "in the past");
        assert_eq!(wait(&[("x-ratelimit-reset", "2026-11-28T10:00:05Z")]), Some(Duration::from_secs(5)));
        assert_eq!(wait(&[("x-ratelimit-reset", "1795860010")]), Some(Duration::from_secs(10)));
        assert_eq!(
            wait(&[("retry-after", "1"), ("x-ratelimit-reset", "2026-11-28T10:00:05Z")]),
            Some(Duration::from_secs(1)),
            "Retry-After first"
        );
        assert_eq!(wait(&[]), None);
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
