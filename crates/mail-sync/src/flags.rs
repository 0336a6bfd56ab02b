//! A canonical set of IMAP message flags (system flags and keywords).

use std::collections::BTreeSet;
use std::fmt;

/// Message flags in canonical form: sorted, de-duplicated, without the session-only `\Recent`.
/// System flags are case-insensitive on the wire; they are stored with RFC 3501 spelling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Flags(BTreeSet<String>);

pub const SEEN: &str = "\\Seen";
pub const FLAGGED: &str = "\\Flagged";
pub const ANSWERED: &str = "\\Answered";
pub const DELETED: &str = "\\Deleted";
pub const DRAFT: &str = "\\Draft";

const SYSTEM_FLAGS: [&str; 5] = [SEEN, FLAGGED, ANSWERED, DELETED, DRAFT];

impl Flags {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a canonical set from flags as a server sent them.
    pub fn from_server<I, S>(flags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = BTreeSet::new();
        for flag in flags {
            let flag = flag.as_ref().trim();
            if flag.is_empty() || flag.eq_ignore_ascii_case("\\Recent") || flag == "\\*" {
                continue;
            }
            let canonical = SYSTEM_FLAGS
                .iter()
                .find(|system| system.eq_ignore_ascii_case(flag))
                .map(|system| (*system).to_string())
                .unwrap_or_else(|| flag.to_string());
            set.insert(canonical);
        }
        Flags(set)
    }

    /// Parses the space-separated form produced by `Display` (the cache's storage form).
    pub fn parse_stored(stored: &str) -> Self {
        Self::from_server(stored.split_ascii_whitespace())
    }

    pub fn contains(&self, flag: &str) -> bool {
        self.0.contains(flag)
    }

    pub fn insert(&mut self, flag: &str) {
        let canonical = Self::from_server([flag]);
        self.0.extend(canonical.0);
    }

    pub fn remove(&mut self, flag: &str) {
        self.0.remove(flag);
    }

    pub fn is_seen(&self) -> bool {
        self.contains(SEEN)
    }

    pub fn is_flagged(&self) -> bool {
        self.contains(FLAGGED)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for flag in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(flag)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_drops_recent_and_fixes_case() {
        let flags = Flags::from_server(["\\seen", "\\Recent", "$Forwarded", "\\FLAGGED", "\\Seen"]);
        assert_eq!(flags.to_string(), "$Forwarded \\Flagged \\Seen");
        assert!(flags.is_seen());
        assert!(flags.is_flagged());
    }

    #[test]
    fn stored_form_round_trips() {
        let flags = Flags::from_server(["\\Answered", "work"]);
        assert_eq!(Flags::parse_stored(&flags.to_string()), flags);
        assert_eq!(Flags::parse_stored(""), Flags::new());
    }
}
