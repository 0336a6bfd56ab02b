//! Progress people can see: which phase of bringing a cache up to date is running (headers,
//! bodies, indexing for search) and an estimate of the time left from the pace so far.

use std::time::Duration;

use serde::Serialize;

/// What a `sync_progress` event counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressPhase {
    /// Message headers of a folder's first (or resumed, or restarted) sync.
    Headers,
    /// Message bodies kept for offline reading.
    Bodies,
    /// Messages made searchable (the whole cache, not one folder).
    Indexing,
}

impl ProgressPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressPhase::Headers => "headers",
            ProgressPhase::Bodies => "bodies",
            ProgressPhase::Indexing => "indexing",
        }
    }
}

/// No estimate before this much work was watched: the first batch's pace says little.
const MIN_WATCHED: Duration = Duration::from_millis(300);

/// Time left for `remaining` items when `done` took `elapsed` (the pace so far); `None`
/// until there is a pace to go by.
pub fn time_left(done: u64, elapsed: Duration, remaining: u64) -> Option<Duration> {
    if remaining == 0 {
        return Some(Duration::ZERO);
    }
    if done == 0 || elapsed < MIN_WATCHED {
        return None;
    }
    let seconds = elapsed.as_secs_f64() * remaining as f64 / done as f64;
    // A pace of one item in days would overflow nothing, but say nothing useful either.
    (seconds.is_finite() && seconds < 1e7).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_follows_the_pace_so_far() {
        let s = Duration::from_secs;
        let table: &[(u64, Duration, u64, Option<Duration>)] = &[
            (0, s(5), 100, None),
            (10, Duration::from_millis(100), 100, None),
            (100, s(1), 0, Some(Duration::ZERO)),
            (0, s(0), 0, Some(Duration::ZERO)),
            (100, s(1), 900, Some(s(9))),
            (1_000, s(2), 500, Some(s(1))),
            (1, s(10_000), 1_000_000_000, None),
        ];
        for (done, elapsed, remaining, expected) in table {
            assert_eq!(
                time_left(*done, *elapsed, *remaining),
                *expected,
                "{done} in {elapsed:?}, {remaining} left"
            );
        }
    }
}
