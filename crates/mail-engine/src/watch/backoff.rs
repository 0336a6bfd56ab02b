//! Capped, jittered exponential backoff for reconnecting (1 s doubling to 60 s by default).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Delays between reconnect attempts: each is drawn from the upper half of an exponentially
/// growing window ("equal jitter"), so many clients that lost the same server do not come
/// back in lockstep, yet no delay is shorter than half the window.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    window: Option<Duration>,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            window: None,
        }
    }

    /// The next delay, using `random` (any u64) for the jitter.
    pub fn next_with(&mut self, random: u64) -> Duration {
        let window = match self.window {
            None => self.initial,
            Some(window) => (window * 2).min(self.max),
        };
        self.window = Some(window);
        let half = window / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if jitter_nanos == 0 {
            0
        } else {
            random % (jitter_nanos + 1)
        };
        half + Duration::from_nanos(jitter)
    }

    /// The next delay with fresh randomness.
    pub fn next_delay(&mut self) -> Duration {
        self.next_with(random_u64())
    }

    /// After a success: the next failure starts again from the initial delay.
    pub fn reset(&mut self) {
        self.window = None;
    }
}

/// A random u64 from std's per-instance hash keys (no extra dependency for jitter).
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_within_jitter_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let windows = [1, 2, 4, 8, 16, 32, 60, 60];
        for (step, window) in windows.iter().enumerate() {
            let window = Duration::from_secs(*window);
            let low = backoff.clone().next_with(0);
            let high = backoff.clone().next_with(u64::MAX);
            let delay = backoff.next_delay();
            assert_eq!(low, window / 2, "step {step}");
            assert!(high <= window, "step {step}: {high:?}");
            assert!(
                delay >= window / 2 && delay <= window,
                "step {step}: {delay:?}"
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_secs(1));
    }

    #[test]
    fn jitter_spreads_delays() {
        let mut delays: Vec<Duration> = (0..20)
            .map(|_| Backoff::new(Duration::from_secs(8), Duration::from_secs(60)).next_delay())
            .collect();
        delays.sort();
        delays.dedup();
        assert!(delays.len() > 10, "{delays:?}");
    }
}
