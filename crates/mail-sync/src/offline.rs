//! The offline policy: which message bodies an account keeps in the cache (none, the last N
//! days of every folder, or all), how a message beyond the size limit is kept (its text;
//! attachments fetched when saved), and how the policy is written in the cache, on the
//! command line and in the app (`none`, `days:N`, `all`).

use std::fmt;

/// Which bodies to keep offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfflinePolicy {
    /// Headers only: bodies are fetched when opened (and then kept).
    None,
    /// Bodies of messages that arrived in the last N days, in every folder.
    Days(u32),
    /// Every body of every folder.
    All,
}

/// What a new account keeps: the last 90 days.
pub const DEFAULT_OFFLINE_DAYS: u32 = 90;

/// What a new account keeps beyond which a message keeps only its text: 2 MiB.
pub const DEFAULT_OFFLINE_MAX_BYTES: u64 = 2 << 20;

/// Days are counted up to a hundred years (`days:36500`); more is `all`.
const MAX_DAYS: u32 = 36_500;

impl Default for OfflinePolicy {
    fn default() -> Self {
        OfflinePolicy::Days(DEFAULT_OFFLINE_DAYS)
    }
}

impl fmt::Display for OfflinePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfflinePolicy::None => f.write_str("none"),
            OfflinePolicy::Days(days) => write!(f, "days:{days}"),
            OfflinePolicy::All => f.write_str("all"),
        }
    }
}

impl std::str::FromStr for OfflinePolicy {
    type Err = String;

    /// `none`, `all` or `days:N` (N from 1 to 36,500; `days:0` is `none`).
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        match text.as_str() {
            "none" => return Ok(OfflinePolicy::None),
            "all" => return Ok(OfflinePolicy::All),
            _ => {}
        }
        let days = text
            .strip_prefix("days:")
            .and_then(|days| days.parse::<u32>().ok())
            .ok_or_else(|| format!("'{text}' is not none, all or days:N"))?;
        match days {
            0 => Ok(OfflinePolicy::None),
            1..=MAX_DAYS => Ok(OfflinePolicy::Days(days)),
            _ => Err(format!(
                "days:{days} is more than {MAX_DAYS} days; say all instead"
            )),
        }
    }
}

impl OfflinePolicy {
    /// The earliest arrival (Unix seconds) whose body is kept at `now`; `None`: no bodies.
    pub fn kept_since(self, now: i64) -> Option<i64> {
        match self {
            OfflinePolicy::None => None,
            OfflinePolicy::Days(days) => Some(now.saturating_sub(i64::from(days) * 86_400)),
            OfflinePolicy::All => Some(i64::MIN),
        }
    }

    /// Whether the body budget applies: "all" means all (the disk is the limit); a window
    /// of days stays within the budget, the oldest bodies going first.
    pub fn within_budget(self) -> bool {
        !matches!(self, OfflinePolicy::All)
    }
}

/// How a message's body is kept offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepBody {
    /// The whole message.
    Whole,
    /// Its text (and structure); attachments are fetched when saved.
    TextFirst,
}

/// How a message of `size` bytes (RFC822.SIZE) is kept under a size limit of `max_bytes`.
pub fn keep_body(size: u64, max_bytes: u64) -> KeepBody {
    if size > max_bytes {
        KeepBody::TextFirst
    } else {
        KeepBody::Whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_and_write_the_same_words() {
        let table: &[(&str, Result<OfflinePolicy, ()>)] = &[
            ("none", Ok(OfflinePolicy::None)),
            ("all", Ok(OfflinePolicy::All)),
            (" ALL ", Ok(OfflinePolicy::All)),
            ("days:90", Ok(OfflinePolicy::Days(90))),
            ("days:1", Ok(OfflinePolicy::Days(1))),
            ("days:0", Ok(OfflinePolicy::None)),
            ("days:36500", Ok(OfflinePolicy::Days(36_500))),
            ("days:36501", Err(())),
            ("days:-3", Err(())),
            ("days:", Err(())),
            ("days", Err(())),
            ("90", Err(())),
            ("some", Err(())),
            ("", Err(())),
        ];
        for (text, expected) in table {
            let parsed: Result<OfflinePolicy, String> = text.parse();
            assert_eq!(parsed.clone().map_err(|_| ()), *expected, "{text:?}");
            if let Ok(policy) = parsed {
                if *text != "days:0" {
                    assert_eq!(
                        policy.to_string(),
                        text.trim().to_ascii_lowercase(),
                        "round trip"
                    );
                }
            }
        }
        assert_eq!(OfflinePolicy::default(), OfflinePolicy::Days(90));
    }

    #[test]
    fn the_policy_says_from_when_bodies_are_kept() {
        let now = 1_800_000_000;
        assert_eq!(OfflinePolicy::None.kept_since(now), None);
        assert_eq!(
            OfflinePolicy::Days(2).kept_since(now),
            Some(now - 2 * 86_400)
        );
        assert_eq!(OfflinePolicy::All.kept_since(now), Some(i64::MIN));
        assert!(OfflinePolicy::Days(2).within_budget());
        assert!(!OfflinePolicy::All.within_budget());
    }

    #[test]
    fn messages_beyond_the_size_limit_keep_their_text() {
        assert_eq!(keep_body(100, 2 << 20), KeepBody::Whole);
        assert_eq!(keep_body(2 << 20, 2 << 20), KeepBody::Whole);
        assert_eq!(keep_body((2 << 20) + 1, 2 << 20), KeepBody::TextFirst);
        assert_eq!(keep_body(1, 0), KeepBody::TextFirst);
    }
}
