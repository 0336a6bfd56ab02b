//! Keeping a big folder current on a server without CONDSTORE (Microsoft 365, Courier;
//! issue 16): which flags a UID+flags delta fetches — the newest messages' every time, the
//! whole folder's now and then and when asked — and where expunged messages are looked for
//! when the count says some went below that window: `UID SEARCH UID a:b` over cached ranges,
//! newest first, each range twice the last, until the count is accounted for. Pure: the
//! engine measures time, asks the server and hands the answers over.

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::types::Uid;

/// The newest cached messages whose flags every UID+flags delta fetches.
pub const RECENT_FLAGS: usize = 1_000;

/// How long a folder goes without a fetch of every message's flags (changes to older
/// messages made elsewhere show within this).
pub const FULL_FLAGS_EVERY: Duration = Duration::from_secs(30 * 60);

/// Which cached messages' flags a UID+flags delta asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagScope {
    /// `UID FETCH 1:max (UID FLAGS)`: every message (and so every expunge) is seen.
    All,
    /// `UID FETCH from:max (UID FLAGS)`: the newest messages only; expunges below `from`
    /// are found by the message count and an [`ExpungeSearch`].
    From(Uid),
}

/// The scope of the next UID+flags delta of a folder. `window_start` is the UID of the
/// [`RECENT_FLAGS`]-th newest cached message (None: the folder holds fewer), `since_full` how
/// long ago this process last fetched the whole folder's flags (None: never), `everything`
/// whether the person asked for a thorough check.
pub fn flag_scope(
    window_start: Option<Uid>,
    since_full: Option<Duration>,
    everything: bool,
) -> FlagScope {
    match (window_start, since_full) {
        (Some(from), Some(age)) if !everything && age < FULL_FLAGS_EVERY && from.0 > 1 => {
            FlagScope::From(from)
        }
        _ => FlagScope::All,
    }
}

/// The search ran out of cached messages with expunges still unaccounted for, or the server
/// listed fewer messages than it counted: its answers contradict each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpungesNotFound {
    pub missing: usize,
}

impl std::fmt::Display for ExpungesNotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} expunged message(s) not found by listing UIDs in ranges",
            self.missing
        )
    }
}

impl std::error::Error for ExpungesNotFound {}

/// Finds `missing` expunged messages among cached UIDs by listing the server's UIDs in
/// ranges of cached messages, newest first, [`RECENT_FLAGS`] messages first and twice as
/// many each time: recent deletions (the usual ones) cost a few hundred bytes, and the worst
/// case lists each UID once — never a flag.
#[derive(Debug, Clone)]
pub struct ExpungeSearch {
    /// Cached UIDs not yet searched, ascending.
    local: Vec<Uid>,
    /// How many of `local` (from the start) are still unsearched.
    upper: usize,
    next_len: usize,
    missing: usize,
    found: Vec<Uid>,
}

impl ExpungeSearch {
    /// `local`: the cached UIDs the window did not cover (any order); `missing`: how many
    /// messages the count says went beyond those the window saw go.
    pub fn new(mut local: Vec<Uid>, missing: usize) -> ExpungeSearch {
        local.sort_unstable();
        local.dedup();
        ExpungeSearch {
            upper: local.len(),
            local,
            next_len: RECENT_FLAGS,
            missing,
            found: Vec::new(),
        }
    }

    /// The next UID range to list (`UID SEARCH UID a:b`), or None when every missing message
    /// is found (or there is nothing left to search: see [`ExpungeSearch::finish`]).
    pub fn next_range(&self) -> Option<RangeInclusive<u32>> {
        if self.missing == 0 || self.upper == 0 {
            return None;
        }
        let low = self.upper.saturating_sub(self.next_len);
        Some(self.local[low].0..=self.local[self.upper - 1].0)
    }

    /// The server listed `listed` for the range [`ExpungeSearch::next_range`] gave. A
    /// listing that drops more messages than are missing is a contradiction.
    pub fn on_listed(&mut self, listed: &[Uid]) -> Result<(), ExpungesNotFound> {
        if self.next_range().is_none() {
            return Ok(());
        }
        let low = self.upper.saturating_sub(self.next_len);
        let listed: HashSet<Uid> = listed.iter().copied().collect();
        let gone: Vec<Uid> = self.local[low..self.upper]
            .iter()
            .copied()
            .filter(|uid| !listed.contains(uid))
            .collect();
        if gone.len() > self.missing {
            return Err(ExpungesNotFound {
                missing: self.missing,
            });
        }
        self.missing -= gone.len();
        self.found.extend(gone);
        self.upper = low;
        self.next_len = self.next_len.saturating_mul(2);
        Ok(())
    }

    /// Every expunged UID found, once the search is over.
    pub fn finish(self) -> Result<Vec<Uid>, ExpungesNotFound> {
        if self.missing > 0 {
            return Err(ExpungesNotFound {
                missing: self.missing,
            });
        }
        Ok(self.found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn scope_is_the_newest_messages_between_full_fetches() {
        let cases = [
            ("small folder", None, Some(MINUTE), false, FlagScope::All),
            (
                "never fetched whole",
                Some(Uid(500)),
                None,
                false,
                FlagScope::All,
            ),
            (
                "recently whole",
                Some(Uid(500)),
                Some(MINUTE),
                false,
                FlagScope::From(Uid(500)),
            ),
            (
                "whole is due",
                Some(Uid(500)),
                Some(FULL_FLAGS_EVERY),
                false,
                FlagScope::All,
            ),
            ("asked", Some(Uid(500)), Some(MINUTE), true, FlagScope::All),
            (
                "window covers all",
                Some(Uid(1)),
                Some(MINUTE),
                false,
                FlagScope::All,
            ),
        ];
        for (name, window, since, asked, expected) in cases {
            assert_eq!(flag_scope(window, since, asked), expected, "{name}");
        }
    }

    fn uids(range: RangeInclusive<u32>) -> Vec<Uid> {
        range.map(Uid).collect()
    }

    /// Runs a search against a server holding `server` of `local`, returning the ranges asked.
    fn run(
        local: Vec<Uid>,
        server: &[Uid],
        missing: usize,
    ) -> (Vec<RangeInclusive<u32>>, Result<Vec<Uid>, ExpungesNotFound>) {
        let mut search = ExpungeSearch::new(local, missing);
        let mut asked = Vec::new();
        while let Some(range) = search.next_range() {
            let listed: Vec<Uid> = server
                .iter()
                .copied()
                .filter(|uid| range.contains(&uid.0))
                .collect();
            asked.push(range);
            if let Err(error) = search.on_listed(&listed) {
                return (asked, Err(error));
            }
        }
        (asked, search.finish())
    }

    #[test]
    fn a_recent_expunge_is_found_in_the_first_range() {
        let local = uids(1..=10_000);
        let server: Vec<Uid> = local.iter().copied().filter(|uid| uid.0 != 9_500).collect();
        let (asked, found) = run(local, &server, 1);
        assert_eq!(asked, vec![9_001..=10_000]);
        assert_eq!(found, Ok(vec![Uid(9_500)]));
    }

    #[test]
    fn old_expunges_widen_the_ranges_until_all_are_found() {
        let local = uids(1..=10_000);
        let server: Vec<Uid> = local
            .iter()
            .copied()
            .filter(|uid| uid.0 != 5 && uid.0 != 7_000)
            .collect();
        let (asked, found) = run(local, &server, 2);
        assert_eq!(
            asked,
            vec![9_001..=10_000, 7_001..=9_000, 3_001..=7_000, 1..=3_000]
        );
        let mut found = found.expect("found");
        found.sort_unstable();
        assert_eq!(found, vec![Uid(5), Uid(7_000)]);
    }

    #[test]
    fn a_count_the_listings_cannot_explain_is_an_error_not_a_guess() {
        let local = uids(1..=3_000);
        // The server says two went, but lists every message.
        let (asked, found) = run(local.clone(), &local, 2);
        assert_eq!(asked.len(), 2);
        assert_eq!(found, Err(ExpungesNotFound { missing: 2 }));
        // The server lists fewer than it says went.
        let server: Vec<Uid> = local.iter().copied().filter(|uid| uid.0 > 2_990).collect();
        let (_, found) = run(local, &server, 1);
        assert_eq!(found, Err(ExpungesNotFound { missing: 1 }));
    }

    #[test]
    fn nothing_missing_asks_nothing() {
        let (asked, found) = run(uids(1..=10), &uids(1..=10), 0);
        assert!(asked.is_empty());
        assert_eq!(found, Ok(Vec::new()));
    }
}
