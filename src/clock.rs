//! The only reader of the system clock.
//!
//! Domain code never calls `SystemTime::now()`: handlers ask the [`Clock`] in
//! the application state and pass the instant down. Tests (and the control
//! API) use a manual clock that only moves when told to, so expiry, polling
//! intervals and delayed approvals are tested without sleeping. Durations
//! (a request's, a client's deadline) are measured with [`Stopwatch`]. The
//! `disallowed-methods` lint (`clippy.toml`) holds this: this module is the
//! only one allowed `SystemTime::now` and `Instant::now`.
#![allow(
    clippy::disallowed_methods,
    reason = "the one module that reads the system clock"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Measures how long something takes (monotonic time).
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Self {
        Self(Instant::now())
    }

    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock shared by the whole server: the system clock plus an offset that
/// can be moved forward, or a fixed instant that only moves when told to.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Milliseconds since the epoch when fixed, else `i64::MIN`.
    fixed_ms: AtomicI64,
    /// Milliseconds added to the system time (when not fixed).
    offset_ms: AtomicI64,
}

impl Clock {
    /// The real time.
    pub fn system() -> Self {
        Self::with(i64::MIN)
    }

    /// A clock stopped at `at`; it moves only through [`Clock::advance`].
    pub fn fixed(at: SystemTime) -> Self {
        Self::with(to_ms(at))
    }

    fn with(fixed_ms: i64) -> Self {
        Self {
            inner: Arc::new(Inner {
                fixed_ms: AtomicI64::new(fixed_ms),
                offset_ms: AtomicI64::new(0),
            }),
        }
    }

    pub fn now(&self) -> SystemTime {
        let fixed = self.inner.fixed_ms.load(Ordering::Acquire);
        if fixed != i64::MIN {
            return from_ms(fixed);
        }
        let offset = self.inner.offset_ms.load(Ordering::Acquire);
        let now = SystemTime::now();
        if offset >= 0 {
            now + Duration::from_millis(offset.unsigned_abs())
        } else {
            now - Duration::from_millis(offset.unsigned_abs())
        }
    }

    /// `("fixed", 0)`, `("system", 0)` or `("offset", how far ahead)`.
    pub fn describe(&self) -> (&'static str, Duration) {
        if self.inner.fixed_ms.load(Ordering::Acquire) != i64::MIN {
            return ("fixed", Duration::ZERO);
        }
        match self.inner.offset_ms.load(Ordering::Acquire) {
            0 => ("system", Duration::ZERO),
            ms => ("offset", Duration::from_millis(ms.unsigned_abs())),
        }
    }

    /// Moves the clock forward (both kinds of clock).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        let fixed = &self.inner.fixed_ms;
        let mut current = fixed.load(Ordering::Acquire);
        while current != i64::MIN {
            match fixed.compare_exchange(
                current,
                current.saturating_add(ms),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
        self.inner.offset_ms.fetch_add(ms, Ordering::AcqRel);
    }
}

/// `at + by`, saturating far in the future instead of overflowing (which
/// would panic): durations come from configuration and control calls.
pub fn later(at: SystemTime, by: Duration) -> SystemTime {
    at.checked_add(by)
        .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(FAR_FUTURE_S))
}

/// Year 9999: later than anything psc-mock schedules.
const FAR_FUTURE_S: u64 = 253_402_300_799;

/// Seconds since the epoch, as JWT `exp`/`iat` want them.
pub fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn to_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4))
}

fn from_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0).unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_advanced() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let clock = Clock::fixed(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now(), start + Duration::from_millis(1500));
    }

    #[test]
    fn later_saturates_instead_of_panicking() {
        let end = later(UNIX_EPOCH, Duration::from_secs(u64::MAX));
        assert_eq!(end, UNIX_EPOCH + Duration::from_secs(FAR_FUTURE_S));
        assert_eq!(
            later(UNIX_EPOCH, Duration::from_secs(1)),
            UNIX_EPOCH + Duration::from_secs(1)
        );
    }

    #[test]
    fn system_clock_can_be_moved_forward() {
        let clock = Clock::system();
        let before = SystemTime::now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + Duration::from_secs(3600));
    }
}
