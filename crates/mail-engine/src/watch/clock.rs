//! Detects that the machine slept (or its clock jumped): the wall clock moved much more
//! or less than the monotonic clock, which stands still while the machine is suspended.

use std::time::{Duration, Instant, SystemTime};

/// Compares wall-clock and monotonic time between checks.
#[derive(Debug)]
pub struct JumpDetector {
    threshold: Duration,
    last: (SystemTime, Instant),
}

impl JumpDetector {
    pub fn new(threshold: Duration) -> Self {
        Self {
            threshold,
            last: (SystemTime::now(), Instant::now()),
        }
    }

    /// True when, since the last check, the two clocks disagree by more than the threshold.
    pub fn check(&mut self) -> bool {
        self.check_at(SystemTime::now(), Instant::now())
    }

    pub fn check_at(&mut self, wall: SystemTime, monotonic: Instant) -> bool {
        let (last_wall, last_monotonic) = self.last;
        self.last = (wall, monotonic);
        let monotonic_elapsed = monotonic.saturating_duration_since(last_monotonic);
        let skew = match wall.duration_since(last_wall) {
            Ok(wall_elapsed) => wall_elapsed.abs_diff(monotonic_elapsed),
            // The wall clock went backwards.
            Err(backwards) => backwards.duration() + monotonic_elapsed,
        };
        skew > self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleep_or_clock_change_is_a_jump_and_normal_time_is_not() {
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mono = Instant::now();
        let mut detector = JumpDetector {
            threshold: Duration::from_secs(10),
            last: (wall, mono),
        };
        let step = Duration::from_secs(5);
        assert!(!detector.check_at(wall + step, mono + step));
        // Suspended for an hour: the wall clock moved, the monotonic one barely.
        assert!(detector.check_at(wall + step + Duration::from_secs(3600), mono + step * 2));
        // The clock set back by a minute.
        let now = wall + step + Duration::from_secs(3600);
        assert!(detector.check_at(now - Duration::from_secs(60), mono + step * 3));
        // Small drift is not a jump.
        let now = now - Duration::from_secs(60);
        assert!(!detector.check_at(now + Duration::from_secs(6), mono + step * 4));
    }
}
