//! What a folder's sync did (`tern sync --json`), and the new messages it announces.

use std::time::Duration;

use mail_store::MessageRow;
use mail_sync::Strategy;

/// What one folder's sync did. Fields mirror `tern sync --json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub folder: String,
    pub strategy: Strategy,
    pub uid_validity: u32,
    pub added: usize,
    pub removed: usize,
    pub flags_changed: usize,
    /// The folder was dropped and fetched again (UIDVALIDITY changed, or forced).
    pub resync: bool,
    /// Messages cached for the folder afterwards.
    pub total: usize,
    /// Of those, not \Seen.
    pub unread: usize,
    /// Messages a delta added (not an initial sync or resync), for new-mail announcements.
    pub new_messages: Vec<NewMessage>,
    /// Pending actions dropped because their messages are gone from the server.
    pub dropped: Vec<mail_store::PendingOp>,
    /// Round trips to the server this sync took.
    pub round_trips: u64,
    pub duration: Duration,
    /// Of `duration`, the time spent waiting for the server's answers.
    pub server_wait: Duration,
}

/// A message a delta sync added: what a new-mail notification shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub uid: u32,
    pub from: String,
    pub from_address: String,
    pub subject: String,
    pub seen: bool,
}

impl NewMessage {
    pub(crate) fn from_row(row: &MessageRow) -> NewMessage {
        NewMessage {
            uid: row.uid.0,
            from: row.from_name.clone(),
            from_address: row.from_address.clone(),
            subject: row.subject.clone(),
            seen: row.flags.is_seen(),
        }
    }
}
